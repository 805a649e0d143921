ALTER TABLE "search_stats" ADD COLUMN "generation" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "search_stats" ADD COLUMN "vector_generation" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- A sequence, not a counter in the row: the search_stats row is deleted when a workspace's last passage
-- goes, and a recreated row must never repeat a generation a process may still hold in memory.
CREATE SEQUENCE IF NOT EXISTS quarry_search_generation;
--> statement-breakpoint
UPDATE search_stats SET generation = nextval('quarry_search_generation'), vector_generation = nextval('quarry_search_generation');
--> statement-breakpoint
CREATE OR REPLACE FUNCTION quarry_search_stats_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_stats AS s (workspace_id, passages, lexemes, generation, vector_generation)
    SELECT workspace_id, count(*), sum(lexeme_count), nextval('quarry_search_generation'), nextval('quarry_search_generation')
    FROM quarry_new_passages GROUP BY 1 ORDER BY 1
  ON CONFLICT (workspace_id) DO UPDATE SET passages = s.passages + excluded.passages, lexemes = s.lexemes + excluded.lexemes,
    generation = excluded.generation;
  INSERT INTO search_terms AS t (workspace_id, term, df)
    SELECT n.workspace_id, u.lexeme, count(*)::int FROM quarry_new_passages n, unnest(n.tsv) u GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (workspace_id, term) DO UPDATE SET df = t.df + excluded.df;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION quarry_search_stats_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search_stats s SET passages = s.passages - o.n, lexemes = s.lexemes - o.l, generation = nextval('quarry_search_generation')
    FROM (SELECT workspace_id, count(*) AS n, sum(lexeme_count) AS l FROM quarry_old_passages GROUP BY 1 ORDER BY 1) o
    WHERE s.workspace_id = o.workspace_id;
  DELETE FROM search_stats s WHERE s.passages <= 0 AND s.workspace_id IN (SELECT workspace_id FROM quarry_old_passages);
  UPDATE search_terms t SET df = t.df - o.n
    FROM (SELECT p.workspace_id, u.lexeme AS term, count(*)::int AS n FROM quarry_old_passages p, unnest(p.tsv) u GROUP BY 1, 2) o
    WHERE t.workspace_id = o.workspace_id AND t.term = o.term;
  DELETE FROM search_terms t
    USING (SELECT DISTINCT p.workspace_id, u.lexeme AS term FROM quarry_old_passages p, unnest(p.tsv) u) o
    WHERE t.workspace_id = o.workspace_id AND t.term = o.term AND t.df <= 0;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- Vectors: any insert, update or delete of a workspace's embeddings moves its vector generation.
CREATE OR REPLACE FUNCTION quarry_search_vectors_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE search_stats s SET vector_generation = nextval('quarry_search_generation')
      WHERE s.workspace_id IN (SELECT DISTINCT workspace_id FROM quarry_old_embeddings);
  ELSE
    UPDATE search_stats s SET vector_generation = nextval('quarry_search_generation')
      WHERE s.workspace_id IN (SELECT DISTINCT workspace_id FROM quarry_new_embeddings);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER passage_embeddings_generation_insert
  AFTER INSERT ON passage_embeddings REFERENCING NEW TABLE AS quarry_new_embeddings
  FOR EACH STATEMENT EXECUTE FUNCTION quarry_search_vectors_changed();
--> statement-breakpoint
CREATE TRIGGER passage_embeddings_generation_update
  AFTER UPDATE ON passage_embeddings REFERENCING NEW TABLE AS quarry_new_embeddings
  FOR EACH STATEMENT EXECUTE FUNCTION quarry_search_vectors_changed();
--> statement-breakpoint
CREATE TRIGGER passage_embeddings_generation_delete
  AFTER DELETE ON passage_embeddings REFERENCING OLD TABLE AS quarry_old_embeddings
  FOR EACH STATEMENT EXECUTE FUNCTION quarry_search_vectors_changed();
