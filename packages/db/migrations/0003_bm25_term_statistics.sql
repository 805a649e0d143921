CREATE TABLE "search_stats" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"passages" bigint NOT NULL,
	"lexemes" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search_terms" (
	"workspace_id" uuid NOT NULL,
	"term" text NOT NULL,
	"df" integer NOT NULL,
	CONSTRAINT "search_terms_workspace_id_term_pk" PRIMARY KEY("workspace_id","term")
);
--> statement-breakpoint
ALTER TABLE "passages" ADD COLUMN "lexeme_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- BM25 needs a passage's length in lexeme occurrences; tsvector only knows distinct lexemes.
CREATE OR REPLACE FUNCTION quarry_tsv_lexeme_count(v tsvector) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT coalesce(sum(greatest(coalesce(array_length(positions, 1), 0), 1)), 0)::int FROM unnest(v) $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION quarry_passages_lexeme_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.lexeme_count := quarry_tsv_lexeme_count(NEW.tsv);
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER passages_lexeme_count
  BEFORE INSERT OR UPDATE ON passages
  FOR EACH ROW EXECUTE FUNCTION quarry_passages_lexeme_count();
--> statement-breakpoint
-- Existing passages: lengths and statistics, before the triggers that keep them up to date.
UPDATE passages SET lexeme_count = quarry_tsv_lexeme_count(tsv);
--> statement-breakpoint
INSERT INTO search_stats (workspace_id, passages, lexemes)
  SELECT workspace_id, count(*), sum(lexeme_count) FROM passages GROUP BY 1;
--> statement-breakpoint
INSERT INTO search_terms (workspace_id, term, df)
  SELECT p.workspace_id, u.lexeme, count(*)::int FROM passages p, unnest(p.tsv) u GROUP BY 1, 2;
--> statement-breakpoint
-- Term statistics follow every change to passages, in the same transaction, so they are exact:
-- statement triggers with transition tables aggregate a whole batch in one pass. The workspace's
-- search_stats row is always written first: it serialises concurrent changes to one workspace's
-- statistics, so their search_terms updates cannot deadlock.
CREATE OR REPLACE FUNCTION quarry_search_stats_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_stats AS s (workspace_id, passages, lexemes)
    SELECT workspace_id, count(*), sum(lexeme_count) FROM quarry_new_passages GROUP BY 1 ORDER BY 1
  ON CONFLICT (workspace_id) DO UPDATE SET passages = s.passages + excluded.passages, lexemes = s.lexemes + excluded.lexemes;
  INSERT INTO search_terms AS t (workspace_id, term, df)
    SELECT n.workspace_id, u.lexeme, count(*)::int FROM quarry_new_passages n, unnest(n.tsv) u GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (workspace_id, term) DO UPDATE SET df = t.df + excluded.df;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION quarry_search_stats_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search_stats s SET passages = s.passages - o.n, lexemes = s.lexemes - o.l
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
CREATE TRIGGER passages_search_stats_insert
  AFTER INSERT ON passages REFERENCING NEW TABLE AS quarry_new_passages
  FOR EACH STATEMENT EXECUTE FUNCTION quarry_search_stats_add();
--> statement-breakpoint
CREATE TRIGGER passages_search_stats_delete
  AFTER DELETE ON passages REFERENCING OLD TABLE AS quarry_old_passages
  FOR EACH STATEMENT EXECUTE FUNCTION quarry_search_stats_remove();
--> statement-breakpoint
-- An UPDATE is the removal of the old rows, then the addition of the new ones: two triggers, fired in
-- name order, each with the one transition table its function reads.
CREATE TRIGGER passages_search_stats_update_1_remove
  AFTER UPDATE ON passages REFERENCING OLD TABLE AS quarry_old_passages
  FOR EACH STATEMENT EXECUTE FUNCTION quarry_search_stats_remove();
--> statement-breakpoint
CREATE TRIGGER passages_search_stats_update_2_add
  AFTER UPDATE ON passages REFERENCING NEW TABLE AS quarry_new_passages
  FOR EACH STATEMENT EXECUTE FUNCTION quarry_search_stats_add();
