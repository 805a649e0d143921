/** Documents over real HTTP: upload → indexed passages, hostile inputs, deletion, restarts, storage and embedder variants. */
import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents, embeddingSpaces, jobs, passageEmbeddings, passages, queryRows } from '@quarry/db';
import { makeDeclaredBombDocx, makeDocx, makePdf } from '../../../test/support/document-fixtures.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { startTestS3, type TestS3 } from '../../../test/support/s3-server.js';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const fast = { ingest: { pollMs: 100, retryBaseMs: 20, leaseMs: 2_000 }, embedderTuning: { retryBaseMs: 10 } };

function form(name: string, bytes: Buffer, title?: string): FormData {
  const f = new FormData();
  f.append('file', new Blob([new Uint8Array(bytes)]), name);
  if (title) f.append('title', title);
  return f;
}

async function upload(client: TestClient, ws: string, name: string, bytes: Buffer) {
  const res = await client.request('POST', `/api/workspaces/${ws}/documents`, form(name, bytes));
  return { status: res.status, body: (await res.json()) as any };
}

/** Polls until the document is failed, or ready with every vector in place (bounded). */
async function settle(client: TestClient, ws: string, id: string, maxMs = 60_000) {
  const until = Date.now() + maxMs;
  for (;;) {
    const doc = await client.json('GET', `/api/workspaces/${ws}/documents/${id}`, undefined, 200);
    if ((doc.status === 'ready' && doc.vectors.ready === doc.vectors.total) || doc.status === 'failed') return doc;
    if (Date.now() > until) throw new Error(`document ${id} still ${doc.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const markdown = Buffer.from('# Handbook\n\nWelcome to the team.\n\n## Holidays\n\nYou get 30 days of holiday.\n\n## Expenses\n\nKeep every receipt.\n');
const html = Buffer.from(
  '<!doctype html><html><head><title>Policy</title><script>steal()</script></head><body><h1>Security</h1><p>Rotate keys yearly.</p><h2>Access</h2><p>Use SSO.</p></body></html>',
);

async function personalWorkspace(client: TestClient): Promise<string> {
  const me = await client.json('GET', '/api/me', undefined, 200);
  return me.workspaces[0].id;
}

describe('documents over HTTP (fs storage, local embedder)', () => {
  let app: TestApp;
  let owner: TestClient;
  let ws: string;

  beforeAll(async () => {
    app = await startTestApp({ env: { MAX_UPLOAD_MB: '1', CHUNK_TOKENS: '200' }, runtime: fast });
    owner = new TestClient(app);
    await owner.signUp('owner@example.com');
    ws = await personalWorkspace(owner);
  });
  afterAll(() => app.dispose());

  const db = () => app.runtime.database.db;

  it('indexes PDF, DOCX, HTML and Markdown into passages (PDF pages kept)', async () => {
    const pdf = await makePdf(['Alpha page about invoices.', 'Beta page about receipts.', 'Gamma page about budgets.']);
    const docx = await makeDocx([
      { heading: 'Budget', paragraphs: ['The budget grew.'] },
      { heading: 'Staff', paragraphs: ['We hired two people.'], table: [['Name', 'Role'], ['Ada', 'Engineer']] },
    ]);
    const uploads = await Promise.all([
      upload(owner, ws, 'report.pdf', pdf),
      upload(owner, ws, 'plan.docx', docx),
      upload(owner, ws, 'policy.html', html),
      upload(owner, ws, 'handbook.md', markdown),
    ]);
    for (const u of uploads) expect(u.status, JSON.stringify(u.body)).toBe(202);
    expect(uploads.map((u) => u.body.mimeType)).toEqual([
      'application/pdf',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'text/html',
      'text/markdown',
    ]);
    expect(uploads[0]!.body).toMatchObject({ status: 'queued', filename: 'report.pdf', title: 'report.pdf', sizeBytes: pdf.length, sha256: sha256(pdf) });

    const [p, d, h, m] = await Promise.all(uploads.map((u) => settle(owner, ws, u.body.id)));
    expect([p.status, d.status, h.status, m.status]).toEqual(['ready', 'ready', 'ready', 'ready']);
    expect(p).toMatchObject({ pageCount: 3, passageCount: 3, error: null });
    expect(d.passageCount).toBe(2);
    expect(h.passageCount).toBe(2);
    expect(m.passageCount).toBe(3);

    const pdfPassages = await db().select().from(passages).where(eq(passages.documentId, p.id)).orderBy(passages.ordinal);
    expect(pdfPassages.map((x) => [x.page, x.text])).toEqual([
      [1, 'Alpha page about invoices.'],
      [2, 'Beta page about receipts.'],
      [3, 'Gamma page about budgets.'],
    ]);
    const mdPassages = await db().select().from(passages).where(eq(passages.documentId, m.id)).orderBy(passages.ordinal);
    expect(mdPassages.map((x) => x.headingPath)).toEqual([['Handbook'], ['Handbook', 'Holidays'], ['Handbook', 'Expenses']]);
    const htmlText = (await db().select().from(passages).where(eq(passages.documentId, h.id))).map((x) => x.text).join(' ');
    expect(htmlText).not.toContain('steal');
    // Every passage has a vector in the active space and a tsvector.
    const [space] = await db().select().from(embeddingSpaces).where(eq(embeddingSpaces.status, 'active'));
    expect(space).toMatchObject({ provider: 'local', dimensions: 384 });
    const vectors = await db().select().from(passageEmbeddings).where(eq(passageEmbeddings.workspaceId, ws));
    expect(vectors.length).toBe(3 + 2 + 2 + 3);
    const tsv = await queryRows<{ n: number }>(db(), sql`SELECT count(*)::int AS n FROM passages WHERE tsv @@ to_tsquery('english', 'receipt')`);
    expect(tsv[0]!.n).toBeGreaterThanOrEqual(2);

    // List (cursor paging) and the health checks.
    const page1 = await owner.json('GET', `/api/workspaces/${ws}/documents?limit=3`, undefined, 200);
    expect(page1.items).toHaveLength(3);
    const page2 = await owner.json('GET', `/api/workspaces/${ws}/documents?limit=3&cursor=${page1.nextCursor}`, undefined, 200);
    expect(page2.items.length).toBeGreaterThanOrEqual(1);
    expect(new Set([...page1.items, ...page2.items].map((x: any) => x.id)).size).toBe(page1.items.length + page2.items.length);
    const health = await (await fetch(`${app.url}/api/health`)).json();
    expect(health.checks.storage).toMatchObject({ ok: true, driver: 'fs' });
    expect(health.checks.queue).toMatchObject({ pending: expect.any(Number), failed: expect.any(Number) });
  });

  it('refuses duplicates (409 existingId), lies about type (415), empty files (400) and oversize files (413) — storing nothing', async () => {
    const text = Buffer.from('Unique words for duplicate detection.\n');
    const first = await upload(owner, ws, 'dup.txt', text);
    expect(first.status).toBe(202);
    const second = await upload(owner, ws, 'copy-of-dup.txt', text);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: { code: 'duplicate_document' }, existingId: first.body.id });

    const objectsBefore = await countObjects();
    const fake = await upload(owner, ws, 'invoice.pdf', Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff]));
    expect(fake.status).toBe(415);
    expect(fake.body.error.code).toBe('unsupported_media_type');
    const textAsPdf = await upload(owner, ws, 'notes.pdf', Buffer.from('plain text pretending'));
    expect(textAsPdf.status).toBe(415);
    const empty = await upload(owner, ws, 'empty.txt', Buffer.alloc(0));
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('empty_file');
    const big = await upload(owner, ws, 'big.txt', Buffer.alloc(1024 * 1024 + 10, 'a'));
    expect(big.status).toBe(413);
    expect(await countObjects()).toBe(objectsBefore);
    const names = (await db().select({ f: documents.filename }).from(documents)).map((r) => r.f);
    expect(names).not.toContain('big.txt');
    expect(names).not.toContain('invoice.pdf');
  });

  async function countObjects(): Promise<number> {
    let n = 0;
    for await (const _ of app.runtime.storage.list('documents/')) n++;
    return n;
  }

  it('stores hostile file names safely and returns the original bytes as an escaped attachment', async () => {
    const bytes = Buffer.from('Some text in a file with a hostile name.\n');
    // Control characters can only travel percent-encoded (RFC 5987 filename*); raw ones make a malformed header.
    const boundary = 'quarry-test-boundary';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''..%2F..%2Fetc%2Fpa%22ss%07wd%E2%80%AE%0D%0A%3B.txt\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await owner.request('POST', `/api/workspaces/${ws}/documents`, undefined, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(res.status).toBe(400); // no body sent: the file field is missing
    const posted = await fetch(`${app.url}/api/workspaces/${ws}/documents`, {
      method: 'POST',
      body,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, origin: app.origin, cookie: owner.cookieHeader() },
    });
    const created = (await posted.json()) as any;
    expect(posted.status, JSON.stringify(created)).toBe(202);
    expect(created.filename).toBe('pa"sswd;.txt');
    const [row] = await db().select().from(documents).where(eq(documents.id, created.id));
    expect(row!.storageKey).toBe(`documents/${ws}/${created.id}`);
    const file = await owner.request('GET', `/api/workspaces/${ws}/documents/${created.id}/file`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="pa_sswd_.txt"; filename*=UTF-8''pa%22sswd%3B.txt`);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(file.headers.get('content-type')).toBe('text/plain');
    expect(sha256(Buffer.from(await file.arrayBuffer()))).toBe(sha256(bytes));
    // A raw control byte in the part header is malformed multipart: 400, nothing stored.
    expect((await upload(owner, ws, 'bad\u0007name.txt', Buffer.from('x'))).status).toBe(400);
  });

  it('fails a zip-bomb DOCX with a readable reason and keeps working', async () => {
    const bomb = await upload(owner, ws, 'bomb.docx', makeDeclaredBombDocx());
    expect(bomb.status).toBe(202);
    const doc = await settle(owner, ws, bomb.body.id);
    expect(doc.status).toBe('failed');
    expect(doc.error).toMatch(/zip bomb/);
    const after = await upload(owner, ws, 'after.md', Buffer.from('# After\n\nStill working.\n'));
    expect((await settle(owner, ws, after.body.id)).status).toBe('ready');
  });

  it('deletes a document: object, passages, vectors and jobs; writes audit events', async () => {
    const res = await upload(owner, ws, 'doomed.md', Buffer.from('# Doomed\n\nThis will be deleted.\n'));
    await settle(owner, ws, res.body.id);
    const [row] = await db().select().from(documents).where(eq(documents.id, res.body.id));
    expect(await app.runtime.storage.head(row!.storageKey)).toBeDefined();
    const del = await owner.request('DELETE', `/api/workspaces/${ws}/documents/${res.body.id}`);
    expect(del.status).toBe(204);
    expect(await app.runtime.storage.head(row!.storageKey)).toBeUndefined();
    expect(await db().select().from(passages).where(eq(passages.documentId, res.body.id))).toEqual([]);
    const vectors = await queryRows(db(), sql`SELECT 1 FROM passage_embeddings e LEFT JOIN passages p ON p.id = e.passage_id WHERE p.id IS NULL`);
    expect(vectors).toEqual([]);
    expect(await db().select().from(jobs).where(eq(jobs.documentId, res.body.id))).toEqual([]);
    expect((await owner.request('GET', `/api/workspaces/${ws}/documents/${res.body.id}`)).status).toBe(404);
    const actions = await queryRows<{ action: string }>(db(), sql`SELECT action FROM audit_events WHERE target_id = ${res.body.id} ORDER BY id`);
    expect(actions.map((a) => a.action)).toEqual(['document.uploaded', 'document.deleted']);
  });

  it('keeps other workspaces out (404) and viewers read-only', async () => {
    const stranger = new TestClient(app);
    await stranger.signUp('stranger@example.com');
    const [doc] = await db().select().from(documents).where(eq(documents.workspaceId, ws)).limit(1);
    expect((await stranger.request('GET', `/api/workspaces/${ws}/documents/${doc!.id}/file`)).status).toBe(404);
    expect((await stranger.request('GET', `/api/workspaces/${ws}/documents`)).status).toBe(404);
    expect((await upload(stranger, ws, 'x.txt', Buffer.from('intrusion'))).status).toBe(404);
    const theirs = await personalWorkspace(stranger);
    expect((await stranger.request('GET', `/api/workspaces/${theirs}/documents/${doc!.id}`)).status).toBe(404);
  });

  it('reindexes a document', async () => {
    const [doc] = await db().select().from(documents).where(eq(documents.status, 'ready')).limit(1);
    const res = await owner.request('POST', `/api/workspaces/${ws}/documents/${doc!.id}/reindex`);
    expect(res.status).toBe(202);
    const again = await settle(owner, ws, doc!.id);
    expect(again).toMatchObject({ status: 'ready', passageCount: doc!.passageCount });
  });

  it('reindexes a document whose vectors are still filling in (an embed job pending): it is indexed again, not left queued', async () => {
    const [doc] = await db().select().from(documents).where(eq(documents.status, 'ready')).limit(1);
    // The state right after ingest: keyword-searchable, its embed job still waiting its turn.
    await db().insert(jobs).values({ kind: 'embed', payload: { documentId: doc!.id }, documentId: doc!.id, runAt: new Date(Date.now() + 60_000) });
    const res = await owner.request('POST', `/api/workspaces/${ws}/documents/${doc!.id}/reindex`);
    expect(res.status).toBe(202);
    expect(await settle(owner, ws, doc!.id)).toMatchObject({ status: 'ready', passageCount: doc!.passageCount });
  });

  it('workspace deletion removes its documents, passages, vectors and files', async () => {
    const created = await owner.json('POST', '/api/workspaces', { name: 'Temporary' }, 201);
    const res = await upload(owner, created.id, 'temp.md', Buffer.from('# Temp\n\nTemporary words.\n'));
    await settle(owner, created.id, res.body.id);
    expect((await owner.request('DELETE', `/api/workspaces/${created.id}`)).status).toBe(204);
    let left = 0;
    for await (const _ of app.runtime.storage.list(`documents/${created.id}/`)) left++;
    expect(left).toBe(0);
    expect(await db().select().from(documents).where(eq(documents.workspaceId, created.id))).toEqual([]);
    expect(await db().select().from(passages).where(eq(passages.workspaceId, created.id))).toEqual([]);
    expect(await db().select().from(passageEmbeddings).where(eq(passageEmbeddings.workspaceId, created.id))).toEqual([]);
  });
});

describe('documents with s3 storage and an OpenAI-compatible embedder', () => {
  let app: TestApp;
  let s3: TestS3;
  let ai: FakeOpenAI;
  let client: TestClient;
  let ws: string;

  beforeAll(async () => {
    s3 = await startTestS3();
    ai = await startFakeOpenAI({ dimensions: 64 });
    app = await startTestApp({
      env: {
        STORAGE_DRIVER: 's3',
        S3_ENDPOINT: s3.config.endpoint,
        S3_REGION: s3.config.region,
        R2_BUCKET: s3.config.bucket,
        R2_ACCESS_KEY_ID: s3.config.accessKeyId,
        R2_SECRET_ACCESS_KEY: s3.config.secretAccessKey,
        OPENAI_BASE_URL: ai.baseUrl,
        OPENAI_API_KEY: 'sk-test',
        EMBEDDING_MODEL: 'fake-embed',
        EMBEDDING_DIMENSIONS: '64',
      },
      runtime: fast,
    });
    client = new TestClient(app);
    await client.signUp('s3@example.com');
    ws = await personalWorkspace(client);
  });
  afterAll(async () => {
    await app?.dispose();
    await ai?.close();
    await s3?.close();
  });

  it('stores byte-exact objects in S3 and retries the embedding server past a 429 and a 500', async () => {
    const pdf = await makePdf(['First page on S3.', 'Second page on S3.']);
    ai.failNext(429, 500);
    const res = await upload(client, ws, 's3.pdf', pdf);
    expect(res.status).toBe(202);
    const doc = await settle(client, ws, res.body.id);
    expect(doc).toMatchObject({ status: 'ready', pageCount: 2, passageCount: 2 });
    expect(ai.requests.filter((r) => r.model === 'fake-embed').map((r) => r.status).slice(0, 3)).toEqual([429, 500, 200]);

    const [row] = await app.runtime.database.db.select().from(documents).where(eq(documents.id, res.body.id));
    const stored = await app.runtime.storage.get(row!.storageKey);
    const chunks: Buffer[] = [];
    for await (const c of stored.stream) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(pdf.length);
    expect(sha256(bytes)).toBe(sha256(pdf));
    const [space] = await app.runtime.database.db.select().from(embeddingSpaces).where(eq(embeddingSpaces.status, 'active'));
    expect(space).toMatchObject({ provider: 'openai', model: 'fake-embed', dimensions: 64 });

    const del = await client.request('DELETE', `/api/workspaces/${ws}/documents/${res.body.id}`);
    expect(del.status).toBe(204);
    expect(await app.runtime.storage.head(row!.storageKey)).toBeUndefined();
  });
});

describe('restarts and model changes', () => {
  let app: TestApp;
  let ai: FakeOpenAI;

  beforeAll(async () => {
    ai = await startFakeOpenAI({ dimensions: 48 });
  });
  afterAll(async () => {
    await app?.dispose();
    await ai?.close();
  });

  it('a worker killed mid-job loses nothing: after restart every document ends ready or failed', async () => {
    // Worker off: documents stay queued; then jobs are left "running" as a crashed worker leaves them.
    app = await startTestApp({ env: { INGEST_CONCURRENCY: '0' }, runtime: fast });
    const client = new TestClient(app);
    await client.signUp('restart@example.com');
    const ws = await personalWorkspace(client);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await upload(client, ws, `n${i}.md`, Buffer.from(`# Note ${i}\n\nBody ${i}.\n`))).body.id);
    ids.push((await upload(client, ws, 'bomb.docx', makeDeclaredBombDocx())).body.id);
    const db = app.runtime.database.db;
    await db.update(jobs).set({ status: 'running', attempts: 1, leaseUntil: sql`now() + interval '1 hour'` });
    await db.update(documents).set({ status: 'processing' });
    const dataDir = app.dataDir;
    await app.stop();

    app = await startTestApp({ reuse: { dataDir }, runtime: fast });
    const again = new TestClient(app);
    await again.signIn('restart@example.com');
    const final = await Promise.all(ids.map((id) => settle(again, ws, id)));
    expect(final.map((d) => d.status)).toEqual(['ready', 'ready', 'ready', 'ready', 'failed']);
    expect(final[4].error).toMatch(/zip bomb/);
  });

  it('EMBEDDING_MODEL change re-embeds into a new space; the old one is dropped only when complete', async () => {
    const db0 = app.runtime.database.db;
    const [local] = await db0.select().from(embeddingSpaces).where(eq(embeddingSpaces.status, 'active'));
    expect(local!.provider).toBe('local');
    const total = (await db0.select().from(passages)).length;
    expect((await db0.select().from(passageEmbeddings).where(eq(passageEmbeddings.spaceId, local!.id))).length).toBe(total);
    const dataDir = app.dataDir;
    await app.stop();

    // The new model's server fails at first: the rebuild waits, search keeps the old space.
    ai.failNext(503, 503, 503, 503);
    app = await startTestApp({
      reuse: { dataDir },
      env: { OPENAI_BASE_URL: ai.baseUrl, EMBEDDING_MODEL: 'fake-embed-2', EMBEDDING_DIMENSIONS: '48' },
      runtime: { ...fast, ingest: { ...fast.ingest, retryBaseMs: 300 }, embedderTuning: { retryBaseMs: 300, maxRetries: 0 } },
    });
    const db = app.runtime.database.db;
    const spaces = await db.select().from(embeddingSpaces).orderBy(embeddingSpaces.id);
    expect(spaces.map((s) => [s.provider, s.status])).toEqual([
      ['local', 'active'],
      ['openai', 'building'],
    ]);
    expect((await db.select().from(passageEmbeddings).where(eq(passageEmbeddings.spaceId, local!.id))).length).toBe(total);

    const until = Date.now() + 60_000;
    let after = spaces;
    while (Date.now() < until) {
      after = await db.select().from(embeddingSpaces).orderBy(embeddingSpaces.id);
      if (after[1]!.status === 'active') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(after.map((s) => [s.provider, s.status])).toEqual([
      ['local', 'retired'],
      ['openai', 'active'],
    ]);
    expect((await db.select().from(passageEmbeddings).where(eq(passageEmbeddings.spaceId, after[1]!.id))).length).toBe(total);
    // The retired space's vectors are deleted after the switch, in batches (spaces.ts): bounded wait.
    const oldVectors = () => db.select().from(passageEmbeddings).where(eq(passageEmbeddings.spaceId, local!.id));
    for (let i = 0; i < 300 && (await oldVectors()).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await oldVectors()).length).toBe(0);
    expect(ai.requests.some((r) => r.status === 503)).toBe(true);
  });
});
