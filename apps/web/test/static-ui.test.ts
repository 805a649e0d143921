/**
 * The built UI over real HTTP: precompressed brotli/gzip chosen by Accept-Encoding and decoding to
 * the very bytes built, `Vary: Accept-Encoding`, immutable caching for hashed /assets, and
 * `no-cache` + ETag/304 for index.html and deep links.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../src/server/http/app.js';
import { listen, type Listening } from '../src/server/http/listen.js';
import { precompressDir } from '../src/server/http/precompress.js';
import { chooseEncoding, serveUi } from '../src/server/http/ui.js';
import { createLogger } from '../src/server/logger.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('static UI', () => {
  let dir: string;
  let server: Listening;
  let base: string;
  const js = `export const words = ${JSON.stringify(Array.from({ length: 4000 }, (_, i) => `word${i % 97}`))};\n`;
  const css = `${Array.from({ length: 300 }, (_, i) => `.c${i} { color: #${(i * 7919).toString(16).padStart(6, '0').slice(0, 6)}; margin: ${i}px; }`).join('\n')}\n`;
  const html = `<!doctype html><html><head><title>Quarry</title><script type="module" src="/assets/app-1a2b3c.js"></script></head><body><div id="root"></div>${'<!-- padding -->'.repeat(60)}</body></html>`;
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 2000 }, (_, i) => (i * 31) % 256)]);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'quarry-ui-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), html);
    writeFileSync(path.join(dir, 'assets/app-1a2b3c.js'), js);
    writeFileSync(path.join(dir, 'assets/app-4d5e6f.css'), css);
    writeFileSync(path.join(dir, 'assets/logo-778899.png'), png);
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const result = precompressDir(dir);
    expect(result.files).toBe(3); // html, js, css; not the PNG, not the 43-byte SVG
    const app = createHttpApp({
      logger: createLogger({ level: 'silent', pretty: false }),
      health: { pingDatabase: async () => 1, storage: async () => ({ ok: true, driver: 'fs' }), queue: async () => undefined },
      ui: serveUi(dir),
    });
    server = await listen(app.fetch, { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 2_000 });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves brotli, then gzip, then identity by Accept-Encoding, each decoding to the built bytes', async () => {
    const original = readFileSync(path.join(dir, 'assets/app-1a2b3c.js'));
    const br = await get(`${base}/assets/app-1a2b3c.js`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['vary']).toBe('Accept-Encoding');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(original.length / 3);
    expect(brotliDecompressSync(br.body).equals(original)).toBe(true);

    const gz = await get(`${base}/assets/app-1a2b3c.js`, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(original)).toBe(true);

    const refusesBr = await get(`${base}/assets/app-1a2b3c.js`, { 'accept-encoding': 'br;q=0, gzip;q=0.5' });
    expect(refusesBr.headers['content-encoding']).toBe('gzip');

    const plain = await get(`${base}/assets/app-1a2b3c.js`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept-Encoding');
    expect(plain.body.equals(original)).toBe(true);

    const cssBr = await get(`${base}/assets/app-4d5e6f.css`, { 'accept-encoding': 'br' });
    expect(cssBr.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(brotliDecompressSync(cssBr.body).toString()).toBe(css);

    // Three encodings, three different strong ETags.
    expect(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size).toBe(3);
  });

  it('hashed /assets are immutable; binary files go out as they are; a missing asset is 404, not HTML', async () => {
    const js1 = await get(`${base}/assets/app-1a2b3c.js`, { 'accept-encoding': 'br' });
    expect(js1.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const logo = await get(`${base}/assets/logo-778899.png`, { 'accept-encoding': 'br, gzip' });
    expect(logo.status).toBe(200);
    expect(logo.headers['content-type']).toBe('image/png');
    expect(logo.headers['content-encoding']).toBeUndefined();
    expect(logo.headers['vary']).toBeUndefined();
    expect(logo.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(logo.body.equals(png)).toBe(true);
    const missing = await get(`${base}/assets/app-old999.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/application\/json/);
    const favicon = await get(`${base}/favicon.svg`);
    expect(favicon.headers['cache-control']).toBe('no-cache');
    expect(favicon.headers['content-type']).toBe('image/svg+xml');
  });

  it('index.html (and every client route) is no-cache with an ETag, and 304 when it matches', async () => {
    const first = await get(`${base}/`, { 'accept-encoding': 'gzip' });
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-cache');
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(first.body).toString()).toBe(html);
    expect(first.headers['content-security-policy']).toContain("default-src 'self'");
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[^"]+"$/);

    const deep = await get(`${base}/w/123/documents/abc`, { 'accept-encoding': 'gzip' });
    expect(deep.status).toBe(200);
    expect(deep.headers.etag).toBe(etag);

    const again = await get(`${base}/w/123/search`, { 'accept-encoding': 'gzip', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect(again.headers['cache-control']).toBe('no-cache');
    expect(again.headers['vary']).toBe('Accept-Encoding');

    expect((await get(`${base}/`, { 'accept-encoding': 'gzip', 'if-none-match': `"stale", W/${etag}` })).status).toBe(304);
    // The identity representation has its own ETag: a gzip ETag does not validate it.
    expect((await get(`${base}/`, { 'if-none-match': etag })).status).toBe(200);
    const assetEtag = (await get(`${base}/assets/app-1a2b3c.js`, { 'accept-encoding': 'br' })).headers.etag!;
    expect((await get(`${base}/assets/app-1a2b3c.js`, { 'accept-encoding': 'br', 'if-none-match': String(assetEtag) })).status).toBe(304);
  });

  it('HEAD has the headers and no body; /api paths keep their JSON 404', async () => {
    const head = await get(`${base}/assets/app-1a2b3c.js`, { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-encoding']).toBe('br');
    expect(head.body.length).toBe(0);
    const api = await get(`${base}/api/nope`);
    expect(api.status).toBe(404);
    expect(JSON.parse(api.body.toString()).error.code).toBe('not_found');
    const post = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(post).toBe(404);
  });

  it('chooses encodings by q-value, brotli first when equal, and honours *', () => {
    const both = new Set(['br', 'gzip'] as const);
    expect(chooseEncoding('gzip, br', both)).toBe('br');
    expect(chooseEncoding('gzip;q=1, br;q=0.5', both)).toBe('gzip');
    expect(chooseEncoding('*', both)).toBe('br');
    expect(chooseEncoding('*;q=0', both)).toBeUndefined();
    expect(chooseEncoding('identity', both)).toBeUndefined();
    expect(chooseEncoding('br', new Set(['gzip'] as const))).toBeUndefined();
    expect(chooseEncoding(undefined, both)).toBeUndefined();
  });
});
