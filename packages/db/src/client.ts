/**
 * Opens the database: embedded PGlite (with pgvector) under DATA_DIR, or a
 * node-postgres pool. Everything above this file sees one Drizzle `Database`.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export type DatabaseTarget =
  | { kind: 'pglite'; dir: string }
  | { kind: 'postgres'; url: string; poolMax?: number };

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: DatabaseTarget['kind'];
  /** Runs `SELECT 1`; resolves to the round-trip in milliseconds or rejects. */
  ping(timeoutMs?: number): Promise<number>;
  /** Raw SQL for migrations and maintenance that Drizzle does not model. */
  exec(query: string): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  return target.kind === 'pglite' ? openPglite(target.dir) : openPostgres(target.url, target.poolMax ?? 10);
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  mkdirSync(dataDir, { recursive: true });
  // Two processes on one PGlite directory silently lose writes: lock first.
  const lock: DataDirLock = acquireDataDirLock(dataDir);
  let client: PGlite;
  try {
    client = await PGlite.create({ dataDir: path.join(dataDir, 'pglite'), extensions: { vector } });
  } catch (error) {
    lock.release();
    throw error;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Database;
  let closed = false;
  return {
    db,
    kind: 'pglite',
    ping: (timeoutMs) => timedPing(db, timeoutMs, () => closed),
    exec: async (query) => {
      await client.exec(query);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
      lock.release();
    },
  };
}

async function openPostgres(url: string, poolMax: number): Promise<DatabaseHandle> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'quarry',
  });
  // An idle client's connection dying (database restart) must not crash the process.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema }) as unknown as Database;
  let closed = false;
  return {
    db,
    kind: 'postgres',
    ping: (timeoutMs) => timedPing(db, timeoutMs, () => closed),
    exec: async (query) => {
      await pool.query(query);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

async function timedPing(db: Database, timeoutMs = 2_000, isClosed: () => boolean): Promise<number> {
  if (isClosed()) throw new Error('database is closed');
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([db.execute(sql`select 1`), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return Math.round((performance.now() - started) * 10) / 10;
}

/** Rows of a raw query; both drivers return `{ rows }`, typed differently. */
export async function queryRows<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
