/**
 * One `passage_embeddings.embedding` column holds vectors of every embedding
 * space, so each space gets its own partial expression HNSW index (the
 * approach pgvector documents for several dimensions in one column). Queries
 * must use the same expression — `vectorExpr(space)` — to hit it.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from './client.js';

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

export async function ensureVectorIndex(db: Database, space: VectorSpaceRef): Promise<void> {
  const dims = Number(space.dimensions);
  const id = Number(space.id);
  await db.execute(
    sql.raw(
      `CREATE INDEX IF NOT EXISTS ${vectorIndexName(space)} ON passage_embeddings ` +
        `USING hnsw ((embedding::vector(${dims})) vector_cosine_ops) WHERE space_id = ${id}`,
    ),
  );
}

export async function dropVectorIndex(db: Database, space: VectorSpaceRef): Promise<void> {
  await db.execute(sql.raw(`DROP INDEX IF EXISTS ${vectorIndexName(space)}`));
}
