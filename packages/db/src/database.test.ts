import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { drivers, freshTarget, openTestDatabase, postgresUrl, type TestDatabase } from '../../../test/support/databases.js';
import { ensureVectorIndex, openDatabase, queryRows, runMigrations, vectorIndexName } from './index.js';
import { relationBytes, sharedBuffersForSize } from './pglite-options.js';
import { auditEvents, documents, embeddingSpaces, passageEmbeddings, passages, workspaces } from './schema.js';

/** The database's own message (Drizzle wraps it as the error's cause). */
async function failure(query: PromiseLike<unknown>): Promise<string> {
  try {
    await query;
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause;
    return cause?.message ?? (error as Error).message;
  }
  return 'no error';
}

describe.each(drivers)('database on %s', (driver) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('has pgvector and answers vector distance queries', async () => {
    t = await openTestDatabase(driver);
    const rows = await queryRows<{ d: number }>(t.handle.db, sql`select ('[1,0,0]'::vector <=> '[0,1,0]'::vector) as d`);
    expect(Number(rows[0]!.d)).toBeCloseTo(1, 5);
  });

  it('applies migrations idempotently', async () => {
    t = await openTestDatabase(driver);
    const again = await runMigrations(t.handle, t.target);
    expect(again.applied).toBe(0);
    expect(again.total).toBeGreaterThanOrEqual(3);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the audit log', async () => {
    t = await openTestDatabase(driver);
    const { db } = t.handle;
    await db.insert(auditEvents).values({ action: 'test.event', outcome: 'success' });
    await expect(failure(db.update(auditEvents).set({ action: 'rewritten' }))).resolves.toMatch(/append-only/);
    await expect(failure(db.delete(auditEvents))).resolves.toMatch(/append-only/);
    await expect(failure(db.execute(sql`truncate audit_events`))).resolves.toMatch(/append-only/);
    const rows = await db.select().from(auditEvents);
    expect(rows.map((r) => r.action)).toEqual(['test.event']);
  });

  it('defers a space\'s vector index until the space holds enough vectors', async () => {
    t = await openTestDatabase(driver);
    const { db } = t.handle;
    const [space] = await db.insert(embeddingSpaces).values({ provider: 't', model: 'm', dimensions: 3, status: 'active' }).returning();
    const [ws] = await db.insert(workspaces).values({ name: 'w' }).returning();
    const [doc] = await db
      .insert(documents)
      .values({ workspaceId: ws!.id, title: 't', filename: 't', mimeType: 'text/plain', sizeBytes: 1, sha256: 'x', storageKey: 'k' })
      .returning();
    const addVector = async (i: number) => {
      const [p] = await db
        .insert(passages)
        .values({ documentId: doc!.id, workspaceId: ws!.id, ordinal: i, text: 'x', tokenCount: 1, tsv: sql`to_tsvector('simple', 'x')` })
        .returning();
      await db.insert(passageEmbeddings).values({ passageId: p!.id, spaceId: space!.id, workspaceId: ws!.id, embedding: [1, i, 0] });
    };
    const indexCount = async () =>
      Number((await queryRows<{ n: number }>(db, sql`select count(*)::int as n from pg_indexes where indexname = ${vectorIndexName(space!)}`))[0]!.n);
    await addVector(1);
    expect(await ensureVectorIndex(db, space!, { minVectors: 2 })).toBe(false);
    expect(await indexCount()).toBe(0);
    await addVector(2);
    expect(await ensureVectorIndex(db, space!, { minVectors: 2 })).toBe(true);
    expect(await indexCount()).toBe(1);
    expect(await ensureVectorIndex(db, space!, { minVectors: 2 })).toBe(true);
  });

  it('keeps data across close and reopen', async () => {
    const { target, cleanup } = await freshTarget(driver);
    try {
      const first = await openDatabase(target);
      await runMigrations(first, target);
      const [ws] = await first.db.insert(workspaces).values({ name: 'Survives restarts' }).returning();
      await first.close();
      const second = await openDatabase(target);
      const found = await second.db.select().from(workspaces).where(eq(workspaces.id, ws!.id));
      expect(found[0]?.name).toBe('Survives restarts');
      await second.close();
    } finally {
      await cleanup();
    }
  });
});

describe('PGlite buffer pool', () => {
  it('is sized by the data: 1.5× the relations in 16 MB steps, within 32–128 MB', () => {
    const MB = 1024 * 1024;
    expect(sharedBuffersForSize(0)).toBe(32);
    expect(sharedBuffersForSize(7.5 * MB)).toBe(32);
    expect(sharedBuffersForSize(50 * MB)).toBe(80);
    expect(sharedBuffersForSize(400 * MB)).toBe(128);
  });

  it('opens an empty database with the smallest pool, and with a fixed size when one is given', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'quarry-pool-'));
    try {
      let handle = await openDatabase({ kind: 'pglite', dir, watchdogStallMs: 0 });
      try {
        expect(relationBytes(path.join(dir, 'pglite'))).toBeGreaterThan(0);
        expect((await queryRows<{ shared_buffers: string }>(handle.db, sql`SHOW shared_buffers`))[0]!.shared_buffers).toBe('32MB');
      } finally {
        await handle.close();
      }
      handle = await openDatabase({ kind: 'pglite', dir, watchdogStallMs: 0, sharedBuffers: 48 });
      try {
        expect((await queryRows<{ shared_buffers: string }>(handle.db, sql`SHOW shared_buffers`))[0]!.shared_buffers).toBe('48MB');
      } finally {
        await handle.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PGlite data directory lock', () => {
  it('refuses a second open of the same DATA_DIR and names the holder', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'quarry-lock-'));
    const first = await openDatabase({ kind: 'pglite', dir });
    try {
      // Same process id, so simulate another live holder by rewriting the lock file's pid to our parent's.
      const { writeFileSync } = await import('node:fs');
      const { hostname } = await import('node:os');
      writeFileSync(path.join(dir, 'quarry.lock'), JSON.stringify({ pid: process.ppid, host: hostname(), startedAt: '' }));
      await expect(openDatabase({ kind: 'pglite', dir })).rejects.toThrow(new RegExp(`pid ${process.ppid}`));
    } finally {
      await first.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes over a stale lock left by a dead process', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'quarry-lock-'));
    const { writeFileSync } = await import('node:fs');
    const { hostname } = await import('node:os');
    writeFileSync(path.join(dir, 'quarry.lock'), JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), startedAt: '' }));
    const handle = await openDatabase({ kind: 'pglite', dir });
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe.skipIf(!postgresUrl)('migrations on PostgreSQL (needs TEST_DATABASE_URL)', () => {
  it('two concurrent starts on one database both succeed', async () => {
    const { target, cleanup } = await freshTarget('postgres');
    try {
      const a = await openDatabase(target);
      const b = await openDatabase(target);
      const results = await Promise.all([runMigrations(a, target), runMigrations(b, target)]);
      expect(results.map((r) => r.applied).sort()).toEqual([0, results[0]!.total].sort((x, y) => x - y));
      await Promise.all([a.close(), b.close()]);
    } finally {
      await cleanup();
    }
  });
});
