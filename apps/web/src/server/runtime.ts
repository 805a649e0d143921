/**
 * Wires configuration to adapters and services: opens the database, applies
 * migrations, and hands out what the HTTP layer and workers need. Start-up
 * order matters: the DATA_DIR lock and migrations come before anything serves.
 */
import type { Config } from '@quarry/config';
import { createEmbedder, type Embedder } from '@quarry/ai';
import { openDatabase, runMigrations, type DatabaseHandle } from '@quarry/db';
import { IngestWorker } from '@quarry/ingest';
import { assertDurableFileStorage, createStorage, sweepFsTemp, type ObjectStorage } from '@quarry/storage';
import { databaseTarget } from './database-target.js';
import type { Logger } from './logger.js';
import { createServices, type Services } from './services/index.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  services: Services;
  storage: ObjectStorage;
  embedder: Embedder;
  /** The ingest worker (claims jobs unless INGEST_CONCURRENCY=0; always owns queue counts). */
  worker: IngestWorker;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Ingest options for tests and benchmarks (lease, poll, back-off). */
  ingest?: Partial<Pick<ConstructorParameters<typeof IngestWorker>[0], 'leaseMs' | 'pollMs' | 'retryBaseMs' | 'extractLimits' | 'onIngested' | 'onEmbedded' | 'embedSliceMs'>>;
  embedderTuning?: Parameters<typeof createEmbedder>[1];
  /** The database, already opening (`quarry serve` starts it while the server's code loads); by default opened here. */
  database?: Promise<DatabaseHandle>;
  /** Wraps the ingest worker's embedder (tests hold it back to watch keyword-first indexing). */
  wrapEmbedder?: (embedder: Embedder) => Embedder;
}

export async function startRuntime(config: Config, logger: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  try {
    // Files must never land in a container's writable layer (throws with the fix).
    assertDurableFileStorage({ production: config.production, storage: config.storage, dataDir: config.dataDir });
  } catch (error) {
    await options.database?.then((d) => d.close()).catch(() => {});
    throw error;
  }
  const database = await (options.database ?? openDatabase(databaseTarget(config, logger)));
  try {
    const started = performance.now();
    const result = await runMigrations(database, config.database);
    logger.info(
      {
        driver: database.kind,
        applied: result.applied,
        total: result.total,
        ms: Math.round(performance.now() - started),
        ...(database.seededFrom ? { fromTemplate: { migrations: database.seededFrom.migrations.length } } : {}),
      },
      database.seededFrom ? 'database ready (a fresh DATA_DIR, copied from the pre-initialised cluster)' : 'database ready',
    );
  } catch (error) {
    await database.close();
    throw error;
  }
  const storage = createStorage(config.storage);
  if (config.storage.driver === 'fs') {
    // Partial files a crash left mid-write (`.tmp/*.part`). With the embedded database this process holds
    // the DATA_DIR lock, so no other writer exists: all go. With PostgreSQL another replica may share the
    // directory: only files untouched for 15 minutes (a live upload keeps touching its file).
    const swept = await sweepFsTemp(config.storage.dir, config.database.kind === 'pglite' ? 0 : 15 * 60_000).catch(() => 0);
    if (swept > 0) logger.info({ files: swept }, 'removed partial files left by an interrupted upload');
  }
  let worker: IngestWorker | undefined;
  const services = createServices(config, database.db, { storage, logger, onDocumentQueued: () => worker?.notify() });
  let embedder: Embedder;
  try {
    embedder = await createEmbedder(config.ai, options.embedderTuning);
    if (embedder.status?.fallbackReason) logger.warn({ embedder: embedder.status }, 'the default embedding model cannot run here; using the fallback');
    else logger.info({ embedder: embedder.space }, 'embedder chosen');
    const chosen = embedder;
    services.system.useEmbedder(() => chosen.status);
    worker = new IngestWorker({
      db: database.db,
      driver: database.kind,
      storage,
      embedder: options.wrapEmbedder ? options.wrapEmbedder(embedder) : embedder,
      logger,
      concurrency: config.ingest.concurrency,
      maxAttempts: config.ingest.maxAttempts,
      timeoutMs: config.ingest.timeoutMs,
      chunkTokens: config.ingest.chunkTokens,
      chunkOverlap: config.ingest.chunkOverlap,
      language: config.search.language,
      maxBytes: config.uploads.maxBytes,
      // PostgreSQL: woken by NOTIFY when another process (web, another worker) enqueues.
      listen: database.listen?.bind(database),
      ...options.ingest,
    });
    await worker.start();
  } catch (error) {
    await database.close();
    throw error;
  }
  const ingestWorker = worker;
  return {
    config,
    logger,
    database,
    services,
    storage,
    embedder,
    worker: ingestWorker,
    close: async () => {
      await ingestWorker.stop(Math.min(5_000, config.shutdownTimeoutMs));
      await database.close();
    },
  };
}
