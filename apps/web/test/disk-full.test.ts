/**
 * A full disk must not wedge the server (issue 14, item 4). DATA_DIR sits on a small tmpfs this test
 * mounts (root only, as in CI; skipped with the reason printed elsewhere) and fills with a file of
 * its own: uploads get a 507 JSON error before anything unstored is acknowledged, other routes keep
 * answering, health says `degraded` and why; once the filler is deleted an upload succeeds and
 * ingests to ready with nothing lost or stuck, without a restart. Then the real process: SIGTERM on a
 * full disk exits, and start-up with too little room says so.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyPgliteTemplate } from '../../../test/support/pglite-template.js';
import { runQuarry, startQuarry, type QuarryProcess } from '../../../test/support/process.js';
import { fillDisk, mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../../../test/support/tmpfs.js';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

const MB = 1024 * 1024;
const skip = tmpfsUnavailable !== undefined;
const fast = { ingest: { pollMs: 100, retryBaseMs: 20, leaseMs: 2_000 }, embedderTuning: { retryBaseMs: 10 } };

function form(name: string, bytes: Buffer): FormData {
  const f = new FormData();
  f.append('file', new Blob([new Uint8Array(bytes)]), name);
  return f;
}

const doc = (n: number) => Buffer.from(`# Note ${n}\n\nThe lighthouse keeper logs the weather every ${n} hours.\n`);

async function settle(client: TestClient, ws: string, id: string, maxMs = 60_000) {
  const until = Date.now() + maxMs;
  for (;;) {
    const d = await client.json('GET', `/api/workspaces/${ws}/documents/${id}`, undefined, 200);
    if (d.status === 'ready' || d.status === 'failed') return d;
    if (Date.now() > until) throw new Error(`document ${id} still ${d.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function partFiles(dataDir: string): string[] {
  const tmp = path.join(dataDir, 'objects', '.tmp');
  return existsSync(tmp) ? readdirSync(tmp).filter((f) => f.endsWith('.part')) : [];
}

/** Rejects when `promise` has not settled within `ms` (the hang this file guards against). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

interface Health {
  status: string;
  reasons?: string[];
  checks: { storage: { ok: boolean; disk?: { low: boolean } }; database: { ok: boolean } };
}

/** Polls /api/health until `ok(body)` (statfs is cached for a moment), bounded. */
async function healthUntil(url: string, ok: (h: Health, status: number) => boolean, maxMs = 15_000): Promise<{ status: number; body: Health }> {
  const until = Date.now() + maxMs;
  for (;;) {
    const res = await within(fetch(`${url}/api/health`), 5_000, 'health');
    const body = (await res.json()) as Health;
    if (ok(body, res.status) || Date.now() > until) return { status: res.status, body };
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a full disk under DATA_DIR (in-process server)', { timeout: 120_000 }, () => {
  let fs: Tmpfs | undefined;
  let app: TestApp | undefined;
  let owner: TestClient;
  let ws: string;
  let dataDir: string;
  let filler: string;

  beforeAll(async () => {
    if (skip) return;
    fs = mountTmpfs(200, 'quarry-disk-full-');
    dataDir = path.join(fs.dir, 'data');
    filler = path.join(fs.dir, 'filler');
    mkdirSync(dataDir);
    await copyPgliteTemplate(dataDir);
    app = await startTestApp({ reuse: { dataDir }, env: { DISK_RESERVE_MB: '32', MAX_UPLOAD_MB: '8', CHUNK_TOKENS: '200' }, runtime: fast });
    owner = new TestClient(app);
    await owner.signUp('owner@example.com');
    ws = (await owner.json('GET', '/api/me', undefined, 200)).workspaces[0].id;
  });
  afterAll(async () => {
    try {
      await app?.stop();
    } finally {
      fs?.unmount();
    }
  });

  it.skipIf(skip)('refuses uploads with 507 below the reserve, keeps answering, degrades health, and recovers when space is freed', async () => {
    const first = await owner.request('POST', `/api/workspaces/${ws}/documents`, form('first.md', doc(1)));
    expect(first.status).toBe(202);
    const firstId = ((await first.json()) as { id: string }).id;
    expect((await settle(owner, ws, firstId)).status).toBe('ready');

    // 28 MB left: below the 32 MB reserve, above the 24 MB the database keeps for itself.
    fillDisk(fs!.dir, filler, 28 * MB);
    const refused = await within(owner.request('POST', `/api/workspaces/${ws}/documents`, form('second.md', doc(2))), 20_000, 'upload');
    expect(refused.status).toBe(507);
    const body = (await refused.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe('insufficient_storage');
    expect(body.error.message).toMatch(/out of storage space.*not stored/);
    expect(body.error.requestId).toBeTruthy();
    expect(partFiles(dataDir)).toEqual([]);

    // Everything else answers.
    expect((await owner.request('GET', '/api/me')).status).toBe(200);
    const list = await owner.json('GET', `/api/workspaces/${ws}/documents`, undefined, 200);
    expect(list.items.map((d: { id: string }) => d.id)).toEqual([firstId]);
    expect((await owner.request('GET', `/api/workspaces/${ws}/search?q=lighthouse&mode=keyword`)).status).toBe(200);
    const health = await within(fetch(`${app!.url}/api/health`), 5_000, 'health');
    expect(health.status).toBe(503);
    const h = (await health.json()) as { status: string; reasons: string[]; checks: { storage: { ok: boolean; disk: { low: boolean } }; database: { ok: boolean } } };
    expect(h.status).toBe('degraded');
    expect(h.checks.database.ok).toBe(true);
    expect(h.checks.storage.disk.low).toBe(true);
    expect(h.reasons.join(' ')).toMatch(/low disk space: \d+ MB free .* below the 32 MB reserve \(DISK_RESERVE_MB\); uploads are refused/);

    // A streamed upload (no Content-Length) while the disk fills to the last byte: 507 before it is
    // acknowledged, the partial file removed, nothing recorded. (Without the fix this request hung.)
    rmSync(filler);
    expect((await healthUntil(app!.url, (x) => x.checks.storage.disk?.low === false)).body.checks.storage.disk?.low).toBe(false);
    let sent = 0;
    let filled = false;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 0) {
          controller.enqueue(new TextEncoder().encode('--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n'));
        }
        if (sent >= 7 * MB) {
          controller.enqueue(new TextEncoder().encode('\r\n--b--\r\n'));
          controller.close();
          return;
        }
        if (sent >= 1 * MB && !filled) {
          filled = true;
          fillDisk(fs!.dir, filler, 0);
        }
        controller.enqueue(new Uint8Array(256 * 1024).fill(0x78));
        sent += 256 * 1024;
        await new Promise((r) => setTimeout(r, 5));
      },
    });
    const streamed = await within(
      fetch(`${app!.url}/api/workspaces/${ws}/documents`, {
        method: 'POST',
        headers: { origin: app!.origin, cookie: owner.cookieHeader(), 'content-type': 'multipart/form-data; boundary=b' },
        body: stream,
        duplex: 'half',
      } as RequestInit),
      30_000,
      'streamed upload on a full disk',
    );
    expect(filled).toBe(true);
    expect(streamed.status).toBe(507);
    expect(((await streamed.json()) as { error: { code: string } }).error.code).toBe('insufficient_storage');
    expect(partFiles(dataDir)).toEqual([]);
    // Still answering on a disk with 0 bytes free; health names the problem.
    const listWhileFull = await within(owner.request('GET', `/api/workspaces/${ws}/documents`), 10_000, 'list');
    expect(listWhileFull.status, await listWhileFull.clone().text()).toBe(200);
    // The database ping is sampled about once a second (health.ts): wait for a sample taken on the full disk.
    const fullHealth = (
      await healthUntil(app!.url, (x) => /low disk space: \d\.\d MB free/.test(x.reasons?.join(' ') ?? '') && /database: /.test(x.reasons?.join(' ') ?? ''))
    ).body;
    expect(fullHealth.status).toBe('degraded');
    expect(fullHealth.reasons?.join(' ')).toMatch(/low disk space: \d\.\d MB free/);
    // 0 or 1 MB: removing the streamed upload's partial file gives back what it held before the disk filled.
    expect(fullHealth.reasons?.join(' ')).toMatch(/database: the embedded database is not writing: only [01] MB free/);

    // Space freed: no restart, the next upload is stored and ingested, nothing lost or stuck.
    rmSync(filler);
    const recovered = await healthUntil(app!.url, (_, status) => status === 200, 30_000);
    expect(recovered.status, JSON.stringify(recovered.body)).toBe(200);
    const third = await owner.request('POST', `/api/workspaces/${ws}/documents`, form('third.md', doc(3)));
    expect(third.status).toBe(202);
    const thirdId = ((await third.json()) as { id: string }).id;
    expect((await settle(owner, ws, thirdId)).status).toBe('ready');
    const after = await owner.json('GET', `/api/workspaces/${ws}/documents`, undefined, 200);
    expect(after.items.map((d: { id: string; status: string }) => [d.id, d.status]).sort()).toEqual(
      [
        [firstId, 'ready'],
        [thirdId, 'ready'],
      ].sort(),
    );
    // Nothing stuck: a ready document's vectors are filled in behind it (an embed job), so let the queue drain.
    let counts = await app!.runtime.worker.queue.counts(0);
    for (let i = 0; i < 150 && (counts.pending > 0 || counts.running > 0); i++) {
      await new Promise((r) => setTimeout(r, 200));
      counts = await app!.runtime.worker.queue.counts(0);
    }
    expect(counts).toMatchObject({ pending: 0, running: 0, failed: 0 });
    expect(partFiles(dataDir)).toEqual([]);
  });
});

describe('a full disk under DATA_DIR (the real process)', { timeout: 180_000 }, () => {
  let fs: Tmpfs | undefined;
  let server: QuarryProcess | undefined;
  beforeAll(() => {
    if (!skip) fs = mountTmpfs(160, 'quarry-disk-full-proc-');
  });
  afterAll(async () => {
    try {
      await server?.stop('SIGKILL');
    } finally {
      fs?.unmount();
    }
  });

  it.skipIf(skip)('SIGTERM on a full disk exits cleanly, and start-up with too little room names the problem and the space needed', async () => {
    const DATA_DIR = path.join(fs!.dir, 'data');
    const filler = path.join(fs!.dir, 'filler');
    server = await startQuarry({ DATA_DIR, DISK_RESERVE_MB: '32' }, { timeoutMs: 90_000 });
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);

    fillDisk(fs!.dir, filler, 0);
    const health = await healthUntil(server.url, (x) => /low disk space/.test(x.reasons?.join(' ') ?? ''));
    expect(health.status).toBe(503);
    expect(health.body.reasons?.join(' ')).toMatch(/low disk space: 0\.0 MB free/);
    expect(health.body.reasons?.join(' ')).toMatch(/database: the embedded database is not writing/);
    // A write on a full disk is refused (503 or 4xx from auth), never left hanging.
    const signUp = await within(
      fetch(`${server.url}/api/auth/sign-up/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ email: 'late@example.com', password: 'correct horse battery staple', name: 'late' }),
      }),
      15_000,
      'sign-up on a full disk',
    );
    expect(signUp.status).not.toBe(200);

    expect(await within(server.stop('SIGTERM'), 30_000, 'SIGTERM')).toBe(0);
    expect(server.output()).toContain('stopped');

    const refused = await runQuarry(['serve'], { DATA_DIR, PORT: '0' }, 60_000);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/the embedded database cannot start: only 0 MB free on the filesystem of DATA_DIR .* needs at least 32 MB free/);
    expect(refused.output).not.toContain('PGlite failed to initialize properly');

    rmSync(filler);
    // A crash mid-upload leaves a partial file: start-up removes it.
    const leftover = path.join(DATA_DIR, 'objects', '.tmp', 'crashed-upload.part');
    mkdirSync(path.dirname(leftover), { recursive: true });
    writeFileSync(leftover, 'half a file');
    server = await startQuarry({ DATA_DIR, DISK_RESERVE_MB: '32' }, { timeoutMs: 90_000 });
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    expect(existsSync(leftover)).toBe(false);
    expect(await server.stop('SIGTERM')).toBe(0);
    server = undefined;
  });
});
