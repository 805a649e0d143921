/**
 * `quarry serve`: start the runtime, listen, and on SIGTERM/SIGINT shut down
 * gracefully — finish in-flight requests (bounded), close the database, exit 0.
 */
import type { Config } from '@quarry/config';
import type { DatabaseHandle } from '@quarry/db';
import { createHttpApp } from './http/app.js';
import { listen } from './http/listen.js';
import { mountApi } from './http/routes/index.js';
import { findUiDir, serveUi } from './http/ui.js';
import type { Logger } from './logger.js';
import { startRuntime } from './runtime.js';

export async function serve(config: Config, logger: Logger, options: { database?: Promise<DatabaseHandle> } = {}): Promise<void> {
  const runtime = await startRuntime(config, logger, { database: options.database });
  const uiDir = findUiDir();
  if (!uiDir) logger.warn('the web UI is not built (run `npm run build`); serving the API only');
  const app = createHttpApp({
    logger,
    ui: uiDir ? serveUi(uiDir) : undefined,
    mount: mountApi(runtime.services),
    health: {
      // Health passes how long it tolerates silence: a queue of slow queries is busy, not down.
      pingDatabase: (timeoutMs) => runtime.database.ping(timeoutMs),
      ...(runtime.database.activeMs ? { databaseActiveMs: () => runtime.database.activeMs!() } : {}),
      storage: () => runtime.storage.check(),
      queue: () => runtime.worker.queue.counts(5_000),
      embedder: () => runtime.embedder.status,
    },
  });
  const http = await listen(app.fetch, { host: config.host, port: config.port, shutdownTimeoutMs: config.shutdownTimeoutMs });
  logger.info({ host: config.host, port: http.port, url: config.publicUrl }, 'quarry is listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const { forced } = await http.close();
    if (forced) logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight requests were cut after the shutdown timeout');
    await runtime.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
