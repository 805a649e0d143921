/**
 * A job that becomes due sends NOTIFY quarry_jobs at commit (migration 0009), and a worker given the
 * database's `listen` claims a job another process enqueued at once, not at its next poll (here 60 s).
 * On PGlite the trigger is there and harmless (one process: the in-process wake-up does the job); the
 * PostgreSQL runs need TEST_DATABASE_URL (the stack test sets it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Embedder } from '@quarry/ai';
import { jobs, openDatabase, queryRows, runMigrations, type Database, type DatabaseHandle } from '@quarry/db';
import { createStorage } from '@quarry/storage';
import { freshTarget, postgresUrl } from '../../../test/support/databases.js';
import { createJobQueue } from './queue.js';
import { IngestWorker, JOBS_CHANNEL } from './worker.js';

const embedder: Embedder = {
  space: { provider: 'local', model: 'notify-test', dimensions: 3 },
  embed: async (texts) => texts.map(() => [1, 0, 0]),
};

async function until(what: string, check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what}: not within ${limitMs} ms`);
}

/** Claims so far; a completed job's row is deleted, so a missing row counts as claimed. */
async function attemptsOf(db: Database, id: string): Promise<number> {
  const [row] = await db.select({ attempts: jobs.attempts }).from(jobs).where(eq(jobs.id, id));
  return row ? row.attempts : Number.POSITIVE_INFINITY;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function workerOn(handle: DatabaseHandle, listen: boolean): IngestWorker {
  const dir = mkdtempSync(path.join(tmpdir(), 'quarry-notify-objects-'));
  const worker = new IngestWorker({
    db: handle.db,
    driver: handle.kind,
    storage: createStorage({ driver: 'fs', dir }),
    embedder,
    concurrency: 1,
    maxAttempts: 3,
    timeoutMs: 10_000,
    chunkTokens: 200,
    chunkOverlap: 20,
    language: 'english',
    maxBytes: 1_000_000,
    pollMs: 60_000,
    retryBaseMs: 60_000,
    ...(listen && handle.listen ? { listen: handle.listen.bind(handle) } : {}),
  });
  cleanups.push(async () => {
    await worker.stop(1_000);
    rmSync(dir, { recursive: true, force: true });
  });
  return worker;
}

async function openMigrated(driver: 'pglite' | 'postgres') {
  const { target, cleanup } = await freshTarget(driver);
  const handle = await openDatabase(target);
  await runMigrations(handle, target);
  cleanups.push(async () => {
    await handle.close();
    await cleanup();
  });
  return { handle, target };
}

describe('jobs wake-up on pglite', () => {
  it('has the trigger, and enqueue, claim, release and the in-process wake-up still work', async () => {
    const { handle } = await openMigrated('pglite');
    const triggers = await queryRows<{ n: number }>(
      handle.db,
      sql`select count(*)::int as n from pg_trigger where tgname = 'jobs_notify_due'`,
    );
    expect(triggers[0]!.n).toBe(1);
    expect(handle.listen).toBeUndefined();
    const worker = workerOn(handle, true);
    await worker.start();
    await new Promise((r) => setTimeout(r, 300)); // its first tick found nothing; the next poll is 60 s away
    const id = await worker.queue.enqueue({
      kind: 'ingest',
      payload: { documentId: '00000000-0000-4000-8000-000000000000' },
    });
    worker.notify();
    await until('claimed after notify()', async () => (await attemptsOf(handle.db, id)) >= 1, 10_000);
    // Handing a job back (an UPDATE to queued) passes through the trigger too.
    const queue = createJobQueue(handle.db, { defaultMaxAttempts: 3 });
    const other = await queue.enqueue({ kind: 'reembed', payload: { spaceId: -1 } });
    await queue.continueLater(other);
  });
});

describe.skipIf(!postgresUrl)('jobs wake-up on postgres (TEST_DATABASE_URL)', () => {
  it('notifies at commit, not before', async () => {
    const { handle: web, target } = await openMigrated('postgres');
    const other = await openDatabase(target); // another process's pool
    cleanups.push(() => other.close());
    let notices = 0;
    const listener = await other.listen!(JOBS_CHANNEL, () => notices++);
    cleanups.push(() => listener.close());
    const queue = createJobQueue(web.db, { defaultMaxAttempts: 3 });
    await web.db.transaction(async (tx) => {
      await queue.enqueue({ kind: 'ingest', payload: { documentId: 'a' } }, tx as unknown as Database);
      await queue.enqueue({ kind: 'ingest', payload: { documentId: 'b' } }, tx as unknown as Database);
      await new Promise((r) => setTimeout(r, 300));
      expect(notices).toBe(0);
    });
    await until('a notice after commit', async () => notices > 0, 5_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(notices).toBe(1); // the same notice twice in one transaction is folded into one
    // A job due later (a retry's back-off) sends none; one handed back now does.
    const id = await queue.enqueue({ kind: 'ingest', payload: { documentId: 'c' }, delayMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(notices).toBe(1);
    await queue.continueLater(id);
    await until('a notice for a job handed back', async () => notices > 1, 5_000);
  });

  it('wakes a separate worker at once when web enqueues, and again after its connection was cut', async () => {
    const { handle: web, target } = await openMigrated('postgres');
    const workerDb = await openDatabase(target);
    cleanups.push(() => workerDb.close());
    const worker = workerOn(workerDb, true);
    await worker.start();
    await new Promise((r) => setTimeout(r, 300)); // first tick done; the poll is 60 s away
    const queue = createJobQueue(web.db, { defaultMaxAttempts: 3 });
    // A re-embedding job for a space that is not the worker's: claimed, then completed at once.
    const first = await queue.enqueue({ kind: 'reembed', payload: { spaceId: -1 } });
    const ms = await until('the worker claims the job', async () => (await attemptsOf(web.db, first)) >= 1, 10_000);
    expect(ms).toBeLessThan(10_000);

    // The server ends the listening connection (a restart, a network cut): it reconnects and listens again.
    const cut = await queryRows<{ n: number }>(
      web.db,
      sql`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'quarry-listen' and datname = current_database()`,
    );
    expect(cut[0]!.n).toBe(1);
    await until(
      'listening again',
      async () =>
        (
          await queryRows<{ n: number }>(
            web.db,
            sql`select count(*)::int as n from pg_stat_activity where application_name = 'quarry-listen' and datname = current_database()`,
          )
        )[0]!.n === 1,
      10_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    const second = await queue.enqueue({ kind: 'reembed', payload: { spaceId: -2 } });
    await until('the worker claims the next job', async () => (await attemptsOf(web.db, second)) >= 1, 10_000);
  });
});
