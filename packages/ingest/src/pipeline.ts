/**
 * One document, keyword-first: read the stored bytes, extract, split into
 * passages, then replace the document's passages in one transaction, mark it
 * ready (keyword-searchable at once) and enqueue its `embed` job in that same
 * transaction; `embedDocumentSlice` fills its vectors in behind, batch by
 * batch, each batch committed (resumable after a crash). Steps are timed for
 * the benchmark.
 */
import { eq, sql } from 'drizzle-orm';
import type { Embedder } from '@quarry/ai';
import { documents, passages, queryRows, type Database } from '@quarry/db';
import type { ObjectStorage } from '@quarry/storage';
import { commitAttachments, discardAttachments, storeAttachments } from './attachments.js';
import type { ChunkOptions } from './chunk.js';
import type { IsolatedExtractor } from './extract/isolated.js';
import type { JobQueue } from './queue.js';
import type { EmbeddingSpace } from './spaces.js';
import { storePassages } from './store-passages.js';

export interface PipelineDeps {
  db: Database;
  storage: ObjectStorage;
  extractor: IsolatedExtractor;
  queue: JobQueue;
  chunk: ChunkOptions;
  /** PostgreSQL text-search configuration for `passages.tsv`. */
  language: string;
  /** Files larger than this are refused even if stored (uploads are limited too). */
  maxBytes: number;
}

export interface IngestTimings {
  readMs: number;
  extractMs: number;
  splitMs: number;
  insertMs: number;
}

export interface IngestOutcome {
  status: 'ready' | 'gone';
  passageCount?: number;
  pageCount?: number | null;
  timings?: IngestTimings;
}

/** The document was deleted while it was being processed. */
class DocumentGone extends Error {}

const EXTRACT_DEADLINE_MARGIN_MS = 1_000;

async function readAll(stream: NodeJS.ReadableStream, max: number, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    signal.throwIfAborted();
    total += chunk.length;
    if (total > max) throw new Error(`the stored file is larger than the ${Math.round(max / 1048576)} MB limit`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

export async function ingestDocument(deps: PipelineDeps, documentId: string, signal: AbortSignal, deadline: number): Promise<IngestOutcome> {
  const { db } = deps;
  const [doc] = await db
    .update(documents)
    .set({ status: 'processing', error: null, updatedAt: new Date() })
    .where(eq(documents.id, documentId))
    .returning();
  if (!doc) return { status: 'gone' };

  const t0 = performance.now();
  const object = await deps.storage.get(doc.storageKey);
  const bytes = await readAll(object.stream, deps.maxBytes, signal);
  const t1 = performance.now();

  // Extracting and splitting both run in the extraction process, never on this event loop. Its own deadline
  // comes a second before the job's, so a document too slow to parse fails once with that reason.
  // What the extraction says it is doing ("OCR page 3 of 40") is shown on the document; the writes are
  // serialised (one at a time, the latest wins) and never fail the job.
  let progressWrite: Promise<unknown> = Promise.resolve();
  const onProgress = (message: string) => {
    progressWrite = progressWrite
      .then(() => db.update(documents).set({ progress: message }).where(eq(documents.id, documentId)))
      .catch(() => {});
  };
  const extracted = await deps.extractor
    .extractPassages(bytes, doc.mimeType, {
      chunk: deps.chunk,
      timeoutMs: Math.max(1_000, deadline - Date.now() - EXTRACT_DEADLINE_MARGIN_MS),
      signal,
      onProgress,
    })
    .finally(() => progressWrite);
  const t3 = performance.now();
  const t2 = t3 - extracted.splitMs;
  const chunks = extracted.passages;

  signal.throwIfAborted();
  const attachments = await storeAttachments(db, deps.storage, doc, extracted.attachments ?? [], signal);
  let uncommitted = attachments;

  try {
    await db.transaction(async (tx) => {
      // Lock the row: a concurrent delete waits, or has already removed it.
      const [still] = await tx.select({ id: documents.id }).from(documents).where(eq(documents.id, documentId)).for('update');
      if (!still) throw new DocumentGone();
      await tx.delete(passages).where(eq(passages.documentId, documentId));
      await storePassages(tx as unknown as Database, { documentId, workspaceId: doc.workspaceId, language: deps.language, passages: chunks });
      await tx
        .update(documents)
        .set({
          status: 'ready',
          error: null,
          progress: null,
          passageCount: chunks.length,
          pageCount: extracted.pageCount ?? null,
          ocrPages: extracted.ocrPages ?? [],
          updatedAt: new Date(),
        })
        .where(eq(documents.id, documentId));
      if (chunks.length > 0) await deps.queue.enqueue({ kind: 'embed', payload: { documentId }, documentId }, tx as unknown as Database);
      uncommitted = await commitAttachments(tx as unknown as Database, deps.queue, doc, attachments);
    });
  } catch (error) {
    uncommitted = attachments;
    if (error instanceof DocumentGone) return { status: 'gone' };
    throw error;
  } finally {
    await discardAttachments(deps.storage, uncommitted);
  }
  const t4 = performance.now();
  return {
    status: 'ready',
    passageCount: chunks.length,
    pageCount: extracted.pageCount ?? null,
    timings: { readMs: t1 - t0, extractMs: t2 - t1, splitMs: t3 - t2, insertMs: t4 - t3 },
  };
}

/** Passages embedded per round: small, so a slice ends soon after its time is up and ingest jobs get in. */
const EMBED_BATCH = 16;

export interface EmbedSliceOutcome {
  embedded: number;
  /** No passage of the document lacks a vector in the space (or the document is gone). */
  complete: boolean;
}

/**
 * Embeds the document's passages that have no vector in `space` yet, for up to
 * `sliceMs`. Each batch is committed on its own: a crash loses at most one batch.
 */
export async function embedDocumentSlice(
  deps: { db: Database; embedder: Embedder; space: EmbeddingSpace },
  documentId: string,
  sliceMs: number,
  signal: AbortSignal,
): Promise<EmbedSliceOutcome> {
  const { db, embedder, space } = deps;
  const ends = Date.now() + sliceMs;
  let embedded = 0;
  // Bounded: a document cannot have more batches than passages.
  for (let round = 0; round < 1_000_000; round++) {
    signal.throwIfAborted();
    const batch = await queryRows<{ id: string; workspace_id: string; text: string }>(
      db,
      sql`SELECT p.id, p.workspace_id, p.text FROM passages p
          WHERE p.document_id = ${documentId}::uuid
            AND NOT EXISTS (SELECT 1 FROM passage_embeddings e WHERE e.space_id = ${space.id} AND e.passage_id = p.id)
          ORDER BY p.ordinal LIMIT ${EMBED_BATCH}`,
    );
    if (batch.length === 0) return { embedded, complete: true };
    const vectors = await embedder.embed(
      batch.map((p) => p.text),
      'passage',
      signal,
    );
    // INSERT … SELECT from passages: a passage deleted meanwhile (document deleted or re-indexed) is skipped, not an error.
    await db.execute(
      sql`INSERT INTO passage_embeddings (passage_id, space_id, workspace_id, embedding)
          SELECT p.id, ${space.id}, p.workspace_id, v.embedding::vector
          FROM json_to_recordset(${JSON.stringify(batch.map((b, i) => ({ id: b.id, embedding: `[${vectors[i]!.join(',')}]` })))}::json)
               AS v(id uuid, embedding text)
          JOIN passages p ON p.id = v.id
          ON CONFLICT DO NOTHING`,
    );
    embedded += batch.length;
    if (Date.now() >= ends) return { embedded, complete: false };
  }
  return { embedded, complete: false };
}

export async function markDocumentFailed(db: Database, documentId: string, reason: string): Promise<void> {
  await db.update(documents).set({ status: 'failed', error: reason.slice(0, 500), progress: null, updatedAt: new Date() }).where(eq(documents.id, documentId));
}

export async function markDocumentQueued(db: Database, documentId: string): Promise<void> {
  await db.update(documents).set({ status: 'queued', progress: null, updatedAt: new Date() }).where(eq(documents.id, documentId));
}
