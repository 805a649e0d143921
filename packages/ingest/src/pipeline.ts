/**
 * One document, start to finish: read the stored bytes, extract, split into
 * passages, embed, then replace the document's passages and vectors in one
 * transaction and mark it ready. Steps are timed for the benchmark.
 */
import { eq, sql } from 'drizzle-orm';
import type { Embedder } from '@quarry/ai';
import { documents, passageEmbeddings, passages, type Database } from '@quarry/db';
import type { ObjectStorage } from '@quarry/storage';
import type { ChunkOptions } from './chunk.js';
import type { IsolatedExtractor } from './extract/isolated.js';
import type { EmbeddingSpace } from './spaces.js';

export interface PipelineDeps {
  db: Database;
  storage: ObjectStorage;
  extractor: IsolatedExtractor;
  embedder: Embedder;
  space: () => EmbeddingSpace;
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
  embedMs: number;
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

const EMBED_BATCH = 64;
const INSERT_BATCH = 250;
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
  const extracted = await deps.extractor.extractPassages(bytes, doc.mimeType, {
    chunk: deps.chunk,
    timeoutMs: Math.max(1_000, deadline - Date.now() - EXTRACT_DEADLINE_MARGIN_MS),
    signal,
  });
  const t3 = performance.now();
  const t2 = t3 - extracted.splitMs;
  const chunks = extracted.passages;

  const space = deps.space();
  const vectors: number[][] = [];
  for (let i = 0; i < chunks.length; i += EMBED_BATCH) {
    signal.throwIfAborted();
    vectors.push(...(await deps.embedder.embed(chunks.slice(i, i + EMBED_BATCH).map((c) => c.text), 'passage', signal)));
  }
  const t4 = performance.now();
  signal.throwIfAborted();

  try {
    await db.transaction(async (tx) => {
      // Lock the row: a concurrent delete waits, or has already removed it.
      const [still] = await tx.select({ id: documents.id }).from(documents).where(eq(documents.id, documentId)).for('update');
      if (!still) throw new DocumentGone();
      await tx.delete(passages).where(eq(passages.documentId, documentId));
      for (let i = 0; i < chunks.length; i += INSERT_BATCH) {
        const slice = chunks.slice(i, i + INSERT_BATCH);
        const ids = await tx
          .insert(passages)
          .values(
            slice.map((c) => ({
              documentId,
              workspaceId: doc.workspaceId,
              ordinal: c.ordinal,
              page: c.page,
              headingPath: c.headingPath,
              text: c.text,
              tokenCount: c.tokenCount,
              tsv: sql`to_tsvector(${deps.language}::regconfig, ${c.text})`,
            })),
          )
          .returning({ id: passages.id });
        await tx.insert(passageEmbeddings).values(
          ids.map((row, k) => ({ passageId: row.id, spaceId: space.id, workspaceId: doc.workspaceId, embedding: vectors[i + k]! })),
        );
      }
      await tx
        .update(documents)
        .set({ status: 'ready', error: null, passageCount: chunks.length, pageCount: extracted.pageCount ?? null, updatedAt: new Date() })
        .where(eq(documents.id, documentId));
    });
  } catch (error) {
    if (error instanceof DocumentGone) return { status: 'gone' };
    throw error;
  }
  const t5 = performance.now();
  return {
    status: 'ready',
    passageCount: chunks.length,
    pageCount: extracted.pageCount ?? null,
    timings: { readMs: t1 - t0, extractMs: t2 - t1, splitMs: t3 - t2, embedMs: t4 - t3, insertMs: t5 - t4 },
  };
}

export async function markDocumentFailed(db: Database, documentId: string, reason: string): Promise<void> {
  await db.update(documents).set({ status: 'failed', error: reason.slice(0, 500), updatedAt: new Date() }).where(eq(documents.id, documentId));
}

export async function markDocumentQueued(db: Database, documentId: string): Promise<void> {
  await db.update(documents).set({ status: 'queued', updatedAt: new Date() }).where(eq(documents.id, documentId));
}
