/**
 * Opens the database: embedded PGlite (with pgvector) under DATA_DIR, or a
 * node-postgres pool. Everything above this file sees one Drizzle `Database`.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import { DatabaseDiskFullError, freeBytesOf, PgliteGate } from './pglite-gate.js';
import { startPgliteWatchdog } from './pglite-watchdog.js';
import { PgliteThread, pgliteThreadAvailable, threadByDefault } from './pglite-thread/client.js';
import { startStallGuard } from './pglite-thread/stall-guard.js';
import { pgliteTemplateDir, seedFromTemplate, type PgliteTemplateInfo } from './pglite-template.js';
import { migrationsFolder } from './migrate.js';
import { pgliteOptions, type SharedBuffers } from './pglite-options.js';

export { DatabaseDiskFullError, diskFullReason, isDiskFullError } from './pglite-gate.js';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export type DatabaseTarget =
  | {
      kind: 'pglite';
      dir: string;
      onDiskFull?: (reason: string) => void;
      onRecovered?: () => void;
      /** Below this many free bytes only SELECTs reach PGlite (default PGLITE_FLOOR_BYTES; tests: 0). */
      diskFloorBytes?: number;
      /**
       * How long a PGlite call may go unanswered on a short disk before it is ended (0: off): in a thread,
       * the thread is stopped and the directory reopened; on the main thread, the watchdog kills the process.
       */
      watchdogStallMs?: number;
      /** The pre-initialised cluster a fresh DATA_DIR is copied from (default pgliteTemplateDir(); false: initdb). */
      template?: string | false;
      /**
       * Run PGlite in a thread of its own (default: yes, unless QUARRY_PGLITE_THREAD=off), so its
       * statements never hold the HTTP event loop. Off: on the main thread, as before.
       */
      thread?: boolean;
      /** PostgreSQL's buffer pool: 'auto' (default: sized by the data at each start, see pglite-options.ts) or MB. */
      sharedBuffers?: SharedBuffers;
    }
  | { kind: 'postgres'; url: string; poolMax?: number };

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: DatabaseTarget['kind'];
  /** Runs `SELECT 1`; resolves to the round-trip in milliseconds or rejects. */
  ping(timeoutMs?: number): Promise<number>;
  /** Raw SQL for migrations and maintenance that Drizzle does not model. */
  exec(query: string): Promise<void>;
  /** Embedded database only: why it does not write right now (its disk is full), or undefined. */
  unavailable?(): string | undefined;
  /**
   * PostgreSQL only: LISTEN on `channel` over a connection of its own; `onNotify` runs for every notice
   * and after each reconnect (notices sent while disconnected are lost, so the caller re-checks).
   * Resolves once listening; rejects if the first connection fails.
   */
  listen?(channel: string, onNotify: () => void): Promise<Listener>;
  /**
   * Embedded database in its own thread only: how long the statement or transaction it is running
   * has run (ms; 0 when idle). Health tells "busy with a long write" from "not answering" by it.
   */
  activeMs?(): number;
  /** Embedded database only: PGlite runs in a thread of its own (not on the event loop's thread). */
  readonly inThread?: boolean;
  /** Embedded database only: the template this DATA_DIR was created from at this open (it was fresh). */
  readonly seededFrom?: PgliteTemplateInfo;
  close(): Promise<void>;
}

export interface Listener {
  close(): Promise<void>;
}

export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  return target.kind === 'pglite' ? openPglite(target) : openPostgres(target.url, target.poolMax ?? 10);
}

/**
 * Free space the embedded database needs to start: crash recovery after a kill writes a new 16 MB WAL
 * segment, and PGlite fails with only "PGlite failed to initialize properly" when it cannot (measured:
 * 12 MB free fails, 20 MB starts). Also the threshold for reopening after a full disk.
 */
export const PGLITE_MIN_FREE_BYTES = 32 * 1024 * 1024;

/** Below this, writes stop before PGlite sees them: room for a new 16 MB WAL segment and then some. */
export const PGLITE_FLOOR_BYTES = 24 * 1024 * 1024;

/** Start-up refused for a reason the operator must fix; the message says what and how. */
export class DatabaseStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseStartError';
  }
}

const mb = (bytes: number) => `${Math.floor(bytes / (1024 * 1024))} MB`;

function lowSpaceMessage(dataDir: string, free: number): string {
  return (
    `the embedded database cannot start: only ${mb(free)} free on the filesystem of DATA_DIR (${path.resolve(dataDir)}); ` +
    `it needs at least ${mb(PGLITE_MIN_FREE_BYTES)} free to start (crash recovery writes a 16 MB WAL segment). ` +
    'Free space on that filesystem (or grow it), then start Quarry again; nothing is lost.'
  );
}

async function openPglite(target: Extract<DatabaseTarget, { kind: 'pglite' }>): Promise<DatabaseHandle> {
  const dataDir = target.dir;
  mkdirSync(dataDir, { recursive: true });
  // Before anything writes (even the lock file): a clear refusal beats "PGlite failed to initialize properly".
  const free = await freeBytesOf(dataDir);
  if (free !== undefined && free < PGLITE_MIN_FREE_BYTES) throw new DatabaseStartError(lowSpaceMessage(dataDir, free));
  // Two processes on one PGlite directory silently lose writes: lock first.
  const lock: DataDirLock = acquireDataDirLock(dataDir);
  const pgdata = path.join(dataDir, 'pglite');
  const threaded = (target.thread ?? threadByDefault) && pgliteThreadAvailable();
  const open = threaded
    ? async () => (await PgliteThread.open(pgdata, target.sharedBuffers)) as unknown as PGlite
    : () => PGlite.create(pgliteOptions(pgdata, target.sharedBuffers));
  let client: PGlite;
  let seededFrom: PgliteTemplateInfo | undefined;
  try {
    // A fresh DATA_DIR: copy the pre-initialised cluster (under the lock) rather than run initdb in WASM.
    // The migrations newer than the template run next, in runMigrations, still under this lock.
    if (target.template !== false) {
      seededFrom = seedFromTemplate(pgdata, migrationsFolder, target.template ?? pgliteTemplateDir());
    }
    try {
      client = await open();
    } catch (error) {
      const after = await freeBytesOf(dataDir);
      if (after !== undefined && after < PGLITE_MIN_FREE_BYTES) throw new DatabaseStartError(lowSpaceMessage(dataDir, after), { cause: error });
      throw error;
    }
  } catch (error) {
    lock.release();
    throw error;
  }
  const stallMs = target.watchdogStallMs ?? 30_000;
  // On the main thread a wedged call can only be ended by killing the process (the watchdog);
  // in its own thread it is ended by stopping the thread, and the gate reopens the directory.
  const watchdog = stallMs > 0 && !threaded ? startPgliteWatchdog({ dir: dataDir, stallMs, floorBytes: PGLITE_MIN_FREE_BYTES }) : undefined;
  const gate: PgliteGate = new PgliteGate(client, {
    open,
    dir: dataDir,
    discard: threaded ? (instance) => void (instance as unknown as PgliteThread).terminate('replaced after a full disk') : undefined,
    minFreeBytes: PGLITE_MIN_FREE_BYTES,
    floorBytes: target.diskFloorBytes ?? PGLITE_FLOOR_BYTES,
    onCall: watchdog ? (inside) => watchdog.inside(inside) : undefined,
    onRetired: target.onDiskFull,
    onRecovered: target.onRecovered,
  });
  const stallGuard =
    stallMs > 0 && threaded
      ? startStallGuard({ dir: dataDir, stallMs, floorBytes: PGLITE_MIN_FREE_BYTES, current: () => gate.instance as unknown as PgliteThread })
      : undefined;
  // The config form: Drizzle must not mistake the gate's proxy for a config object.
  const db = drizzlePglite({ client: gate.client, schema }) as unknown as Database;
  let closed = false;
  return {
    db,
    kind: 'pglite',
    // Health: a database that refuses writes for want of disk is not healthy, though it still reads.
    ping: async (timeoutMs) => {
      const why = gate.unavailable;
      if (why) throw new DatabaseDiskFullError(why);
      return timedPing(db, timeoutMs, () => closed);
    },
    exec: async (query) => {
      await gate.client.exec(query);
    },
    unavailable: () => gate.unavailable,
    inThread: threaded,
    ...(threaded ? { activeMs: () => gate.activeMs } : {}),
    seededFrom,
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await gate.close();
      } finally {
        watchdog?.stop();
        stallGuard?.stop();
        lock.release();
      }
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
    listen: (channel, onNotify) => listenPostgres(url, channel, onNotify),
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/**
 * A dedicated connection (a pooled one would be handed to queries and lose its LISTEN) that reconnects
 * with back-off (0.5 s doubling to 30 s) when the server closes it or a network error ends it.
 */
async function listenPostgres(url: string, channel: string, onNotify: () => void): Promise<Listener> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a plain channel name: ${channel}`);
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = 500;
  let timer: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: 'quarry-listen', keepAlive: true });
    c.on('notification', (n) => {
      if (n.channel === channel) onNotify();
    });
    c.on('error', () => {}); // 'end' follows and reconnects
    c.on('end', () => {
      if (client !== c) return; // not (or no longer) the listening connection: its caller handles it
      client = undefined;
      if (!closed) schedule();
    });
    await c.connect();
    try {
      await c.query(`LISTEN ${channel}`);
    } catch (error) {
      await c.end().catch(() => {});
      throw error;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
    retryMs = 500;
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      connect().then(
        () => onNotify(), // anything enqueued while disconnected
        () => {
          retryMs = Math.min(30_000, retryMs * 2);
          if (!closed) schedule();
        },
      );
    }, retryMs);
    timer.unref();
  };
  await connect();
  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
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
