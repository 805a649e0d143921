/**
 * Applies the committed SQL migrations under a PostgreSQL advisory lock, so two
 * processes starting together on one database take turns instead of racing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { queryRows, type DatabaseHandle, type DatabaseTarget } from './client.js';

export const MIGRATION_LOCK_KEY = 7_262_736_001; // arbitrary, fixed: "quarry migrations"

/**
 * Source layout: packages/db/src/migrate.ts → packages/db/migrations.
 * Bundled layout: apps/web/dist/server/cli.js → apps/web/dist/migrations
 * (the build copies the folder there).
 */
export function migrationsFolder(): string {
  const candidates = [new URL('../migrations', import.meta.url), new URL('../../migrations', import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(`${dir}/meta/_journal.json`)) return dir;
  }
  throw new Error('database migrations folder not found next to the server code');
}

export interface MigrationResult {
  applied: number;
  total: number;
}

/**
 * Migrations are pending and this connection's role may not apply them: in the compose stack web serves
 * as a role that owns nothing (docs/security.md, G1), and the one-shot `migrate` service applies them as
 * the owner before web starts.
 */
export class MigrationsPendingError extends Error {
  constructor(
    readonly pending: number,
    readonly role: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${pending} database migration${pending === 1 ? ' is' : 's are'} pending and role "${role}" may not apply them: ` +
        'run `quarry migrate` with the owner\'s DATABASE_URL first (the compose stack does: `docker compose -f docker-compose.prod.yml up -d` runs the migrate service before web)',
      options,
    );
    this.name = 'MigrationsPendingError';
  }
}

/**
 * Applies pending migrations. On PostgreSQL, nothing is sent that needs more than SELECT when none is
 * pending (Drizzle's migrator always begins with CREATE SCHEMA IF NOT EXISTS, which a role without
 * CREATE on the database is refused), so a restricted app role starts on a migrated database; with some
 * pending, such a role gets a MigrationsPendingError that says how to apply them.
 */
export async function runMigrations(handle: DatabaseHandle, target: DatabaseTarget): Promise<MigrationResult> {
  const folder = migrationsFolder();
  if (target.kind === 'pglite') {
    // PGlite is single-connection and guarded by the DATA_DIR lock (taken before a fresh DATA_DIR is
    // copied from the pre-initialised cluster): no race possible. Nothing pending (a warm restart, or a
    // template as new as the build): one query instead of Drizzle's migrator (1.4 s on a cold cluster).
    const before = await countApplied(handle);
    if ((await pendingMigrationsOf(handle, folder)) === 0) return { applied: 0, total: before };
    await migratePglite(handle.db as unknown as PgliteDatabase, { migrationsFolder: folder });
    const after = await countApplied(handle);
    return { applied: after - before, total: after };
  }
  // The advisory lock is per session, so migrate on one dedicated connection.
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const before = await countApplied(handle);
      const pending = await pendingMigrations(client, folder);
      if (pending === 0) return { applied: 0, total: before };
      try {
        await migratePg(drizzlePg(client), { migrationsFolder: folder });
      } catch (error) {
        if (sqlState(error) === '42501') {
          const role = await client.query<{ r: string }>('select current_user as r').then((r) => r.rows[0]?.r ?? '?', () => '?');
          throw new MigrationsPendingError(pending, role, { cause: error });
        }
        throw error;
      }
      const after = await countApplied(handle);
      return { applied: after - before, total: after };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

/** Migrations Drizzle would apply: those newer than the newest recorded one (its own rule). */
async function pendingMigrations(client: pg.Client, folder: string): Promise<number> {
  const files = readMigrationFiles({ migrationsFolder: folder });
  const table = await client.query<{ t: string | null }>(`select to_regclass('drizzle.__drizzle_migrations')::text as t`);
  if (!table.rows[0]?.t) return files.length;
  const last = await client.query<{ at: string | null }>('select max(created_at)::text as at from drizzle.__drizzle_migrations');
  const at = last.rows[0]?.at;
  if (at === null || at === undefined) return files.length;
  return files.filter((m) => Number(at) < m.folderMillis).length;
}

/** The same rule through the handle (PGlite): newer than the newest recorded migration. */
async function pendingMigrationsOf(handle: DatabaseHandle, folder: string): Promise<number> {
  const files = readMigrationFiles({ migrationsFolder: folder });
  try {
    const rows = await queryRows<{ at: string | null }>(handle.db, sql`select max(created_at)::text as at from drizzle.__drizzle_migrations`);
    const at = rows[0]?.at;
    if (at === null || at === undefined) return files.length;
    return files.filter((m) => Number(at) < m.folderMillis).length;
  } catch {
    return files.length; // no migrations table yet
  }
}

function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

async function countApplied(handle: DatabaseHandle): Promise<number> {
  try {
    const rows = await queryRows<{ n: number }>(handle.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    return Number(rows[0]?.n ?? 0);
  } catch {
    return 0;
  }
}
