/**
 * Serves the built UI from memory (it is a few hundred KB, read once at start-up):
 *
 * - hashed files under /assets are immutable (`Cache-Control: public, max-age=31536000, immutable`);
 * - everything else, index.html included, is `no-cache` with a strong ETag, so a browser revalidates
 *   and gets 304 until a new build changes the bytes;
 * - text files go out precompressed (`.br`/`.gz` written at build by precompress.ts) when the client
 *   accepts it, with `Vary: Accept-Encoding` and an ETag per encoding;
 * - any other non-/api path is index.html, so client routes deep-link; a missing /assets file is 404
 *   (a stale page asking for an old chunk must not get HTML as JavaScript).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from './context.js';
import { errorBody } from './middleware/error-handler.js';

/** Bundled: dist/server/cli.js → dist/ui. Source: src/server/http/ui.ts → dist/ui. */
export function findUiDir(): string | undefined {
  for (const rel of ['../ui', '../../../dist/ui']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}/index.html`)) return dir;
  }
  return undefined;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

type Encoding = 'br' | 'gzip';

interface Variant {
  body: Uint8Array;
  etag: string;
}

interface Asset {
  type: string;
  cacheControl: string;
  identity: Variant;
  encoded: Partial<Record<Encoding, Variant>>;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

function etagOf(bytes: Uint8Array, suffix = ''): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}${suffix}"`;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.posix.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && !/\.(br|gz)$/.test(entry.name)) {
        const full = path.join(dir, rel);
        const body = readFileSync(full);
        const identity = { body, etag: etagOf(body) };
        const encoded: Asset['encoded'] = {};
        for (const [encoding, ext] of [['br', '.br'], ['gzip', '.gz']] as const) {
          // The variant's own bytes differ, so its strong ETag must too (RFC 9110 §8.8.3).
          if (existsSync(`${full}${ext}`)) encoded[encoding] = { body: readFileSync(`${full}${ext}`), etag: etagOf(body, `-${encoding}`) };
        }
        assets.set(`/${rel}`, {
          type: TYPES[path.extname(entry.name).toLowerCase()] ?? 'application/octet-stream',
          cacheControl: rel.startsWith('assets/') ? IMMUTABLE : 'no-cache',
          identity,
          encoded,
        });
      }
    }
  };
  walk('');
  return assets;
}

/** The client's preferred encoding among those we hold (brotli first at equal q); q=0 refuses one. */
export function chooseEncoding(acceptEncoding: string | undefined, available: ReadonlySet<Encoding>): Encoding | undefined {
  if (!acceptEncoding || available.size === 0) return undefined;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  let best: Encoding | undefined;
  let bestQ = 0;
  for (const encoding of ['br', 'gzip'] as const) {
    if (!available.has(encoding)) continue;
    const value = q.get(encoding) ?? q.get('*') ?? 0;
    if (value > bestQ) {
      best = encoding;
      bestQ = value;
    }
  }
  return best;
}

function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  // Weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored for If-None-Match.
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function send(c: Context<AppEnv>, asset: Asset): Response {
  const encodings = new Set(Object.keys(asset.encoded) as Encoding[]);
  const encoding = chooseEncoding(c.req.header('accept-encoding'), encodings);
  const variant = encoding ? asset.encoded[encoding]! : asset.identity;
  c.header('Cache-Control', asset.cacheControl);
  c.header('ETag', variant.etag);
  if (encodings.size > 0) c.header('Vary', 'Accept-Encoding');
  const ifNoneMatch = c.req.header('if-none-match');
  if (ifNoneMatch && matches(ifNoneMatch, variant.etag)) return c.body(null, 304);
  c.header('Content-Type', asset.type);
  c.header('Content-Length', String(variant.body.byteLength));
  if (encoding) c.header('Content-Encoding', encoding);
  // HEAD: Hono answers it with this GET handler and drops the body.
  return c.body(variant.body as Uint8Array<ArrayBuffer>, 200);
}

export function serveUi(dir: string) {
  const assets = loadAssets(dir);
  const index = assets.get('/index.html');
  if (!index) throw new Error(`the built UI in ${dir} has no index.html`);
  return (app: OpenAPIHono<AppEnv>) => {
    app.get('*', (c) => {
      const asset = assets.get(c.req.path);
      if (asset) return send(c, asset);
      if (c.req.path.startsWith('/assets/')) return c.json(errorBody(c, 'not_found', 'Not found.'), 404);
      return send(c, index);
    });
  };
}
