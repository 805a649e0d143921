/**
 * One `passage_embeddings.embedding` column holds vectors of every embedding
 * space, so each space gets its own partial expression HNSW index (the
 * approach pgvector documents for several dimensions in one column). Queries
 * must use the same expression — `vectorExpr(space)` — to hit it.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Database } from './client.js';

export interface VectorSpaceRef {
  id: number;
  dimensions: number;
}

export const vectorIndexName = (space: VectorSpaceRef) => `passage_embeddings_hnsw_s${space.id}`;

/** `embedding::vector(N)` — the expression the index is built on. */
export function vectorExpr(space: VectorSpaceRef): SQL {
  return sql.raw(`(embedding::vector(${Number(space.dimensions)}))`);
}

/** A query vector literal cast to the space's dimensions. */
export function vectorParam(space: VectorSpaceRef, vector: number[]): SQL {
  return sql`${`[${vector.join(',')}]`}::vector(${sql.raw(String(Number(space.dimensions)))})`;
}

/**
 * Below this many vectors in a space, embedded PGlite keeps no HNSW index:
 * every insert into an HNSW index costs ~17 ms in WASM (docs/benchmarks.md),
 * while an exact scan of this many vectors is as fast as a filtered index scan
 * and has perfect recall. Search switches to the index at the same size.
 */
export const PGLITE_VECTOR_INDEX_MIN_VECTORS = 10_000;

/**
 * Creates the space's HNSW index. With `minVectors`, only once the space holds
 * that many vectors (checked cheaply: an existing index short-circuits).
 * Resolves to whether the index exists afterwards.
 */
export async function ensureVectorIndex(db: Database, space: VectorSpaceRef, options: { minVectors?: number } = {}): Promise<boolean> {
  const dims = Number(space.dimensions);
  const id = Number(space.id);
  if (options.minVectors && options.minVectors > 0) {
    const existing = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from pg_indexes where indexname = ${vectorIndexName(space)}`);
    if (Number(existing[0]?.n ?? 0) > 0) return true;
    const rows = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from (select 1 from passage_embeddings where space_id = ${id} limit ${options.minVectors}) s`,
    );
    if (Number(rows[0]?.n ?? 0) < options.minVectors) return false;
  }
  // Through a SECURITY DEFINER function (migration 0007): only the table's owner may create an index,
  // and the app's role owns nothing (docs/security.md, G1).
  await db.execute(sql`select quarry_ensure_vector_index(${id}::integer, ${dims}::integer)`);
  return true;
}

export async function dropVectorIndex(db: Database, space: VectorSpaceRef): Promise<void> {
  await db.execute(sql`select quarry_drop_vector_index(${Number(space.id)}::integer)`);
}
