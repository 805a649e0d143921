import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './http/app.js';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', pretty: false, destination }) };
}

describe('logging', () => {
  it('masks secrets, cookies and document text even when code tries to log them', () => {
    const { lines, logger } = capture();
    logger.info(
      { password: 'hunter2-secret', headers: { cookie: 'better-auth.session_token=abc', authorization: 'Bearer xyz' }, passage: { text: 'confidential body' }, text: 'plain body' },
      'oops',
    );
    const line = lines.join('');
    for (const leaked of ['hunter2-secret', 'session_token=abc', 'Bearer xyz', 'confidential body', 'plain body']) expect(line).not.toContain(leaked);
    expect(line).toContain('[redacted]');
  });

  it('access log lines carry the request id, method, path, status and duration, but no query string', async () => {
    const { lines, logger } = capture();
    const app = createHttpApp({
      logger,
      health: { pingDatabase: async () => 1, storage: async () => ({ ok: true, driver: 'fs' }), queue: async () => undefined },
    });
    await app.request('/api/nothing?q=secret+search+terms', { headers: { 'x-request-id': 'req-42' } });
    const entry = JSON.parse(lines.find((l) => l.includes('"msg":"request"'))!);
    expect(entry).toMatchObject({ requestId: 'req-42', method: 'GET', path: '/api/nothing', status: 404 });
    expect(typeof entry.durationMs).toBe('number');
    expect(lines.join('')).not.toContain('secret+search');
  });

  // stdout is asynchronous (no write per request on the HTTP thread); what is queued must still reach
  // the pipe when the process exits on purpose (SIGTERM → process.exit) or by an uncaught exception.
  it.each(['exit', 'throw'])('the asynchronous stdout log loses no line when the process ends by %s', (how) => {
    const logger = fileURLToPath(new URL('./logger.ts', import.meta.url));
    const script =
      `const { createLogger } = await import(${JSON.stringify(logger)});` +
      `const log = createLogger({ level: 'info', pretty: false });` +
      `for (let i = 0; i < 5000; i++) log.info({ i }, 'line');` +
      (how === 'exit' ? 'process.exit(0);' : "throw new Error('crash');");
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    const lines = child.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(5000);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ i: 4999, msg: 'line' });
  });
});
