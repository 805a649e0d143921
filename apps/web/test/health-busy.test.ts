/**
 * /api/health keeps answering while the database is busy (issue 14 item 7, issue 17): a transaction
 * held open for 3 s queues every other statement on the embedded database, a `SELECT 1` ping
 * included, yet each probe answers at once from the last sample. The ping that waited behind the
 * transaction shows up afterwards with its real latency, which proves the database was busy.
 * And with 30 clients searching back to back, probes still answer: PGlite runs on the HTTP thread,
 * and its calls, chained through promises alone, kept every request out for seconds (1.3–8.6 s
 * measured before the gate yielded to the event loop between calls).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

describe('health while the database is busy', { timeout: 120_000 }, () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { ADMIN_EMAIL: 'ada@example.com' } });
  });
  afterAll(() => app?.dispose());

  /** Opens a transaction that holds the embedded database until `release` (or `ms` passes). */
  const holdDatabase = (ms: number) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = app.runtime.database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      await held;
    });
    return { release, transaction, timer: setTimeout(release, ms) };
  };

  it('answers every probe within 1 s while a transaction holds the embedded database for 3 s', async () => {
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
    const { release, transaction, timer } = holdDatabase(3_000);
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
    // The queued ping finished after the transaction: its latency is the time it waited (≥ 1 s). It may
    // already have been reported (and replaced) during the probes on a slow machine, or may come next.
    let waited = Math.max(...probes.map((p) => p.database.latencyMs ?? 0));
    for (let i = 0; i < 40 && waited < 1_000; i++) {
      const body = (await (await fetch(`${app.url}/api/health`)).json()) as { checks: { database: { latencyMs?: number } } };
      waited = Math.max(waited, body.checks.database.latencyMs ?? 0);
      if (waited < 1_000) await new Promise((r) => setTimeout(r, 50));
    }
    expect(waited, 'a ping waited behind the transaction').toBeGreaterThanOrEqual(1_000);
  });

  it('stays healthy, and says busy, while one transaction holds the embedded database past the 5 s staleness bound', async () => {
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
    const { release, transaction, timer } = holdDatabase(8_000);
    const probes: Array<{ status: number; database: { ok: boolean; busyMs?: number; ageMs?: number } }> = [];
    try {
      // Bounded: 14 probes, 500 ms apart (7 s: past the 5 s bound, inside the transaction).
      for (let i = 0; i < 14; i++) {
        const res = await fetch(`${app.url}/api/health`, { signal: AbortSignal.timeout(10_000) });
        const body = (await res.json()) as { checks: { database: { ok: boolean; busyMs?: number; ageMs?: number } } };
        probes.push({ status: res.status, database: body.checks.database });
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      clearTimeout(timer);
      release();
      await transaction;
    }
    expect(probes.every((p) => p.status === 200), JSON.stringify(probes)).toBe(true);
    // Some probes came after the last fresh sample was 5 s old: those were answered "busy", not down.
    const busy = probes.filter((p) => (p.database.ageMs ?? 0) > 5_000);
    expect(busy.length, JSON.stringify(probes)).toBeGreaterThan(0);
    // busyMs counts from the transaction's start, which came after the last fresh sample: only > 0 is certain.
    expect(busy.every((p) => p.database.ok && (p.database.busyMs ?? 0) > 0), JSON.stringify(busy)).toBe(true);
  });

  it('answers within 1 s while 30 clients search back to back (PGlite yields to HTTP between calls)', async () => {
    const owner = new TestClient(app);
    await owner.signUp('ada@example.com');
    const ws = ((await owner.json('GET', '/api/me', undefined, 200)) as { workspaces: Array<{ id: string }> }).workspaces[0]!.id;
    const form = new FormData();
    const text = Array.from({ length: 400 }, (_, i) => `Paragraph ${i} about the lighthouse keeper, the harbour ledger and the turbine audit.`).join('\n\n');
    form.append('file', new Blob([text]), 'notes.md');
    const { id } = (await (await owner.request('POST', `/api/workspaces/${ws}/documents`, form)).json()) as { id: string };
    for (let i = 0; i < 200; i++) {
      const doc = (await owner.json('GET', `/api/workspaces/${ws}/documents/${id}`, undefined, 200)) as { status: string };
      if (doc.status === 'ready' || doc.status === 'indexed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    let stop = false;
    const words = ['lighthouse', 'harbour ledger', 'turbine', 'keeper audit', 'paragraph'];
    // Bounded: 30 clients × at most 40 searches each.
    const busy = Array.from({ length: 30 }, async (_, c) => {
      for (let n = 0; n < 40 && !stop; n++) {
        const res = await owner.request('GET', `/api/workspaces/${ws}/search?q=${encodeURIComponent(words[(c + n) % words.length]!)}&mode=keyword`);
        await res.arrayBuffer();
      }
    });
    const times: number[] = [];
    try {
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 15; i++) {
        const started = performance.now();
        const res = await fetch(`${app.url}/api/health`, { signal: AbortSignal.timeout(60_000) });
        await res.arrayBuffer();
        times.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      stop = true;
      await Promise.all(busy);
    }
    expect(Math.max(...times), JSON.stringify(times.map(Math.round))).toBeLessThan(1_000);
  });

  it('answers every probe within 1 s while a 4 MB plain-text document ingests (the database has a thread of its own)', async () => {
    expect(app.runtime.database.inThread).toBe(true);
    const owner = new TestClient(app);
    await owner.signUp('grace@example.com');
    const ws = ((await owner.json('GET', '/api/me', undefined, 200)) as { workspaces: Array<{ id: string }> }).workspaces[0]!.id;
    const paragraph = (i: number) =>
      `Paragraph ${i}: the keeper logged the harbour tide, the turbine hours and the ledger totals for audit number ${i * 7}.`;
    const text = Array.from({ length: 36_000 }, (_, i) => paragraph(i)).join('\n\n');
    expect(text.length).toBeGreaterThan(4_000_000);
    const form = new FormData();
    form.append('file', new Blob([text]), 'logbook.txt');
    const { id } = (await (await owner.request('POST', `/api/workspaces/${ws}/documents`, form)).json()) as { id: string };
    const probes: Array<{ ms: number; status: number }> = [];
    let status = 'queued';
    // Bounded: 1,200 probes, 100 ms apart (or the document is searchable).
    for (let i = 0; i < 1_200 && status !== 'ready' && status !== 'failed'; i++) {
      const started = performance.now();
      const res = await fetch(`${app.url}/api/health`, { signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      probes.push({ ms: performance.now() - started, status: res.status });
      if (i % 5 === 0) status = ((await owner.json('GET', `/api/workspaces/${ws}/documents/${id}`, undefined, 200)) as { status: string }).status;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('ready');
    // The ingest took long enough to be probed many times, and no probe waited on it.
    expect(probes.length).toBeGreaterThan(10);
    expect(probes.every((p) => p.status === 200)).toBe(true);
    expect(Math.max(...probes.map((p) => p.ms)), JSON.stringify(probes.map((p) => Math.round(p.ms)))).toBeLessThan(1_000);
  });
});
