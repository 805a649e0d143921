ALTER TABLE "search_stats" ADD COLUMN "document_generation" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE search_stats SET document_generation = nextval('quarry_search_generation');
--> statement-breakpoint
-- A new row (a workspace's first passages) starts with fresh numbers for all three generations.
CREATE OR REPLACE FUNCTION quarry_search_stats_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_stats AS s (workspace_id, passages, lexemes, generation, vector_generation, document_generation)
    SELECT workspace_id, count(*), sum(lexeme_count), nextval('quarry_search_generation'), nextval('quarry_search_generation'),
           nextval('quarry_search_generation')
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
-- What search filters documents by — visibility (status), type and date — moves the document
-- generation; a title or progress update does not.
CREATE OR REPLACE FUNCTION quarry_search_documents_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE search_stats SET document_generation = nextval('quarry_search_generation') WHERE workspace_id = OLD.workspace_id;
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status OR OLD.mime_type IS DISTINCT FROM NEW.mime_type
     OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.workspace_id IS DISTINCT FROM NEW.workspace_id THEN
    UPDATE search_stats SET document_generation = nextval('quarry_search_generation') WHERE workspace_id = NEW.workspace_id;
    IF TG_OP = 'UPDATE' AND OLD.workspace_id IS DISTINCT FROM NEW.workspace_id THEN
      UPDATE search_stats SET document_generation = nextval('quarry_search_generation') WHERE workspace_id = OLD.workspace_id;
    END IF;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER documents_search_generation
  AFTER INSERT OR UPDATE OR DELETE ON documents
  FOR EACH ROW EXECUTE FUNCTION quarry_search_documents_changed();
