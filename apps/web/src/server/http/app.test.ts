import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRoute, z } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../../../test/support/databases.js';
import { createLogger } from '../logger.js';
import { createHttpApp } from './app.js';
import { listen } from './listen.js';

const logger = createLogger({ level: 'silent', pretty: false });

describe('HTTP edge', () => {
  let t: TestDatabase;
  let database: TestDatabase['handle'] | undefined;
  const app = () =>
    createHttpApp({
      logger,
      health: {
        pingDatabase: () => (database ? database.ping(1000) : Promise.reject(new Error('closed'))),
        storage: async () => ({ ok: true, driver: 'fs' }),
        queue: async () => ({ pending: 0, failed: 0 }),
      },
      mount: (a) => {
        a.openapi(
          createRoute({
            method: 'post',
            path: '/api/echo',
            request: { body: { content: { 'application/json': { schema: z.object({ name: z.string().min(1) }) } } } },
            responses: { 200: { description: 'echo' } },
          }),
          (c) => c.json(c.req.valid('json'), 200),
        );
      },
    });

  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    database = t.handle;
  });
  afterAll(() => t.dispose());

  it('reports health with database latency, and 503 degraded while the database is gone', async () => {
    const ok = await app().request('/api/health');
    expect(ok.status).toBe(200);
    const body = await ok.json();
    expect(body).toMatchObject({ status: 'ok', checks: { database: { ok: true }, queue: { pending: 0, failed: 0 } } });
    expect(typeof body.checks.database.latencyMs).toBe('number');
    expect(typeof body.uptimeSeconds).toBe('number');

    const head = await app().request('/api/health', { method: 'HEAD' });
    expect(head.status).toBe(200);

    // Simulate the database going away (PGlite: close the instance), then coming back.
    await t.handle.close();
    const down = await app().request('/api/health');
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'degraded', checks: { database: { ok: false } } });

    t = await openTestDatabase('pglite');
    database = t.handle;
    const back = await app().request('/api/health');
    expect(back.status).toBe(200);
  });

  it('samples the ping: a probe never waits behind a busy database, and a long silence is degraded', async () => {
    let calls = 0;
    let hang = false;
    const pending: Array<(ms: number) => void> = [];
    const sampled = createHttpApp({
      logger,
      health: {
        pingDatabase: () => {
          calls++;
          return hang ? new Promise<number>((resolve) => pending.push(resolve)) : Promise.resolve(2);
        },
        storage: async () => ({ ok: true, driver: 'fs' }),
        queue: () => (hang ? new Promise(() => {}) : Promise.resolve({ pending: 3, failed: 0 })),
        timing: { freshMs: 200, waitMs: 20, staleMs: 600 },
      },
    });
    const probe = async () => {
      const started = performance.now();
      const res = await sampled.request('/api/health');
      return { status: res.status, body: await res.json(), ms: performance.now() - started };
    };
    const first = await probe();
    expect(first).toMatchObject({ status: 200, body: { status: 'ok', checks: { database: { ok: true, latencyMs: 2 }, queue: { pending: 3 } } } });
    // Within freshMs: answered from the sample, no new ping.
    for (let i = 0; i < 20; i++) await probe();
    expect(calls).toBe(1);

    // The database stops answering: probes still answer at once, from the last sample, and one ping is in flight.
    hang = true;
    await new Promise((r) => setTimeout(r, 250));
    const busy = await Promise.all(Array.from({ length: 10 }, probe));
    for (const b of busy) {
      expect(b.status).toBe(200);
      expect(b.body.checks.database).toMatchObject({ ok: true, latencyMs: 2 });
      expect(b.body.checks.queue).toMatchObject({ pending: 3 });
      expect(b.ms).toBeLessThan(500);
    }
    expect(calls).toBe(2);

    // Silent for longer than staleMs: degraded, saying so, still without waiting.
    await new Promise((r) => setTimeout(r, 500));
    const stale = await probe();
    expect(stale.status).toBe(503);
    expect(stale.body.reasons.join(' ')).toMatch(/database: no answer for \d+ s \(busy or unreachable\)/);
    expect(calls).toBe(2);

    // It answers again: the next probe after that reports it healthy.
    hang = false;
    pending.splice(0).forEach((resolve) => resolve(900));
    await new Promise((r) => setTimeout(r, 10));
    expect((await probe()).body.checks.database).toMatchObject({ ok: true, latencyMs: 900 });
  });

  it('answers unknown /api paths with the JSON error shape and echoes X-Request-Id', async () => {
    const res = await app().request('/api/x', { headers: { 'x-request-id': 'abc-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String), requestId: 'abc-123' } });
  });

  it('rejects malformed JSON and invalid fields with 400 naming the problem', async () => {
    const malformed = await app().request('/api/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    expect(malformed.status).toBe(400);
    const body = await malformed.json();
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.requestId).toEqual(expect.any(String));
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace

    const invalid = await app().request('/api/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":""}' });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error.field).toBe('name');
  });

  it('limits JSON bodies', async () => {
    const res = await app().request('/api/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });

  it('serves a generated OpenAPI document and secure headers', async () => {
    const res = await app().request('/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.paths['/api/health']).toBeDefined();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('finishes an in-flight request before closing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = createHttpApp({
      logger,
      health: { pingDatabase: async () => 1, storage: async () => ({ ok: true, driver: 'fs' }), queue: async () => undefined },
      mount: (a) => a.get('/api/slow', async (c) => (await gate, c.json({ done: true }))),
    });
    const server = await listen(slow.fetch, { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 10_000 });
    const inflight = fetch(`http://127.0.0.1:${server.port}/api/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const closing = server.close();
    await expect(fetch(`http://127.0.0.1:${server.port}/api/health`)).rejects.toThrow();
    setTimeout(release, 300);
    const res = await inflight;
    expect(await res.json()).toEqual({ done: true });
    expect(await closing).toEqual({ forced: false });
  });
});

export const scratchDir = () => mkdtempSync(path.join(tmpdir(), 'quarry-app-'));
