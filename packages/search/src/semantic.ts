/**
 * Semantic retrieval: cosine distance between the query vector and the
 * passages' vectors in the active embedding space.
 *
 * Strategy (measured in bench/search.ts, figures in docs/benchmarks.md):
 * - a workspace (or document filter) with at most `exactScanMaxVectors`
 *   vectors is scanned exactly — perfect recall, and on PGlite faster than
 *   walking the HNSW graph for a small slice of a large table;
 * - larger ones use the space's partial HNSW index with `hnsw.ef_search`
 *   raised to the depth asked for and pgvector 0.8 iterative scans, so the
 *   workspace and "ready" filters cannot starve the result. That depth is at
 *   most `hnswMaxDepth`: a search's first page ranks 500 deep to count its
 *   matches, and walking the graph that deep cost more than the exact scan
 *   (bench:search at 20k passages: p50 107 ms against 13.5 ms at depth 10);
 *   a list cut there says so (`cut`), and the count shows it as capped.
 */
import { sql } from 'drizzle-orm';
import { queryRows, vectorExpr, vectorParam, type Database, type VectorSpaceRef } from '@quarry/db';
import { documentConditions } from './filters.js';
import type { Candidate, SearchFilters } from './types.js';

export interface SemanticOptions {
  /** At or below this many vectors in the workspace (for the space), scan exactly. */
  exactScanMaxVectors: number;
  /** Lower bound for `hnsw.ef_search` (raised to the requested depth when larger). */
  efSearch: number;
  /** Upper bound of tuples an iterative scan may visit (`hnsw.max_scan_tuples`). */
  maxScanTuples: number;
  /** The deepest list the HNSW path returns, whatever depth is asked for. */
  hnswMaxDepth: number;
}

export const defaultSemanticOptions: SemanticOptions = { exactScanMaxVectors: 10_000, efSearch: 200, maxScanTuples: 40_000, hnswMaxDepth: 100 };

export type SemanticPlan = 'exact' | 'hnsw';

export async function chooseSemanticPlan(
  db: Database,
  space: VectorSpaceRef,
  workspaceId: string,
  filters: SearchFilters,
  options: SemanticOptions,
): Promise<SemanticPlan> {
  // A document filter leaves few vectors: exact is cheap and exact.
  if (filters.documentIds !== undefined && filters.documentIds.length > 0) return 'exact';
  const limit = Math.max(0, Math.trunc(options.exactScanMaxVectors));
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM (
          SELECT 1 FROM passage_embeddings
          WHERE space_id = ${space.id} AND workspace_id = ${workspaceId}::uuid
          LIMIT ${limit + 1}) AS bounded`,
  );
  return Number(row?.n ?? 0) <= limit ? 'exact' : 'hnsw';
}

export async function semanticCandidates(
  db: Database,
  space: VectorSpaceRef,
  queryVector: number[],
  workspaceId: string,
  filters: SearchFilters,
  depth: number,
  options: SemanticOptions = defaultSemanticOptions,
  plan?: SemanticPlan,
): Promise<{ candidates: Candidate[]; plan: SemanticPlan; cut: boolean }> {
  if (queryVector.length !== space.dimensions) {
    throw new Error(`query vector has ${queryVector.length} dimensions, the active space ${space.dimensions}`);
  }
  const chosen = plan ?? (await chooseSemanticPlan(db, space, workspaceId, filters, options));
  const q = vectorParam(space, queryVector);
  const where = documentConditions(workspaceId, filters);
  const limit = Math.max(1, Math.trunc(depth));
  let rows: Array<{ passageId: string; documentId: string; distance: number }>;
  let cut = false;
  if (chosen === 'exact') {
    // Distances are computed in a materialized CTE, which the HNSW index cannot serve: a true exact
    // scan of this workspace's vectors. Only (id, distance) pairs are materialized, never the vectors.
    rows = await queryRows(
      db,
      sql`WITH scored AS MATERIALIZED (
            SELECT passage_id, ${vectorExpr(space)} <=> ${q} AS distance FROM passage_embeddings
            WHERE space_id = ${space.id} AND workspace_id = ${workspaceId}::uuid)
          SELECT s.passage_id AS "passageId", p.document_id AS "documentId", s.distance
          FROM scored s JOIN passages p ON p.id = s.passage_id JOIN documents d ON d.id = p.document_id
          WHERE p.workspace_id = ${workspaceId}::uuid AND ${where}
          ORDER BY s.distance, s.passage_id
          LIMIT ${limit}`,
    );
  } else {
    const hnswLimit = Math.min(limit, Math.max(1, Math.trunc(options.hnswMaxDepth)));
    const ef = Math.min(1000, Math.max(options.efSearch, hnswLimit));
    rows = await db.transaction(async (tx) => {
      const t = tx as unknown as Database;
      await t.execute(sql.raw(`SET LOCAL hnsw.ef_search = ${ef}`));
      await t.execute(sql.raw(`SET LOCAL hnsw.iterative_scan = relaxed_order`));
      await t.execute(sql.raw(`SET LOCAL hnsw.max_scan_tuples = ${Math.trunc(options.maxScanTuples)}`));
      // relaxed_order may return slightly out of order: re-sort the materialized result.
      return queryRows<{ passageId: string; documentId: string; distance: number }>(
        t,
        sql`WITH nearest AS MATERIALIZED (
              SELECT e.passage_id AS "passageId", p.document_id AS "documentId", ${vectorExpr(space)} <=> ${q} AS distance
              FROM passage_embeddings e JOIN passages p ON p.id = e.passage_id JOIN documents d ON d.id = p.document_id
              WHERE e.space_id = ${space.id} AND e.workspace_id = ${workspaceId}::uuid
                AND p.workspace_id = ${workspaceId}::uuid AND ${where}
              ORDER BY distance
              LIMIT ${hnswLimit})
            SELECT * FROM nearest ORDER BY distance, "passageId"`,
      );
    });
    cut = hnswLimit < limit && rows.length === hnswLimit;
  }
  return {
    plan: chosen,
    cut,
    candidates: rows.map((r) => ({ passageId: r.passageId, score: 1 - Number(r.distance), documentId: r.documentId })),
  };
}
