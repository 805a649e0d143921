/**
 * Applies the committed SQL migrations under a PostgreSQL advisory lock, so two
 * processes starting together on one database take turns instead of racing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { queryRows, type DatabaseHandle, type DatabaseTarget } from './client.js';

const MIGRATION_LOCK_KEY = 7_262_736_001; // arbitrary, fixed: "quarry migrations"

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

export async function runMigrations(handle: DatabaseHandle, target: DatabaseTarget): Promise<MigrationResult> {
  const folder = migrationsFolder();
  if (target.kind === 'pglite') {
    // PGlite is single-connection and guarded by the DATA_DIR lock; no race possible.
    const before = await countApplied(handle);
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
      await migratePg(drizzlePg(client), { migrationsFolder: folder });
      const after = await countApplied(handle);
      return { applied: after - before, total: after };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function countApplied(handle: DatabaseHandle): Promise<number> {
  try {
    const rows = await queryRows<{ n: number }>(handle.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    return Number(rows[0]?.n ?? 0);
  } catch {
    return 0;
  }
}
