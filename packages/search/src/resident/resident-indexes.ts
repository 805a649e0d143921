/**
 * Copies of small and mid-sized workspaces' search indexes in this process's
 * memory, so a query ranks in microseconds instead of asking PGlite (WASM, on
 * the main thread) to unnest every candidate passage or decode every vector.
 *
 * Correctness never depends on them:
 * - a copy is used only at the exact generation it was read at: the
 *   `search_stats.generation` / `vector_generation` numbers that migration
 *   0005's triggers draw from a sequence on every change (so another process
 *   — a worker, a second web replica — changing the data is seen too);
 * - a copy is read in id-ordered batches between two reads of the
 *   generation, and thrown away if it moved (no long transaction holding
 *   PGlite's one connection);
 * - which documents a query may see (ready, in its filters) comes from a
 *   copy of the documents' status, type and date at `document_generation`.
 *
 * When a copy is stale or missing the caller ranks in SQL as before, and a
 * rebuild starts in the background — at most one at a time per process; with
 * a growing pause after a rebuild the data outran (a bulk load); and never
 * sooner after the last one than `costFactor` times its duration, so reading
 * copies takes a bounded share of the database's time however often a trickle
 * of uploads invalidates them. A rebuild a search asked for but that had to
 * wait (another build running, or the pause) starts by itself when the wait is
 * over: otherwise the searches right after a bulk load each ranked in SQL and
 * each moved the rebuild on by one step only. One that finds its copy current
 * by then reads nothing more.
 */
import { sql } from 'drizzle-orm';
import { queryRows, runInBackgroundLane, vectorExpr, type Database, type VectorSpaceRef } from '@quarry/db';
import { DocumentTable, type DocumentRow } from './document-table.js';
import { KeywordIndexBuilder, type KeywordIndex } from './keyword-index.js';
import { VectorIndex } from './vector-index.js';

export interface ResidentOptions {
  /** Passages held across all workspaces' keyword copies (about 0.4 KB each with their postings: 382 MB for a million measured). */
  maxPassages: number;
  /** Vectors held across all copies; a workspace above `maxVectorsPerWorkspace` uses the HNSW index instead. */
  maxVectors: number;
  maxVectorsPerWorkspace: number;
  /** Rows per read while building. */
  batchSize: number;
  /** Pause before retrying after a build the data outran; doubles up to `maxRetryMs`. */
  retryMs: number;
  maxRetryMs: number;
  /** After a build of a copy that took t ms, the next build of it waits at least costFactor × t. */
  costFactor: number;
}

export const defaultResidentOptions: ResidentOptions = {
  maxPassages: 200_000,
  maxVectors: 40_000,
  maxVectorsPerWorkspace: 10_000,
  batchSize: 2_000,
  retryMs: 1_000,
  maxRetryMs: 60_000,
  costFactor: 10,
};

interface Slot<T> {
  index?: T;
  generation?: number;
  /** Size counted against the budget. */
  size: number;
  lastUsed: number;
  building: boolean;
  /** No build before this time (ms since epoch). */
  notBefore: number;
  pause: number;
  /** The generation found too large to hold: not retried until it moves. */
  tooLargeAt?: number;
  /** A rebuild is waiting to start by itself (see `later`). */
  deferred: boolean;
}

/** What a build found: it read a new copy, the copy was current already, the data moved while it read, or the copy would not fit. */
type BuildOutcome = 'built' | 'current' | 'moved' | 'too-large';
type Build = () => Promise<BuildOutcome>;

export interface ResidentIndexes {
  /** The keyword copy at `generation`, or undefined (and a rebuild is scheduled). */
  keyword(workspaceId: string, generation: number | null): KeywordIndex | undefined;
  /** The vector copy of `space` at `vectorGeneration`, or undefined (and a rebuild is scheduled when it fits). */
  vectors(workspaceId: string, space: VectorSpaceRef, vectorGeneration: number | null): VectorIndex | undefined;
  /** The documents' status, type and date at `documentGeneration`, or undefined (and a rebuild is scheduled). */
  documents(workspaceId: string, documentGeneration: number | null): DocumentTable | undefined;
  /** Resolves when no build is running (tests and benchmarks). */
  idle(): Promise<void>;
  /** What is held, for health and benchmarks. */
  stats(): { keywordCopies: number; passages: number; keywordBytes: number; vectorCopies: number; vectors: number; builds: number; abandoned: number; hits: number; misses: number; lastBuildMs: number };
}

export function createResidentIndexes(db: Database, options: ResidentOptions = defaultResidentOptions): ResidentIndexes {
  const keywordSlots = new Map<string, Slot<KeywordIndex>>();
  const vectorSlots = new Map<string, Slot<VectorIndex>>();
  const documentSlots = new Map<string, Slot<DocumentTable>>();
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  let builds = 0;
  let abandoned = 0;
  let hits = 0;
  let misses = 0;
  let lastBuildMs = 0;

  const slotOf = <T>(slots: Map<string, Slot<T>>, key: string): Slot<T> => {
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = { size: 0, lastUsed: 0, building: false, notBefore: 0, pause: options.retryMs, deferred: false };
      slots.set(key, slot);
    }
    return slot;
  };

  const held = <T>(slots: Map<string, Slot<T>>) => [...slots.values()].reduce((sum, s) => sum + (s.index ? s.size : 0), 0);

  /** Drops least recently used copies until `size` more fits in `budget`. */
  function makeRoom<T>(slots: Map<string, Slot<T>>, keep: Slot<T>, size: number, budget: number): boolean {
    if (size > budget) return false;
    const victims = [...slots.values()].filter((s) => s !== keep && s.index !== undefined).sort((a, b) => a.lastUsed - b.lastUsed);
    let total = held(slots) - (keep.index ? keep.size : 0);
    for (const v of victims) {
      if (total + size <= budget) break;
      total -= v.size;
      v.index = undefined;
      v.generation = undefined;
      v.size = 0;
    }
    return total + size <= budget;
  }

  function schedule<T>(slot: Slot<T>, generation: number, build: Build): void {
    if (slot.building || slot.tooLargeAt === generation) return;
    if (busy || Date.now() < slot.notBefore) {
      later(slot, generation, build);
      return;
    }
    slot.building = true;
    busy = true;
    const started = Date.now();
    // A copy is background work: on PGlite, the searches that find it stale go first.
    running = runInBackgroundLane(build)
      .then(
        (outcome) => {
          if (outcome === 'built') {
            builds++;
            lastBuildMs = Date.now() - started;
            slot.notBefore = Date.now() + options.costFactor * lastBuildMs;
            slot.pause = options.retryMs;
          } else if (outcome === 'moved') {
            abandoned++;
            slot.notBefore = Date.now() + slot.pause;
            slot.pause = Math.min(options.maxRetryMs, slot.pause * 2);
            // Still wanted (a search asked for it): try again after the pause, not at the next search.
            queueMicrotask(() => later(slot, generation, build));
          } else if (outcome === 'too-large') {
            slot.tooLargeAt = generation;
          }
        },
        () => {
          // A failed read (database busy or closing) is not worth a log line: ranking falls back to SQL.
          abandoned++;
          slot.notBefore = Date.now() + slot.pause;
          slot.pause = Math.min(options.maxRetryMs, slot.pause * 2);
        },
      )
      .finally(() => {
        slot.building = false;
        busy = false;
      });
  }

  /** Starts the rebuild once the running build has ended and the slot's pause is over (one waiting per slot). */
  function later<T>(slot: Slot<T>, generation: number, build: Build): void {
    if (slot.deferred) return;
    slot.deferred = true;
    void (async () => {
      for (let i = 0; i < 100 && busy; i++) await running.catch(() => undefined);
      const wait = slot.notBefore - Date.now();
      // unref: a waiting rebuild never keeps a process alive that is otherwise done.
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
      slot.deferred = false;
      if (!busy) schedule(slot, generation, build);
      else later(slot, generation, build);
    })();
  }

  async function generations(workspaceId: string) {
    const [row] = await queryRows<{ g: number | string; vg: number | string; dg: number | string; passages: number | string }>(
      db,
      sql`SELECT generation AS g, vector_generation AS vg, document_generation AS dg, passages
          FROM search_stats WHERE workspace_id = ${workspaceId}::uuid`,
    );
    return row === undefined
      ? undefined
      : { generation: Number(row.g), vectorGeneration: Number(row.vg), documentGeneration: Number(row.dg), passages: Number(row.passages) };
  }

  async function buildKeyword(workspaceId: string, slot: Slot<KeywordIndex>): Promise<BuildOutcome> {
    const before = await generations(workspaceId);
    if (before === undefined) return 'moved';
    if (slot.index !== undefined && slot.generation === before.generation) return 'current';
    if (!makeRoom(keywordSlots, slot, before.passages, options.maxPassages)) return 'too-large';
    const builder = new KeywordIndexBuilder(before.passages);
    let read = 0;
    let after: string | null = null;
    for (let guard = 0; guard <= before.passages / options.batchSize + 1; guard++) {
      const batch: Array<{ id: string; document_id: string; tsv: string; lexeme_count: number | string }> = await queryRows(
        db,
        sql`SELECT id, document_id, tsv::text AS tsv, lexeme_count FROM passages
            WHERE workspace_id = ${workspaceId}::uuid AND (${after}::uuid IS NULL OR id > ${after}::uuid)
            ORDER BY id LIMIT ${options.batchSize}`,
      );
      for (const r of batch) builder.add({ id: r.id, documentId: r.document_id, tsv: r.tsv, lexemeCount: Number(r.lexeme_count) });
      read += batch.length;
      if (batch.length < options.batchSize) break;
      after = batch[batch.length - 1]!.id;
    }
    const afterwards = await generations(workspaceId);
    if (afterwards?.generation !== before.generation || read !== before.passages) return 'moved';
    slot.index = await builder.finishInSlices();
    slot.generation = before.generation;
    slot.size = read;
    slot.lastUsed = Date.now();
    return 'built';
  }

  async function buildVectors(workspaceId: string, space: VectorSpaceRef, slot: Slot<VectorIndex>): Promise<BuildOutcome> {
    const before = await generations(workspaceId);
    if (before === undefined) return 'moved';
    if (slot.index !== undefined && slot.generation === before.vectorGeneration && slot.index.dimensions === space.dimensions) return 'current';
    const limit = options.maxVectorsPerWorkspace;
    const [count] = await queryRows<{ n: number | string }>(
      db,
      sql`SELECT count(*)::int AS n FROM (SELECT 1 FROM passage_embeddings
            WHERE space_id = ${space.id} AND workspace_id = ${workspaceId}::uuid LIMIT ${limit + 1}) AS bounded`,
    );
    const n = Number(count?.n ?? 0);
    if (n > limit || !makeRoom(vectorSlots, slot, n, options.maxVectors)) return 'too-large';
    const rows: Array<{ id: string; documentId: string; embedding: string }> = [];
    let after: string | null = null;
    for (let guard = 0; guard <= n / options.batchSize + 1; guard++) {
      const batch: Array<{ id: string; documentId: string; embedding: string }> = await queryRows(
        db,
        sql`SELECT e.passage_id AS id, p.document_id AS "documentId", ${vectorExpr(space)}::text AS embedding
            FROM passage_embeddings e JOIN passages p ON p.id = e.passage_id
            WHERE e.space_id = ${space.id} AND e.workspace_id = ${workspaceId}::uuid
              AND (${after}::uuid IS NULL OR e.passage_id > ${after}::uuid)
            ORDER BY e.passage_id LIMIT ${options.batchSize}`,
      );
      rows.push(...batch);
      if (batch.length < options.batchSize) break;
      after = batch[batch.length - 1]!.id;
    }
    const afterwards = await generations(workspaceId);
    if (afterwards?.vectorGeneration !== before.vectorGeneration || rows.length !== n) return 'moved';
    slot.index = VectorIndex.build(rows, space.dimensions);
    slot.generation = before.vectorGeneration;
    slot.size = rows.length;
    slot.lastUsed = Date.now();
    return 'built';
  }

  async function buildDocuments(workspaceId: string, slot: Slot<DocumentTable>): Promise<BuildOutcome> {
    const before = await generations(workspaceId);
    if (before === undefined) return 'moved';
    if (slot.index !== undefined && slot.generation === before.documentGeneration) return 'current';
    // One read: a workspace has far fewer documents than passages, and the columns are small.
    const rows = await queryRows<{ id: string; status: string; mime_type: string; created: string }>(
      db,
      sql`SELECT id, status, mime_type, (extract(epoch FROM created_at) * 1000000)::bigint::text AS created
          FROM documents WHERE workspace_id = ${workspaceId}::uuid`,
    );
    const afterwards = await generations(workspaceId);
    if (afterwards?.documentGeneration !== before.documentGeneration) return 'moved';
    const table: DocumentRow[] = rows.map((r) => ({ id: r.id, status: r.status, mimeType: r.mime_type, createdAtMicros: BigInt(r.created) }));
    slot.index = DocumentTable.build(table);
    slot.generation = before.documentGeneration;
    slot.size = table.length;
    slot.lastUsed = Date.now();
    return 'built';
  }

  return {
    documents(workspaceId, documentGeneration) {
      if (documentGeneration === null) return undefined;
      const slot = slotOf(documentSlots, workspaceId);
      if (slot.index !== undefined && slot.generation === documentGeneration) {
        slot.lastUsed = Date.now();
        hits++;
        return slot.index;
      }
      misses++;
      schedule(slot, documentGeneration, () => buildDocuments(workspaceId, slot));
      return undefined;
    },
    keyword(workspaceId, generation) {
      if (generation === null) return undefined;
      const slot = slotOf(keywordSlots, workspaceId);
      if (slot.index !== undefined && slot.generation === generation) {
        slot.lastUsed = Date.now();
        hits++;
        return slot.index;
      }
      misses++;
      schedule(slot, generation, () => buildKeyword(workspaceId, slot));
      return undefined;
    },
    vectors(workspaceId, space, vectorGeneration) {
      if (vectorGeneration === null) return undefined;
      const slot = slotOf(vectorSlots, `${workspaceId}/${space.id}`);
      if (slot.index !== undefined && slot.generation === vectorGeneration && slot.index.dimensions === space.dimensions) {
        slot.lastUsed = Date.now();
        hits++;
        return slot.index;
      }
      misses++;
      schedule(slot, vectorGeneration, () => buildVectors(workspaceId, space, slot));
      return undefined;
    },
    async idle() {
      for (let i = 0; i < 100 && busy; i++) await running;
    },
    stats() {
      const count = <T>(slots: Map<string, Slot<T>>) => [...slots.values()].filter((s) => s.index !== undefined).length;
      return {
        keywordCopies: count(keywordSlots),
        passages: held(keywordSlots),
        keywordBytes: [...keywordSlots.values()].reduce((sum, s) => sum + (s.index?.byteSize ?? 0), 0),
        vectorCopies: count(vectorSlots),
        vectors: held(vectorSlots),
        builds,
        abandoned,
        hits,
        misses,
        lastBuildMs,
      };
    },
  };
}
