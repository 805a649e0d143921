-- The app's role may not own tables (docs/security.md §5, gap G1 closed), and only a table's owner may
-- create or drop its indexes. An embedding space's HNSW index is made when the space is, at run time,
-- so these two functions run as their owner (the role that applies migrations) and can do exactly that
-- and nothing else: the index name and definition are fixed, the arguments are integers.
-- `quarry migrate` grants EXECUTE on them to the app role (packages/db/src/app-role.ts).
CREATE OR REPLACE FUNCTION quarry_ensure_vector_index(space integer, dimensions integer) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF space IS NULL OR dimensions IS NULL OR space < 1 OR dimensions < 1 THEN
    RAISE EXCEPTION 'quarry_ensure_vector_index: bad space % or dimensions %', space, dimensions;
  END IF;
  EXECUTE format(
    'CREATE INDEX IF NOT EXISTS %I ON public.passage_embeddings USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WHERE space_id = %s',
    'passage_embeddings_hnsw_s' || space, dimensions, space);
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION quarry_drop_vector_index(space integer) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF space IS NULL OR space < 1 THEN
    RAISE EXCEPTION 'quarry_drop_vector_index: bad space %', space;
  END IF;
  EXECUTE format('DROP INDEX IF EXISTS public.%I', 'passage_embeddings_hnsw_s' || space);
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION quarry_ensure_vector_index(integer, integer) FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION quarry_drop_vector_index(integer) FROM PUBLIC;
