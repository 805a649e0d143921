/**
 * `quarry worker`: the ingest worker without the web server, for a separate
 * process next to `quarry serve` (PostgreSQL only: an embedded PGlite
 * database can be opened by one process). Run the web process with
 * INGEST_CONCURRENCY=0 to leave all ingestion to workers.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '@quarry/config';
import type { Logger } from './logger.js';
import { startRuntime } from './runtime.js';

/**
 * A worker serves no HTTP, so its health is a file: rewritten every 10 s after the queue answered (the
 * database is reachable and the process is not stuck). The compose health check requires it to be
 * younger than 30 s.
 */
export const WORKER_HEARTBEAT_FILE = path.join(os.tmpdir(), 'quarry-worker.heartbeat');
const HEARTBEAT_MS = 10_000;

export async function runWorker(config: Config, logger: Logger): Promise<number> {
  if (config.ingest.concurrency === 0) {
    console.error('quarry worker: INGEST_CONCURRENCY is 0 for this process; set it to 1 or more');
    return 2;
  }
  const runtime = await startRuntime(config, logger);
  logger.info({ concurrency: config.ingest.concurrency, driver: runtime.database.kind }, 'quarry worker running');
  const beat = async () => {
    try {
      const counts = await runtime.worker.queue.counts(5_000);
      writeFileSync(WORKER_HEARTBEAT_FILE, `${JSON.stringify({ at: new Date().toISOString(), counts })}\n`);
    } catch (error) {
      logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'worker heartbeat: the queue did not answer');
    }
  };
  await beat();
  const timer = setInterval(() => void beat(), HEARTBEAT_MS);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  clearInterval(timer);
  logger.info('worker stopping: running jobs get a few seconds, then go back to the queue');
  await runtime.close();
  return 0;
}
