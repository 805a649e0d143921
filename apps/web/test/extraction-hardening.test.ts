/**
 * Issue 14, items 1 and 8, over real HTTP: hostile uploads never stall the
 * server (another client polls /api/health every 100 ms throughout), and
 * each ends `ready` or `failed` once, with a clear reason; the next document
 * still ingests.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '@quarry/db';
import { makeLoopingPageTreePdf, makePdfMemoryBomb } from '../../../test/support/hostile-documents.js';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

const fast = { ingest: { pollMs: 100, retryBaseMs: 20, leaseMs: 2_000 }, embedderTuning: { retryBaseMs: 10 } };

function form(name: string, bytes: Buffer): FormData {
  const f = new FormData();
  f.append('file', new Blob([new Uint8Array(bytes)]), name);
  return f;
}

/** Polls until the document leaves queued/processing (bounded). */
async function settle(client: TestClient, ws: string, id: string, maxMs = 90_000) {
  const until = Date.now() + maxMs;
  for (;;) {
    const doc = await client.json('GET', `/api/workspaces/${ws}/documents/${id}`, undefined, 200);
    if (doc.status === 'ready' || doc.status === 'failed') return doc;
    if (Date.now() > until) throw new Error(`document ${id} still ${doc.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Another client asking /api/health every 100 ms (bounded in count), timing each full answer. */
function pollHealth(url: string) {
  const latencies: number[] = [];
  const failures: string[] = [];
  let stopped = false;
  const done = (async () => {
    for (let i = 0; i < 3_000 && !stopped; i++) {
      const started = performance.now();
      try {
        const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        if (res.status !== 200) failures.push(`status ${res.status}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    latencies,
    failures,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

describe('hostile uploads and the event loop (issue 14 items 1 and 8)', () => {
  let app: TestApp;
  let owner: TestClient;
  let ws: string;

  beforeAll(async () => {
    app = await startTestApp({ env: { MAX_UPLOAD_MB: '2' }, runtime: fast });
    owner = new TestClient(app);
    await owner.signUp('owner@example.com');
    ws = (await owner.json('GET', '/api/me', undefined, 200)).workspaces[0].id;
  });
  afterAll(() => app?.dispose());

  const upload = async (name: string, bytes: Buffer) => {
    const res = await owner.request('POST', `/api/workspaces/${ws}/documents`, form(name, bytes));
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(202);
    return body.id as string;
  };
  const ingestAttempts = async (documentId: string) =>
    (await app.runtime.database.db.select().from(jobs).where(and(eq(jobs.documentId, documentId), eq(jobs.kind, 'ingest')))).map((j) => j.attempts);

  it('a 300 KiB .txt (a paragraph of spaces, then x) never holds /api/health for over 1 s, and ends ready', async () => {
    const poller = pollHealth(app.url);
    try {
      const id = await upload('spaces.txt', Buffer.from(' '.repeat(300 * 1024) + 'x'));
      const doc = await settle(owner, ws, id);
      expect(doc.status, doc.error).toBe('ready');
      expect(doc.passageCount).toBe(1);
    } finally {
      await poller.stop();
    }
    expect(poller.failures).toEqual([]);
    expect(poller.latencies.length).toBeGreaterThan(0);
    expect(Math.max(...poller.latencies)).toBeLessThan(1_000);
  });

  it('a sub-megabyte PDF that inflates to 512 MB fails once with a memory reason, health answering throughout; the next document ingests', async () => {
    const bomb = await makePdfMemoryBomb(512);
    expect(bomb.length).toBeLessThan(1 << 20);
    const poller = pollHealth(app.url);
    let bombId: string;
    try {
      bombId = await upload('bomb.pdf', bomb);
      const doc = await settle(owner, ws, bombId);
      expect(doc.status).toBe('failed');
      expect(doc.error).toBe(`Extracting the text needed more than ${384} MB of memory (the extraction was stopped).`);
    } finally {
      await poller.stop();
    }
    expect(poller.failures).toEqual([]);
    expect(Math.max(...poller.latencies)).toBeLessThan(1_000);
    expect(await ingestAttempts(bombId)).toEqual([1]);

    const next = await upload('after.md', Buffer.from('# After\n\nThe server still ingests documents.\n'));
    expect((await settle(owner, ws, next)).status).toBe('ready');
  });

  it('a PDF whose page tree loops fails once (not retried) with a readable reason', async () => {
    const id = await upload('loop.pdf', makeLoopingPageTreePdf());
    const doc = await settle(owner, ws, id);
    expect(doc.status).toBe('failed');
    expect(doc.error).toBe('Page 1 of the PDF cannot be read (Pages tree contains circular reference.).');
    expect(await ingestAttempts(id)).toEqual([1]);
  });
});
