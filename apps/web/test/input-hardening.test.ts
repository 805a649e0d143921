/**
 * Issue 14, item 9 (the "Low" list), over real HTTP on loopback: NUL bytes in
 * text fields, crafted cursors, out-of-range dates, multipart bodies without a
 * closing boundary, a trickling upload, upload titles, the download's CSP,
 * account lookup through member-add, and what error paths write to the log.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents } from '@quarry/db';
import { createLogger } from '../src/server/logger.js';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

const NUL = '\u0000';
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const fast = { ingest: { pollMs: 100, retryBaseMs: 20, leaseMs: 2_000 } };

function form(name: string, bytes: Buffer | string, title?: string): FormData {
  const f = new FormData();
  f.append('file', new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]), name);
  if (title !== undefined) f.append('title', title);
  return f;
}

async function body(res: Response) {
  const text = await res.text();
  try {
    return JSON.parse(text) as { error?: { code: string; message: string; field?: string } } & Record<string, any>;
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
}

/** Files under the fs store (documents and the .tmp staging directory), for "nothing stored". */
function storedFiles(app: TestApp): { objects: string[]; parts: string[] } {
  const dir = path.join(app.dataDir, 'objects');
  const walk = (d: string): string[] =>
    existsSync(d) ? readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)])) : [];
  const all = walk(dir);
  return { objects: all.filter((f) => !f.includes(`${path.sep}.tmp${path.sep}`)), parts: all.filter((f) => f.endsWith('.part')) };
}

/** One raw HTTP exchange on loopback: send `head`, then `chunks` paced by `gapMs`; resolves with what came back. */
function rawRequest(
  app: TestApp,
  head: string,
  chunks: Buffer[],
  options: { gapMs?: number; endAfter?: boolean; maxMs: number },
): Promise<{ response: string; elapsedMs: number; sentBytes: number }> {
  const { port, hostname } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect({ port: Number(port), host: hostname });
    let response = '';
    let sentBytes = 0;
    let timer: NodeJS.Timeout | undefined;
    const bound = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${options.maxMs} ms (sent ${sentBytes} bytes; got ${JSON.stringify(response.slice(0, 200))})`));
    }, options.maxMs);
    const finish = () => {
      clearTimeout(bound);
      if (timer) clearTimeout(timer);
      resolve({ response, elapsedMs: Date.now() - started, sentBytes });
    };
    socket.on('data', (d) => (response += d.toString('latin1')));
    socket.on('close', finish);
    socket.on('error', () => {}); // a reset after the answer is fine: 'close' follows
    socket.on('connect', () => {
      socket.write(head);
      let i = 0;
      const next = () => {
        if (socket.destroyed) return;
        if (i >= chunks.length) {
          if (options.endAfter) socket.end();
          return;
        }
        const chunk = chunks[i++]!;
        sentBytes += chunk.length;
        socket.write(chunk);
        timer = setTimeout(next, options.gapMs ?? 0);
      };
      next();
    });
  });
}

describe('item 9: hostile input answers 400, never 500', () => {
  let app: TestApp;
  let admin: TestClient;
  let ws: string;

  beforeAll(async () => {
    app = await startTestApp({
      env: { ADMIN_EMAIL: 'admin@example.com', MAX_UPLOAD_MB: '1', UPLOAD_MIN_BYTES_PER_SECOND: '1024', UPLOAD_RATE_GRACE_SECONDS: '1' },
      runtime: fast,
    });
    admin = new TestClient(app);
    await admin.signUp('admin@example.com');
    ws = (await admin.json('GET', '/api/me', undefined, 200)).workspaces[0].id;
  });
  afterAll(() => app.dispose());

  it('NUL in a text field: 400 naming the field (search and ask treat it as a space)', async () => {
    const refused: Array<[string, string, unknown, string]> = [
      ['POST', '/api/workspaces', { name: `a${NUL}b` }, 'name'],
      ['PATCH', `/api/workspaces/${ws}`, { name: `a${NUL}b` }, 'name'],
      ['POST', '/api/account/api-keys', { name: `key${NUL}` }, 'name'],
      ['POST', '/api/auth/sign-up/email', { email: 'nul@example.com', password: 'correct horse battery', name: `a${NUL}b` }, 'name'],
      ['POST', '/api/auth/sign-in/email', { email: `x${NUL}@example.com`, password: 'correct horse battery' }, 'email'],
      ['POST', '/api/admin/invitations', { email: `a${NUL}@example.com` }, 'email'],
      ['POST', `/api/workspaces/${ws}/members`, { email: `a${NUL}@example.com`, role: 'viewer' }, 'email'],
      ['GET', `/api/admin/audit?action=${encodeURIComponent(`a${NUL}`)}`, undefined, 'action'],
      ['GET', `/api/admin/audit?actorId=${encodeURIComponent(`a${NUL}`)}`, undefined, 'actorId'],
      ['GET', `/api/admin/audit/export?action=${encodeURIComponent(`a${NUL}`)}`, undefined, 'action'],
      ['PATCH', `/api/admin/users/${encodeURIComponent(`x${NUL}`)}`, { role: 'member' }, 'id'],
      ['DELETE', `/api/workspaces/${ws}/members/${encodeURIComponent(`x${NUL}`)}`, undefined, 'userId'],
    ];
    for (const [method, url, payload, field] of refused) {
      const res = await admin.request(method, url, payload);
      const b = await body(res);
      expect(res.status, `${method} ${url}: ${JSON.stringify(b)}`).toBe(400);
      expect(b.error?.field, `${method} ${url}`).toBe(field);
    }
    // Search turns control characters into spaces; a question is searched the same way.
    const search = await admin.request('GET', `/api/workspaces/${ws}/search?mode=keyword&q=${encodeURIComponent(`a${NUL}b`)}`);
    expect(search.status).toBe(200);
    const ask = await admin.request('POST', `/api/workspaces/${ws}/ask`, { question: `a${NUL}b` });
    expect(ask.status).toBe(200);
    // Nothing was stored with a NUL, and the names did not change.
    expect((await admin.json('GET', `/api/workspaces/${ws}`, undefined, 200)).name).toBe('Personal');
  });

  it('crafted cursors: 400 invalid_cursor for documents, the audit log, members and accounts', async () => {
    const now = new Date().toISOString();
    const uuid = '00000000-0000-4000-8000-000000000000';
    const documentCursors = [
      '%%%%',
      b64('garbage'),
      b64('[1,2,3]'),
      b64({ at: 'garbage', id: uuid }),
      b64({ at: now, id: 'not-a-uuid' }),
      b64({ at: now, id: `x${NUL}` }),
      b64({ at: '99999-01-01T00:00:00Z', id: uuid }),
      b64({ at: '+099999-01-01T00:00:00.000Z', id: uuid }),
      b64({ at: 1e308, id: 1 }),
      b64({ at: now }),
      'A'.repeat(512),
    ];
    for (const cursor of documentCursors) {
      const res = await admin.request('GET', `/api/workspaces/${ws}/documents?cursor=${encodeURIComponent(cursor)}`);
      const b = await body(res);
      expect(res.status, `documents cursor ${cursor.slice(0, 60)}: ${JSON.stringify(b)}`).toBe(400);
      expect(b.error?.code).toBe('invalid_cursor');
    }
    const auditCursors = [
      b64({ at: now, id: 1e300 }),
      b64({ at: now, id: 1.5 }),
      b64({ at: now, id: -1 }),
      b64({ at: now, id: '1' }),
      b64({ at: 'garbage', id: 1 }),
      b64({ at: '0000-01-01T00:00:00Z', id: 1 }),
      b64(null),
    ];
    for (const cursor of auditCursors) {
      const res = await admin.request('GET', `/api/admin/audit?cursor=${cursor}`);
      expect(res.status, `audit cursor ${Buffer.from(cursor, 'base64url').toString()}`).toBe(400);
      expect((await body(res)).error?.code).toBe('invalid_cursor');
    }
    for (const url of ['/api/admin/users', `/api/workspaces/${ws}/members`]) {
      for (const cursor of [b64({ email: `a${NUL}` }), b64({ email: 5 }), b64({ email: 'x'.repeat(300) })]) {
        const res = await admin.request('GET', `${url}?cursor=${cursor}`);
        expect(res.status, `${url} cursor ${Buffer.from(cursor, 'base64url').toString().slice(0, 40)}`).toBe(400);
      }
    }
    // A cursor the API wrote still works.
    for (let i = 0; i < 3; i++) await admin.request('POST', `/api/workspaces/${ws}/documents`, form(`n${i}.txt`, `note number ${i}\n`));
    const first = await admin.json('GET', `/api/workspaces/${ws}/documents?limit=2`, undefined, 200);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await admin.json('GET', `/api/workspaces/${ws}/documents?limit=2&cursor=${first.nextCursor}`, undefined, 200);
    expect(second.items).toHaveLength(1);
    const audit = await admin.json('GET', '/api/admin/audit?limit=1', undefined, 200);
    await admin.json('GET', `/api/admin/audit?limit=1&cursor=${audit.nextCursor}`, undefined, 200);
  });

  it('date filters: out of range, not a date, or from after to → 400 naming the field', async () => {
    const search = (extra: string) => admin.request('GET', `/api/workspaces/${ws}/search?mode=keyword&q=note${extra}`);
    const cases: Array<[string, string]> = [
      ['&from=99999-01-01', 'from'],
      ['&from=%2B099999-01-01', 'from'],
      ['&to=0000-01-01', 'to'],
      ['&from=not-a-date', 'from'],
      ['&from=2025-02-01&to=2025-01-01', 'to'],
    ];
    for (const [extra, field] of cases) {
      const res = await search(extra);
      const b = await body(res);
      expect(res.status, `${extra}: ${JSON.stringify(b)}`).toBe(400);
      expect(b.error?.field).toBe(field);
    }
    expect((await search('&from=2000-01-01&to=9999-12-31')).status).toBe(200);
    const audit: Array<[string, string]> = [
      ['since=0000-01-01T00:00:00Z', 'since'],
      ['until=99999-01-01T00:00:00Z', 'until'],
      ['since=yesterday', 'since'],
      ['since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z', 'until'],
    ];
    for (const [query, field] of audit) {
      for (const route of ['/api/admin/audit', '/api/admin/audit/export']) {
        const res = await admin.request('GET', `${route}?${query}`);
        const b = await body(res);
        expect(res.status, `${route}?${query}: ${JSON.stringify(b)}`).toBe(400);
        expect(b.error?.field).toBe(field);
      }
    }
    expect((await admin.request('GET', '/api/admin/audit?since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z')).status).toBe(200);
  });

  it('a multipart body without its closing boundary: 400 incomplete_upload, nothing stored, no .part left', async () => {
    const before = (await app.runtime.services.db.select({ id: documents.id }).from(documents)).length;
    const boundary = 'quarryboundary7';
    const fileHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.txt"\r\nContent-Type: text/plain\r\n\r\n`;
    const content = 'words that will never be stored\n'.repeat(400); // ~12 KB: past the sniffed head
    const bodies = {
      'ends inside the file': fileHead + content,
      'ends after the file, before the closing "--"': `${fileHead}${content}\r\n--${boundary}`,
      'ends inside the title field after the file': `${fileHead}${content}\r\n--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhalf a ti`,
    };
    for (const [what, text] of Object.entries(bodies)) {
      const bytes = Buffer.from(text);
      const head =
        `POST /api/workspaces/${ws}/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${app.origin}\r\nCookie: ${admin.cookieHeader()}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
      const { response } = await rawRequest(app, head, [bytes], { maxMs: 15_000 });
      expect(response, what).toMatch(/^HTTP\/1\.1 400 /);
      const json = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
      expect(json.error.code, what).toBe('incomplete_upload');
    }
    expect((await app.runtime.services.db.select({ id: documents.id }).from(documents)).length).toBe(before);
    const files = storedFiles(app);
    expect(files.parts).toEqual([]);
    expect(files.objects).toHaveLength(before);
  });

  it('an upload trickling at 2 B/s is cut with 408 after the grace period; nothing stored; a normal upload still works', async () => {
    const before = (await app.runtime.services.db.select({ id: documents.id }).from(documents)).length;
    const boundary = 'slowboundary';
    const payload = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\n\r\n${'slow '.repeat(2000)}\r\n--${boundary}--\r\n`);
    const head =
      `POST /api/workspaces/${ws}/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${app.origin}\r\nCookie: ${admin.cookieHeader()}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${payload.length}\r\n\r\n`;
    // The first 200 bytes at once (the part header, into the file), then 2 bytes a second.
    const chunks = [payload.subarray(0, 200), ...Array.from({ length: 60 }, (_, i) => payload.subarray(200 + 2 * i, 202 + 2 * i))];
    const { response, elapsedMs, sentBytes } = await rawRequest(app, head, chunks, { gapMs: 1000, maxMs: 20_000 });
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)).error.code).toBe('upload_too_slow');
    // Grace 1 s at 1024 B/s: 200 bytes are below the minimum at once, so the cut comes within a few ticks.
    expect(elapsedMs).toBeLessThan(6_000);
    expect(sentBytes).toBeLessThan(payload.length);
    expect((await app.runtime.services.db.select({ id: documents.id }).from(documents)).length).toBe(before);
    expect(storedFiles(app).parts).toEqual([]);

    const ok = await admin.request('POST', `/api/workspaces/${ws}/documents`, form('fast.txt', 'a normal upload at loopback speed\n'));
    expect(ok.status).toBe(202);
  });

  it('a client that sends headers and then nothing is cut too', async () => {
    const head =
      `POST /api/workspaces/${ws}/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${app.origin}\r\nCookie: ${admin.cookieHeader()}\r\n` +
      `Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n`;
    const { response, elapsedMs } = await rawRequest(app, head, [], { maxMs: 20_000 });
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(elapsedMs).toBeLessThan(6_000);
  });

  it('upload titles lose CR/LF, NUL, other controls and bidi overrides, as file names do', async () => {
    const title = `Quarterly\r\nreport\u0000 \u202Egnp.exe\u202C \u2066isolated\u2069\tend\u0007`;
    const res = await admin.request('POST', `/api/workspaces/${ws}/documents`, form('titled.txt', 'a titled document\n', title));
    const doc = await body(res);
    expect(res.status, JSON.stringify(doc)).toBe(202);
    expect(doc.title).toBe('Quarterly report gnp.exe isolated end');
    expect([...(doc.title as string)].filter((ch) => /[\p{Cc}\p{Cf}]/u.test(ch))).toEqual([]);
    const only = await body(await admin.request('POST', `/api/workspaces/${ws}/documents`, form('untitled.txt', 'only controls in the title\n', '\u202E\r\n\u0000')));
    expect(only.title).toBe('untitled.txt');
  });

  it("a download keeps its own Content-Security-Policy: default-src 'none'; sandbox", async () => {
    const up = await body(await admin.request('POST', `/api/workspaces/${ws}/documents`, form('page.html', '<!doctype html><html><body><p>hi</p><script>alert(1)</script></body></html>')));
    const res = await admin.request('GET', `/api/workspaces/${ws}/documents/${up.id}/file`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    // Other responses still carry the app-wide policy.
    const api = await admin.request('GET', '/api/me');
    expect(api.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });

  it('member-add: addresses matching no account are limited per user; once spent, known addresses answer 429 too', async () => {
    const owner = new TestClient(app);
    await owner.signUp('prober@example.com');
    const mine = (await owner.json('GET', '/api/me', undefined, 200)).workspaces[0].id;
    const colleague = new TestClient(app);
    await colleague.signUp('colleague@example.com');
    const add = (email: string) => owner.request('POST', `/api/workspaces/${mine}/members`, { email, role: 'viewer' });
    // Hits cost nothing: adding a real account, and adding it again (409), many times.
    expect((await add('colleague@example.com')).status).toBe(201);
    for (let i = 0; i < 12; i++) expect((await add('colleague@example.com')).status).toBe(409);
    for (let i = 0; i < 10; i++) {
      const res = await add(`nobody${i}@example.com`);
      expect(res.status).toBe(400);
      expect((await body(res)).error?.code).toBe('unknown_user');
    }
    const limited = await add('nobody-else@example.com');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Now a known address cannot be told apart from an unknown one.
    const known = await add('admin@example.com');
    expect(known.status).toBe(429);
    // Another user is not affected.
    expect((await admin.request('POST', `/api/workspaces/${ws}/members`, { email: 'colleague@example.com', role: 'viewer' })).status).toBe(201);
  });
});

describe('item 9: error-path logs carry no search text, question, title, name or key hash', () => {
  let app: TestApp;
  const lines: string[] = [];

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    });
    const logger = createLogger({ level: 'debug', pretty: false, destination });
    app = await startTestApp({ logger, runtime: fast });
  });
  afterAll(() => app.dispose());

  const exec = (statement: string) => app.runtime.services.db.execute(sql.raw(statement));

  it('search, ask, upload, an API key and a sign-up failing in the database log no caller data', async () => {
    const client = new TestClient(app);
    await client.signUp('logs@example.com');
    const ws = (await client.json('GET', '/api/me', undefined, 200)).workspaces[0].id;
    const created = await client.json('POST', '/api/account/api-keys', { name: 'script' }, 201);
    const up = await client.request('POST', `/api/workspaces/${ws}/documents`, form('zebra.txt', 'The zebrafinch sings at dawn.\n'));
    const doc = await body(up);
    for (let i = 0; i < 100; i++) {
      const d = await client.json('GET', `/api/workspaces/${ws}/documents/${doc.id}`, undefined, 200);
      if (d.status === 'ready' || d.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const secrets = {
      search: 'zebrafinch-searched-secret',
      question: 'zebrafinch question secret',
      title: 'Secret Title Of Zebrafinch',
      name: 'Secret Name Zebrafinch',
      email: 'secret-signup@example.com',
      key: created.key as string,
      keyHash: createHash('sha256').update(created.key as string).digest('hex'),
    };
    lines.length = 0;

    // Passages gone: search and ask fail in the database with the query text among the parameters.
    await exec('ALTER TABLE passages RENAME TO passages_hidden');
    try {
      const s = await client.request('GET', `/api/workspaces/${ws}/search?mode=keyword&q=${encodeURIComponent(secrets.search)}`);
      expect(s.status).toBe(500);
      const a = await client.request('POST', `/api/workspaces/${ws}/ask`, { question: secrets.question });
      expect(a.status).toBeGreaterThanOrEqual(500);
    } finally {
      await exec('ALTER TABLE passages_hidden RENAME TO passages');
    }
    // Every new document row refused: the insert's parameters (and PostgreSQL's detail) hold the title.
    await exec('ALTER TABLE documents ADD CONSTRAINT test_refuse_rows CHECK (false) NOT VALID');
    try {
      const u = await client.request('POST', `/api/workspaces/${ws}/documents`, form('other.txt', 'other bytes\n', secrets.title));
      expect(u.status).toBe(500);
    } finally {
      await exec('ALTER TABLE documents DROP CONSTRAINT test_refuse_rows');
    }
    // The key lookup fails: its parameter is the key's hash.
    await exec('ALTER TABLE api_keys RENAME TO api_keys_hidden');
    try {
      const k = await client.request('GET', '/api/me', undefined, { 'x-api-key': secrets.key });
      expect(k.status).toBe(500);
    } finally {
      await exec('ALTER TABLE api_keys_hidden RENAME TO api_keys');
    }
    // better-auth's own error log (it used to print the failed insert, parameters and all, to the console).
    await exec('ALTER TABLE users ADD CONSTRAINT test_refuse_users CHECK (false) NOT VALID');
    try {
      const r = await new TestClient(app).request('POST', '/api/auth/sign-up/email', { email: secrets.email, password: 'correct horse battery', name: secrets.name });
      expect(r.status).toBeGreaterThanOrEqual(400);
    } finally {
      await exec('ALTER TABLE users DROP CONSTRAINT test_refuse_users');
    }

    const log = lines.join('');
    // Nothing the caller sent is in the log …
    for (const [what, secret] of Object.entries(secrets)) {
      expect(log.includes(secret), `${what} appears in the log`).toBe(false);
      expect(log.toLowerCase().includes(secret.toLowerCase()), `${what} appears in the log (case-folded)`).toBe(false);
    }
    expect(log).not.toContain('zebrafinch');
    expect(log).not.toMatch(/params:/);
    // … yet the failures were logged, with enough to find them (so the test is not vacuous).
    expect(lines.filter((l) => l.includes('"unhandled error"')).length).toBeGreaterThanOrEqual(4);
    expect(log).toContain('Failed query');
    expect(log).toContain('"source":"better-auth"');
  });
});
