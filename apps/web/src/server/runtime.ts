/**
 * Wires configuration to adapters and services: opens the database, applies
 * migrations, and hands out what the HTTP layer and workers need. Start-up
 * order matters: the DATA_DIR lock and migrations come before anything serves.
 */
import type { Config } from '@quarry/config';
import { openDatabase, runMigrations, type DatabaseHandle } from '@quarry/db';
import type { Logger } from './logger.js';
import { createServices, type Services } from './services/index.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  services: Services;
  close(): Promise<void>;
}

export async function startRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const database = await openDatabase(config.database);
  try {
    const started = performance.now();
    const result = await runMigrations(database, config.database);
    logger.info(
      { driver: database.kind, applied: result.applied, total: result.total, ms: Math.round(performance.now() - started) },
      'database ready',
    );
  } catch (error) {
    await database.close();
    throw error;
  }
  const services = createServices(config, database.db);
  return {
    config,
    logger,
    database,
    services,
    close: () => database.close(),
  };
}
