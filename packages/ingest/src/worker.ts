/**
 * The ingest worker: polls the queue (and wakes at once on `notify()`, or on PostgreSQL on
 * NOTIFY quarry_jobs from another process: migration 0009), runs
 * up to `concurrency` jobs, renews their leases while they run, and bounds
 * each document by `timeoutMs`. It runs inside `quarry serve` and alone as
 * `quarry worker`. One job's failure never stops the loop.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Embedder } from '@quarry/ai';
import { EmbeddingProviderError, isMiniLmModel } from '@quarry/ai';
import type { ChunkOptions } from './chunk.js';
import { ensureVectorIndex, passageEmbeddings, PGLITE_VECTOR_INDEX_MIN_VECTORS, type Database, type Listener } from '@quarry/db';
// Embedded mode: the worker's database calls wait behind HTTP requests' (issue 14 item 7).
import { runInBackgroundLane } from '@quarry/db';
import type { ObjectStorage } from '@quarry/storage';
import { ObjectNotFoundError } from '@quarry/storage';
import { IsolatedExtractor } from './extract/isolated.js';
import { ExtractionError, defaultExtractLimits, type ExtractLimits } from './extract/types.js';
import { embedDocumentSlice, ingestDocument, markDocumentFailed, markDocumentQueued, type IngestTimings } from './pipeline.js';
import { backoffMs, createJobQueue, type Job, type JobQueue } from './queue.js';
import { activateIfComplete, passagesMissingVectors, prepareEmbeddingSpace, type EmbeddingSpace } from './spaces.js';
import { sweepOrphanObjects } from './orphans.js';
import { failureReason } from './failure-reason.js';

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
  /**
   * PostgreSQL: LISTEN for NOTIFY (the database handle's `listen`), so a job another process enqueues is
   * claimed at once; the poll stays as the fallback (and covers a listener that is reconnecting).
   */
  listen?: (channel: string, onNotify: () => void) => Promise<Listener>;
  retryBaseMs?: number;
  extractLimits?: ExtractLimits;
  /**
   * Memory ceiling of one extraction process (heap, buffers and native memory; default 384 MB). One process
   * runs per concurrent job, so extraction never takes more than `concurrency` × this.
   */
  extractMemoryMb?: number;
  /** How long one re-embedding slice runs before yielding to other jobs. */
  reembedSliceMs?: number;
  /** How long one document's embedding slice runs before it yields to other jobs. Default 5 s. */
  embedSliceMs?: number;
  /** Called after each ingested (keyword-searchable) document (benchmarks). */
  onIngested?: (documentId: string, timings: IngestTimings) => void;
  /** Called when a document's last vector is stored (benchmarks); `embedMs` is the last slice's time. */
  onEmbedded?: (documentId: string, info: { embedMs: number; passages: number }) => void;
}

/** The channel migration 0009's trigger notifies when a job becomes due. */
export const JOBS_CHANNEL = 'quarry_jobs';

const noopLogger: WorkerLogger = { info() {}, warn() {}, error() {} };

/** Turns any error into a sentence fit for the document's `error` field. */
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
      if (this.options.listen) {
        try {
          this.listener = await this.options.listen(JOBS_CHANNEL, () => this.notify());
        } catch (error) {
          this.logger.warn({ err: (error as Error).message, pollMs: this.pollMs }, 'cannot LISTEN for new jobs; polling only');
        }
      }
      this.loopDone = this.loop();
      const sweep = () =>
        runInBackgroundLane(() => sweepOrphanObjects(this.options.db, this.options.storage)).then(
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
  private listener: Listener | undefined;

  /** Wakes the loop now (after an upload) instead of at the next poll. */
  notify(): void {
    this.wakeRequested = true;
    this.wake?.();
  }

  /** A wake-up that came while the loop was claiming (no `wake` to call): the loop claims again at once. */
  private wakeRequested = false;

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.wakeRequested = false;
      try {
        await this.tick();
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, 'ingest queue poll failed');
      }
      if (this.stopping) break;
      if (this.wakeRequested) continue;
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
      const claimed = await runInBackgroundLane(() => this.queue.claim(free, this.leaseMs));
      for (const job of claimed) this.launch(job);
      return claimed.length;
    } finally {
      this.ticking = false;
    }
  }

  private launch(job: Job): void {
    const controller = new AbortController();
    // Everything the job starts (its lease renewals too) inherits the lane.
    const done = runInBackgroundLane(() => this.run(job, controller)).finally(() => {
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
    const isEmbed = job.kind === 'embed';
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
      if (isEmbed) {
        await this.embed(job, documentId, controller.signal);
        return;
      }
      const outcome = await ingestDocument(
        {
          db,
          storage: this.options.storage,
          extractor: this.extractor,
          queue: this.queue,
          chunk: this.chunkOptions(),
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
        await this.refreshPlannerStatistics(outcome.passageCount ?? 0);
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

  /**
   * Passages sized for the embedder: CHUNK_TOKENS, capped at what the model embeds (its limit less
   * [CLS] and [SEP]), counted with its own tokenizer when Quarry has it (MiniLM), else approximately.
   */
  private chunkOptions(): ChunkOptions {
    const { embedder, chunkTokens, chunkOverlap } = this.options;
    const own = embedder.space.provider === 'local' && isMiniLmModel(embedder.space.model);
    const limit = embedder.maxTokens !== undefined ? embedder.maxTokens - 2 : Number.POSITIVE_INFINITY;
    return { maxTokens: Math.min(chunkTokens, limit), overlap: chunkOverlap, tokenizer: own ? 'minilm' : 'approximate' };
  }

  private passagesSinceAnalyze = 0;
  private passagesAtAnalyze = 0;
  private analyzedAt = 0;

  /**
   * PGlite has no autovacuum, so nothing ever ANALYZEs its tables: the planner then
   * guesses row counts from nothing and picks plans 4–5× slower for search (measured on
   * CISI, docs/benchmarks.md). Re-analyse when the passages grew by a tenth (at least 200),
   * at most every 5 s: statistics stay fresh while a growing table is analysed ever more rarely.
   * PostgreSQL's autovacuum does the same by itself.
   */
  private async refreshPlannerStatistics(newPassages: number): Promise<void> {
    if (this.options.driver !== 'pglite') return;
    this.passagesSinceAnalyze += newPassages;
    if (this.passagesSinceAnalyze < Math.max(200, this.passagesAtAnalyze / 10) || Date.now() - this.analyzedAt < 5_000) return;
    const started = performance.now();
    try {
      await this.options.db.execute(sql`ANALYZE passages, documents, passage_embeddings, search_terms, search_stats, jobs`);
      this.passagesAtAnalyze += this.passagesSinceAnalyze;
      this.passagesSinceAnalyze = 0;
      this.analyzedAt = Date.now();
      this.logger.info({ ms: Math.round(performance.now() - started) }, 'planner statistics refreshed');
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not refresh planner statistics');
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
    const reason = failureReason(controller.signal.aborted ? controller.signal.reason : error);
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

  /**
   * One slice of a document's vectors (the document is already keyword-searchable); the job
   * comes back later until every passage has its vector in the configured space.
   */
  private async embed(job: Job, documentId: string, signal: AbortSignal): Promise<void> {
    const space = this.space;
    if (!space) throw new Error('no embedding space prepared');
    const started = performance.now();
    const outcome = await embedDocumentSlice(
      { db: this.options.db, embedder: this.options.embedder, space },
      documentId,
      this.options.embedSliceMs ?? 5_000,
      signal,
    );
    if (!outcome.complete) {
      await this.queue.continueLater(job.id);
      return;
    }
    await this.queue.complete(job.id);
    this.options.onEmbedded?.(documentId, { embedMs: performance.now() - started, passages: outcome.embedded });
    this.logger.info({ document: documentId, vectors: outcome.embedded }, 'document vectors ready');
    // A failed index build is retried after the next document.
    await this.buildDeferredVectorIndex().catch((e: unknown) => this.logger.warn({ err: (e as Error).message }, 'could not build the vector index yet'));
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
    await this.listener?.close();
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
