/**
 * /api/health keeps answering while the database is busy (issue 14 item 7, issue 17): a transaction
 * held open for 3 s queues every other statement on the embedded database, a `SELECT 1` ping
 * included, yet each probe answers at once from the last sample. The ping that waited behind the
 * transaction shows up afterwards with its real latency, which proves the database was busy.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

describe('health while the database is busy', { timeout: 60_000 }, () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.dispose());

  it('answers every probe within 1 s while a transaction holds the embedded database for 3 s', async () => {
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = app.runtime.database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      await held;
    });
    const timer = setTimeout(release, 3_000);
    const probes: Array<{ ms: number; status: number; database: { ok: boolean; latencyMs?: number } }> = [];
    try {
      // Bounded: 30 probes, 100 ms apart.
      for (let i = 0; i < 30; i++) {
        const started = performance.now();
        const res = await fetch(`${app.url}/api/health`, { signal: AbortSignal.timeout(10_000) });
        const body = (await res.json()) as { checks: { database: { ok: boolean; latencyMs?: number } } };
        probes.push({ ms: performance.now() - started, status: res.status, database: body.checks.database });
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      clearTimeout(timer);
      release();
      await transaction;
    }
    const slowest = Math.max(...probes.map((p) => p.ms));
    expect(slowest, JSON.stringify(probes)).toBeLessThan(1_000);
    expect(probes.every((p) => p.status === 200)).toBe(true);
    // The queued ping finished after the transaction: its latency is the time it waited (≥ 1 s).
    let waited: number | undefined;
    for (let i = 0; i < 40 && waited === undefined; i++) {
      const body = (await (await fetch(`${app.url}/api/health`)).json()) as { checks: { database: { latencyMs?: number } } };
      if ((body.checks.database.latencyMs ?? 0) >= 1_000) waited = body.checks.database.latencyMs;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(waited, 'a ping waited behind the transaction').toBeGreaterThanOrEqual(1_000);
  });
});
