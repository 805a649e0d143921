/**
 * Embedding spaces: one per (provider, model, dimensions). Vectors of
 * different spaces never mix. When the configured model changes, its space
 * starts `building`; a background `reembed` job embeds every passage into it
 * while search keeps using the `active` space; when no passage is missing the
 * new space becomes `active` and the old one is `retired` — its vectors and
 * index dropped — in that order, so search always has a complete space.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { EmbeddingSpaceIdentity } from '@quarry/ai';
import { dropVectorIndex, embeddingSpaces, ensureVectorIndex, queryRows, type Database } from '@quarry/db';
import type { JobQueue } from './queue.js';

export type EmbeddingSpace = typeof embeddingSpaces.$inferSelect;

export async function findSpace(db: Database, identity: EmbeddingSpaceIdentity): Promise<EmbeddingSpace | undefined> {
  const [row] = await db
    .select()
    .from(embeddingSpaces)
    .where(
      and(
        eq(embeddingSpaces.provider, identity.provider),
        eq(embeddingSpaces.model, identity.model),
        eq(embeddingSpaces.dimensions, identity.dimensions),
      ),
    );
  return row;
}

/** The space search should use now (undefined before the first document). */
export async function getActiveSpace(db: Database): Promise<EmbeddingSpace | undefined> {
  const [row] = await db.select().from(embeddingSpaces).where(eq(embeddingSpaces.status, 'active')).limit(1);
  return row;
}

async function hasPassages(db: Database): Promise<boolean> {
  const rows = await queryRows<{ one: number }>(db, sql`SELECT 1 AS one FROM passages LIMIT 1`);
  return rows.length > 0;
}

/**
 * Makes the configured embedder's space exist and be on its way to active:
 * returns it, and enqueues the re-embedding when it is (still) building.
 */
export async function prepareEmbeddingSpace(
  db: Database,
  queue: JobQueue,
  identity: EmbeddingSpaceIdentity,
  index: { minVectors?: number } = {},
): Promise<EmbeddingSpace> {
  let space = await findSpace(db, identity);
  const active = await getActiveSpace(db);
  if (!space) {
    const status = active === undefined && !(await hasPassages(db)) ? 'active' : 'building';
    await db
      .insert(embeddingSpaces)
      .values({ ...identity, status, activatedAt: status === 'active' ? new Date() : null })
      .onConflictDoNothing();
    space = (await findSpace(db, identity))!;
  } else if (space.status === 'retired') {
    [space] = await db.update(embeddingSpaces).set({ status: 'building', activatedAt: null }).where(eq(embeddingSpaces.id, space.id)).returning();
  }
  await ensureVectorIndex(db, space!, index);
  // A space left building by an earlier configuration will never finish: retire it.
  const stale = await db
    .select()
    .from(embeddingSpaces)
    .where(and(eq(embeddingSpaces.status, 'building'), ne(embeddingSpaces.id, space!.id)));
  for (const other of stale) await retireSpace(db, other);
  if (space!.status === 'building') {
    const id = space!.id;
    if (!(await queue.hasPending('reembed', (p) => p.spaceId === id))) {
      await queue.enqueue({ kind: 'reembed', payload: { spaceId: id }, maxAttempts: 10 });
    }
  }
  return space!;
}

/** Marks a space retired, then deletes its vectors (in batches) and its index. */
export async function retireSpace(db: Database, space: EmbeddingSpace): Promise<void> {
  await db.update(embeddingSpaces).set({ status: 'retired' }).where(eq(embeddingSpaces.id, space.id));
  // Bounded: each round deletes up to 5,000 rows; a space cannot hold more passages than exist.
  for (let round = 0; round < 100_000; round++) {
    const rows = await queryRows<{ n: number }>(
      db,
      sql`WITH gone AS (
            DELETE FROM passage_embeddings WHERE space_id = ${space.id}
            AND passage_id IN (SELECT passage_id FROM passage_embeddings WHERE space_id = ${space.id} LIMIT 5000)
            RETURNING 1)
          SELECT count(*)::int AS n FROM gone`,
    );
    if (Number(rows[0]?.n ?? 0) === 0) break;
  }
  await dropVectorIndex(db, space);
}

/** Passages that have no vector in `spaceId` yet, oldest first. */
export async function passagesMissingVectors(db: Database, spaceId: number, limit: number) {
  return queryRows<{ id: string; workspace_id: string; text: string }>(
    db,
    sql`SELECT p.id, p.workspace_id, p.text FROM passages p
        WHERE NOT EXISTS (SELECT 1 FROM passage_embeddings e WHERE e.space_id = ${spaceId} AND e.passage_id = p.id)
        ORDER BY p.document_id, p.ordinal LIMIT ${limit}`,
  );
}

/**
 * Switches `space` to active if no passage lacks a vector in it; the
 * previously active space is retired and its vectors dropped afterwards.
 * Returns false (nothing changed) when passages are still missing.
 */
export async function activateIfComplete(db: Database, space: EmbeddingSpace): Promise<boolean> {
  const previous = await db.transaction(async (tx) => {
    const missing = await passagesMissingVectors(tx as unknown as Database, space.id, 1);
    if (missing.length > 0) return undefined;
    const old = await tx.select().from(embeddingSpaces).where(and(eq(embeddingSpaces.status, 'active'), ne(embeddingSpaces.id, space.id)));
    await tx.update(embeddingSpaces).set({ status: 'retired' }).where(and(eq(embeddingSpaces.status, 'active'), ne(embeddingSpaces.id, space.id)));
    await tx.update(embeddingSpaces).set({ status: 'active', activatedAt: new Date() }).where(eq(embeddingSpaces.id, space.id));
    return old;
  });
  if (previous === undefined) return false;
  for (const old of previous) await retireSpace(db, old);
  return true;
}


/**
 * How many passages of each document have a vector in the active space, for
 * documents whose `embed` job has not finished (the rest are complete, so
 * they are not counted). Documents missing from the map are fully embedded.
 */
export async function vectorProgress(db: Database, documentIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (documentIds.length === 0) return out;
  const rows = await queryRows<{ id: string; n: number }>(
    db,
    sql`WITH pending AS (
          SELECT DISTINCT document_id AS id FROM jobs
          WHERE kind = 'embed' AND status <> 'done' AND document_id = ANY(${`{${documentIds.join(',')}}`}::uuid[]))
        SELECT pending.id, (SELECT count(*)::int FROM passages p JOIN passage_embeddings e ON e.passage_id = p.id
                            WHERE p.document_id = pending.id
                              AND e.space_id = (SELECT s.id FROM embedding_spaces s WHERE s.status = 'active' LIMIT 1)) AS n
        FROM pending`,
  );
  for (const r of rows) out.set(r.id, Number(r.n));
  return out;
}
