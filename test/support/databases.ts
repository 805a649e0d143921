/**
 * Runs database tests on every driver available: always embedded PGlite, and
 * PostgreSQL 17 + pgvector when TEST_DATABASE_URL is set (the stack test sets
 * it to its stand-in container). Each handle gets a fresh, migrated database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { copyPgliteTemplate } from './pglite-template.js';
import { openDatabase, runMigrations, type DatabaseHandle, type DatabaseTarget } from '@quarry/db';

export interface TestDatabase {
  handle: DatabaseHandle;
  target: DatabaseTarget;
  dispose(): Promise<void>;
}

export const postgresUrl = process.env.TEST_DATABASE_URL || undefined;

export const drivers: Array<'pglite' | 'postgres'> = postgresUrl ? ['pglite', 'postgres'] : ['pglite'];

if (!postgresUrl) {
  console.info('[quarry tests] TEST_DATABASE_URL is not set: PostgreSQL runs are skipped (PGlite runs). `npm run test:stack` sets it.');
}

export async function freshTarget(driver: 'pglite' | 'postgres'): Promise<{ target: DatabaseTarget; cleanup(): Promise<void> }> {
  if (driver === 'pglite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'quarry-test-'));
    await copyPgliteTemplate(dir);
    return { target: { kind: 'pglite', dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  const name = `quarry_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  return {
    target: { kind: 'postgres', url: url.toString(), poolMax: 5 },
    cleanup: async () => {
      const c = new pg.Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function openTestDatabase(driver: 'pglite' | 'postgres'): Promise<TestDatabase> {
  const { target, cleanup } = await freshTarget(driver);
  const handle = await openDatabase(target);
  await runMigrations(handle, target);
  return {
    handle,
    target,
    dispose: async () => {
      await handle.close();
      await cleanup();
    },
  };
}
