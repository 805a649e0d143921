
/**
 * `quarry` — serve (default), migrate. Configuration errors print one line that
 * names the variable and the fix, and exit 1.
 */
import { ConfigError, loadConfig } from '@quarry/config';
import { AppRoleError, DataDirLockedError, ensureAppRole, MigrationsPendingError, openDatabase, runMigrations } from '@quarry/db';
import { runAdminCommand } from './admin-command.js';
import { runDoctor } from './doctor/index.js';
import { createLogger } from './logger.js';
import { serve } from './serve.js';
import { runWorker } from './worker-command.js';

const usage = `Usage: quarry [command]

Commands:
  serve      run the web server (default)
  migrate    apply database migrations (as the owner) and exit; with DATABASE_APP_ROLE, also create/grant the app's role
  worker     run the ingest worker alone (PostgreSQL; pair with INGEST_CONCURRENCY=0 on serve)
  admin      admin create --email <e-mail> [--name <name>] [--password-stdin]
  doctor     check docker/.env and this host before the first \`docker compose up\` (--env, --online)
  help       show this help`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'serve';
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(usage);
    return 0;
  }
  // Before loadConfig: the doctor reads a .env file and the host, not this process's environment.
  if (command === 'doctor') return runDoctor(argv.slice(1));
  const config = loadConfig(undefined, command === 'migrate' ? { command: 'migrate' } : {});
  const logger = createLogger({ level: config.logLevel, pretty: config.env === 'development' && process.stdout.isTTY });
  switch (command) {
    case 'serve':
      await serve(config, logger);
      return -1; // keeps running until a signal
    case 'migrate': {
      const database = await openDatabase(config.database);
      try {
        const result = await runMigrations(database, config.database);
        console.log(`migrations: ${result.applied} applied, ${result.total} in total`);
        if (config.appRole && config.database.kind === 'postgres') {
          const role = await ensureAppRole(config.database.url, config.appRole);
          console.log(
            `app role ${role.role}: ${role.created ? 'created' : 'exists, password set'}; granted DML on the tables, INSERT and SELECT only on audit_events; owns nothing (owner: ${role.owner})`,
          );
        }
      } finally {
        await database.close();
      }
      return 0;
    }
    case 'worker':
      return runWorker(config, logger);
    case 'admin':
      return runAdminCommand(argv.slice(1), config, logger);
    default:
      console.error(`quarry: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof DataDirLockedError || error instanceof MigrationsPendingError || error instanceof AppRoleError) {
      console.error(`quarry: ${error.message}`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`quarry: start-up failed: ${message}`);
    }
    process.exit(1);
  },
);
