
/**
 * `quarry` — serve (default), migrate. Configuration errors print one line that
 * names the variable and the fix, and exit 1.
 *
 * Every command loads its own code when it runs (dynamic imports, split chunks in the bundle):
 * `help` and `doctor` never load the database drivers, better-auth or the HTTP server.
 */

const usage = `Usage: quarry [command]

Commands:
  serve      run the web server (default)
  migrate    apply database migrations (as the owner) and exit; with DATABASE_APP_ROLE, also create/grant the app's role
  worker     run the ingest worker alone (PostgreSQL; pair with INGEST_CONCURRENCY=0 on serve)
  admin      admin create --email <e-mail> [--name <name>] [--password-stdin]
  doctor     check docker/.env and this host before the first \`docker compose up\` (--env, --online)
  import     import <dir> --workspace <id>: upload a folder tree over the HTTP API (QUARRY_API_KEY), resumable
  help       show this help`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'serve';
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(usage);
    return 0;
  }
  // Before loadConfig: the doctor reads a .env file and the host, not this process's environment.
  if (command === 'doctor') return (await import('./doctor/index.js')).runDoctor(argv.slice(1));
  // An HTTP client of a running server: no configuration, no database.
  if (command === 'import') return (await import('./import-command.js')).runImportCommand(argv.slice(1));
  const { loadConfig } = await import('@quarry/config');
  const { createLogger } = await import('./logger.js');
  const config = loadConfig(undefined, command === 'migrate' ? { command: 'migrate' } : {});
  const logger = createLogger({ level: config.logLevel, pretty: config.env === 'development' && process.stdout.isTTY });
  switch (command) {
    case 'serve': {
      // First the refusal to keep files in a container's writable layer, before the database writes any there.
      const { assertDurableFileStorage } = await import('@quarry/storage');
      assertDurableFileStorage({ production: config.production, storage: config.storage, dataDir: config.dataDir });
      // The database opens in its own thread (PGlite: ~0.5–1 s of WebAssembly start-up and recovery) while this
      // thread loads the server's code (~1 s): started first, the two overlap instead of following each other.
      const { openDatabase } = await import('@quarry/db');
      const { databaseTarget } = await import('./database-target.js');
      const database = openDatabase(databaseTarget(config, logger));
      // Awaited, and any failure reported, by startRuntime; until then a rejection is not "unhandled".
      database.catch(() => {});
      await (await import('./serve.js')).serve(config, logger, { database });
      return -1; // keeps running until a signal
    }
    case 'migrate': {
      const { ensureAppRole, openDatabase, runMigrations } = await import('@quarry/db');
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
      return (await import('./worker-command.js')).runWorker(config, logger);
    case 'admin':
      return (await import('./admin-command.js')).runAdminCommand(argv.slice(1), config, logger);
    default:
      console.error(`quarry: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

/** Errors whose message already says what to fix: printed alone, no "start-up failed". */
async function isExplained(error: unknown): Promise<boolean> {
  // Whatever threw these has loaded their modules already; a configuration error comes before the database code.
  const { ConfigError } = await import('@quarry/config');
  if (error instanceof ConfigError) return true;
  const { AppRoleError, DataDirLockedError, MigrationsPendingError } = await import('@quarry/db');
  return error instanceof DataDirLockedError || error instanceof MigrationsPendingError || error instanceof AppRoleError;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  async (error: unknown) => {
    if (await isExplained(error).catch(() => false)) {
      console.error(`quarry: ${(error as Error).message}`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`quarry: start-up failed: ${message}`);
    }
    process.exit(1);
  },
);
