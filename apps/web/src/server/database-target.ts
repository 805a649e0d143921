/**
 * The database `config` names, with the embedded database's disk-full reports
 * going to the log. Kept apart from `runtime.ts` so `quarry serve` can start
 * opening the database before it loads the rest of the server (cli.ts).
 */
import type { Config } from '@quarry/config';
import type { DatabaseTarget } from '@quarry/db';
import type { Logger } from './logger.js';

export function databaseTarget(config: Config, logger: Logger): DatabaseTarget {
  return config.database.kind === 'pglite'
    ? {
        ...config.database,
        onDiskFull: (reason) => logger.error({ reason }, 'embedded database stopped writing: disk full; it reopens once space is freed'),
        onRecovered: () => logger.info('embedded database reopened after the disk had room again'),
      }
    : config.database;
}
