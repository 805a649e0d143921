/**
 * The ingest worker: polls the queue (and wakes at once on `notify()`), runs
 * up to `concurrency` jobs, renews their leases while they run, and bounds
 * each document by `timeoutMs`. It runs inside `quarry serve` and alone as
 * `quarry worker`. One job's failure never stops the loop.
 */
import { randomUUID } from 'node:crypto';
import type { Embedder } from '@quarry/ai';
import { EmbeddingProviderError } from '@quarry/ai';
import { ensureVectorIndex, passageEmbeddings, PGLITE_VECTOR_INDEX_MIN_VECTORS, type Database } from '@quarry/db';
import type { ObjectStorage } from '@quarry/storage';
import { ObjectNotFoundError } from '@quarry/storage';
import { IsolatedExtractor } from './extract/isolated.js';
import { ExtractionError, defaultExtractLimits, type ExtractLimits } from './extract/types.js';
import { ingestDocument, markDocumentFailed, markDocumentQueued, type IngestTimings } from './pipeline.js';
import { backoffMs, createJobQueue, type Job, type JobQueue } from './queue.js';
import { activateIfComplete, passagesMissingVectors, prepareEmbeddingSpace, type EmbeddingSpace } from './spaces.js';
import { sweepOrphanObjects } from './orphans.js';

export interface WorkerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface IngestWorkerOptions {
  db: Database;
  /** 'pglite' means only this process can hold the database: running jobs found at start are abandoned. */
  driver: 'pglite' | 'postgres';
  storage: ObjectStorage;
  embedder: Embedder;
  logger?: WorkerLogger;
  concurrency: number;
  maxAttempts: number;
  timeoutMs: number;
  chunkTokens: number;
  chunkOverlap: number;
  language: string;
  maxBytes: number;
  /** Lease length; renewed every third of it while a job runs. Default 60 s. */
  leaseMs?: number;
  pollMs?: number;
  retryBaseMs?: number;
  extractLimits?: ExtractLimits;
  /**
   * Memory ceiling of one extraction process (heap, buffers and native memory; default 384 MB). One process
   * runs per concurrent job, so extraction never takes more than `concurrency` × this.
   */
  extractMemoryMb?: number;
  /** How long one re-embedding slice runs before yielding to other jobs. */
  reembedSliceMs?: number;
  /** Called after each ingested document (benchmarks). */
  onIngested?: (documentId: string, timings: IngestTimings) => void;
}

const noopLogger: WorkerLogger = { info() {}, warn() {}, error() {} };

/** Turns any error into a sentence fit for the document's `error` field. */
function reasonOf(error: unknown): string {
  if (error instanceof ExtractionError) return error.message.charAt(0).toUpperCase() + error.message.slice(1) + '.';
  if (error instanceof ObjectNotFoundError) return 'The stored file is missing.';
  if (error instanceof EmbeddingProviderError) return `Embedding failed: ${error.message}.`;
  const message = error instanceof Error ? error.message : String(error);
  return `Processing failed: ${message.slice(0, 300)}.`;
}

export class IngestWorker {
  readonly queue: JobQueue;
  private readonly logger: WorkerLogger;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly extractor: IsolatedExtractor;
  private space: EmbeddingSpace | undefined;
  private readonly indexedSpaces = new Set<number>();
  private running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopping = false;
  private ticking = false;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  readonly id = randomUUID().slice(0, 8);

  constructor(private readonly options: IngestWorkerOptions) {
    this.queue = createJobQueue(options.db, { defaultMaxAttempts: options.maxAttempts });
    this.logger = options.logger ?? noopLogger;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.extractor = new IsolatedExtractor({ limits: options.extractLimits ?? defaultExtractLimits, maxMemoryMb: options.extractMemoryMb });
  }

  /** The configured embedder's space (prepared at start). */
  get embeddingSpace(): EmbeddingSpace | undefined {
    return this.space;
  }

  /** Prepares the embedding space; recovers abandoned jobs; starts polling (unless concurrency is 0). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.space = await prepareEmbeddingSpace(this.options.db, this.queue, this.options.embedder.space, this.vectorIndexPolicy());
    if (this.options.driver === 'pglite') {
      const n = await this.queue.recoverAbandoned();
      if (n > 0) this.logger.warn({ jobs: n }, 'jobs left running by a previous process are due again');
    }
    this.logger.info(
      { worker: this.id, concurrency: this.options.concurrency, space: { id: this.space.id, ...this.options.embedder.space, status: this.space.status } },
      'ingest worker started',
    );
    if (this.options.concurrency > 0) {
      this.loopDone = this.loop();
      const sweep = () =>
        sweepOrphanObjects(this.options.db, this.options.storage).then(
          (n) => n > 0 && this.logger.info({ deleted: n }, 'orphaned stored objects removed'),
          (error: unknown) => this.logger.warn({ err: (error as Error).message }, 'orphan sweep failed'),
        );
      this.sweepTimer = setTimeout(() => void sweep(), 30_000);
      this.sweepTimer.unref();
      const interval = setInterval(() => void sweep(), 6 * 60 * 60_000);
      interval.unref();
      this.sweepInterval = interval;
    }
  }

  private sweepInterval: NodeJS.Timeout | undefined;

  /** Wakes the loop now (after an upload) instead of at the next poll. */
  notify(): void {
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.tick();
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, 'ingest queue poll failed');
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.pollMs);
      });
      clearTimeout(this.timer);
      this.wake = undefined;
    }
  }

  /** Claims as many jobs as there are free slots and starts them. */
  async tick(): Promise<number> {
    if (this.ticking || this.stopping) return 0;
    this.ticking = true;
    try {
      const free = this.options.concurrency - this.running.size;
      if (free <= 0) return 0;
      const claimed = await this.queue.claim(free, this.leaseMs);
      for (const job of claimed) this.launch(job);
      return claimed.length;
    } finally {
      this.ticking = false;
    }
  }

  private launch(job: Job): void {
    const controller = new AbortController();
    const done = this.run(job, controller).finally(() => {
      this.running.delete(job.id);
      this.notify();
    });
    this.running.set(job.id, { controller, done });
  }

  private async run(job: Job, controller: AbortController): Promise<void> {
    const { db } = this.options;
    const renew = setInterval(() => {
      this.queue.renew(job.id, this.leaseMs).catch(() => {});
    }, Math.max(100, Math.floor(this.leaseMs / 3)));
    const isReembed = job.kind === 'reembed';
    const timeoutMs = isReembed ? (this.options.reembedSliceMs ?? 30_000) + this.options.timeoutMs : this.options.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    const timeout = setTimeout(() => controller.abort(new Error(`processing took longer than ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    const started = performance.now();
    try {
      if (job.attempts > job.maxAttempts) {
        // Claimed again after its lease ran out too often: the process keeps dying on it.
        throw new ExtractionError(`processing was interrupted ${job.attempts - 1} times (the worker stopped or crashed while working on it)`);
      }
      if (isReembed) {
        await this.reembed(job, controller.signal);
        return;
      }
      const documentId = job.documentId ?? String(job.payload.documentId);
      const outcome = await ingestDocument(
        {
          db,
          storage: this.options.storage,
          extractor: this.extractor,
          embedder: this.options.embedder,
          space: () => this.space!,
          chunk: { maxTokens: this.options.chunkTokens, overlap: this.options.chunkOverlap },
          language: this.options.language,
          maxBytes: this.options.maxBytes,
        },
        documentId,
        controller.signal,
        deadline,
      );
      await this.queue.complete(job.id);
      if (outcome.status === 'ready') {
        this.logger.info(
          { document: documentId, passages: outcome.passageCount, pages: outcome.pageCount, ms: Math.round(performance.now() - started) },
          'document ready',
        );
        if (outcome.timings) this.options.onIngested?.(documentId, outcome.timings);
        // The document is ready either way; a failed index build is retried after the next one.
        await this.buildDeferredVectorIndex().catch((e: unknown) =>
          this.logger.warn({ err: (e as Error).message }, 'could not build the vector index yet'),
        );
      }
    } catch (error) {
      await this.handleFailure(job, error, controller).catch((e: unknown) =>
        this.logger.error({ job: job.id, err: (e as Error).message }, 'could not record a job failure'),
      );
    } finally {
      clearInterval(renew);
      clearTimeout(timeout);
    }
  }

  /** On PGlite the space's HNSW index waits until the space is large enough to need it. */
  private vectorIndexPolicy(): { minVectors?: number } {
    return this.options.driver === 'pglite' ? { minVectors: PGLITE_VECTOR_INDEX_MIN_VECTORS } : {};
  }

  private async buildDeferredVectorIndex(): Promise<void> {
    const space = this.space;
    if (!space || space.status !== 'active' || this.indexedSpaces.has(space.id) || this.options.driver !== 'pglite') return;
    const started = performance.now();
    if (await ensureVectorIndex(this.options.db, space, this.vectorIndexPolicy())) {
      this.indexedSpaces.add(space.id);
      const ms = Math.round(performance.now() - started);
      if (ms > 1000) this.logger.info({ space: space.id, ms }, 'built the vector index for the embedding space');
    }
  }

  private async handleFailure(job: Job, error: unknown, controller: AbortController): Promise<void> {
    const documentId = job.documentId ?? (job.payload.documentId as string | undefined);
    if (this.stopping && controller.signal.aborted) {
      await this.queue.release(job.id);
      if (documentId) await markDocumentQueued(this.options.db, documentId);
      return;
    }
    const permanent =
      error instanceof ExtractionError ||
      error instanceof ObjectNotFoundError ||
      (error instanceof EmbeddingProviderError && !error.transient);
    const reason = reasonOf(controller.signal.aborted ? controller.signal.reason : error);
    if (permanent || job.attempts >= job.maxAttempts) {
      await this.queue.fail(job.id, reason);
      if (documentId && job.kind === 'ingest') await markDocumentFailed(this.options.db, documentId, reason);
      this.logger.warn({ job: job.id, kind: job.kind, document: documentId, attempts: job.attempts, reason }, 'job failed');
      return;
    }
    const delay = backoffMs(job.attempts, this.options.retryBaseMs ?? 2_000);
    await this.queue.retry(job.id, reason, delay);
    if (documentId && job.kind === 'ingest') await markDocumentQueued(this.options.db, documentId);
    this.logger.warn({ job: job.id, kind: job.kind, document: documentId, attempts: job.attempts, retryInMs: delay, reason }, 'job will be retried');
  }

  /** One slice of re-embedding into a building space; re-enqueues itself until complete. */
  private async reembed(job: Job, signal: AbortSignal): Promise<void> {
    const { db } = this.options;
    const space = this.space;
    const spaceId = Number(job.payload.spaceId);
    if (!space || space.id !== spaceId || space.status !== 'building') {
      // Another configuration owns this space now; nothing to do.
      await this.queue.complete(job.id);
      return;
    }
    const sliceEnds = Date.now() + (this.options.reembedSliceMs ?? 30_000);
    let embedded = 0;
    for (let round = 0; round < 10_000 && Date.now() < sliceEnds; round++) {
      signal.throwIfAborted();
      const batch = await passagesMissingVectors(db, space.id, 128);
      if (batch.length === 0) break;
      const vectors = await this.options.embedder.embed(
        batch.map((p) => p.text),
        'passage',
        signal,
      );
      await db
        .insert(passageEmbeddings)
        .values(batch.map((p, i) => ({ passageId: p.id, spaceId: space.id, workspaceId: p.workspace_id, embedding: vectors[i]! })))
        .onConflictDoNothing();
      embedded += batch.length;
    }
    if (await activateIfComplete(db, space)) {
      this.space = { ...space, status: 'active', activatedAt: new Date() };
      await this.queue.complete(job.id);
      this.logger.info({ space: space.id, model: space.model, embedded }, 'embedding space active; the previous space was retired');
    } else {
      await this.queue.continueLater(job.id);
      this.logger.info({ space: space.id, embedded }, 're-embedding continues');
    }
  }

  /**
   * Stops claiming; gives running jobs `graceMs` to finish, then aborts them
   * and hands them back to the queue for the next process.
   */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.notify();
    clearTimeout(this.sweepTimer);
    clearInterval(this.sweepInterval);
    await this.loopDone;
    const all = [...this.running.values()];
    const finished = Promise.all(all.map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const expired = await Promise.race([
      finished.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (expired) {
      for (const r of all) r.controller.abort(new Error('worker stopping'));
      await finished;
    }
    await this.extractor.close();
  }

  /** Test and CLI helper: processes jobs until none are due (bounded by `maxMs`). */
  async drain(maxMs = 60_000): Promise<void> {
    const until = Date.now() + maxMs;
    while (Date.now() < until) {
      const claimed = await this.tick();
      if (claimed === 0 && this.running.size === 0) return;
      await Promise.race([...[...this.running.values()].map((r) => r.done), new Promise((r) => setTimeout(r, 50))]);
    }
    throw new Error(`queue not drained within ${maxMs} ms`);
  }
}
