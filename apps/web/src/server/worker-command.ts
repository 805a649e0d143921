/**
 * `quarry worker`: the ingest worker without the web server, for a separate
 * process next to `quarry serve` (PostgreSQL only: an embedded PGlite
 * database can be opened by one process). Run the web process with
 * INGEST_CONCURRENCY=0 to leave all ingestion to workers.
 */
import type { Config } from '@quarry/config';
import type { Logger } from './logger.js';
import { startRuntime } from './runtime.js';

export async function runWorker(config: Config, logger: Logger): Promise<number> {
  if (config.ingest.concurrency === 0) {
    console.error('quarry worker: INGEST_CONCURRENCY is 0 for this process; set it to 1 or more');
    return 2;
  }
  const runtime = await startRuntime(config, logger);
  logger.info({ concurrency: config.ingest.concurrency, driver: runtime.database.kind }, 'quarry worker running');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info('worker stopping: running jobs get a few seconds, then go back to the queue');
  await runtime.close();
  return 0;
}
