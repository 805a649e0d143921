/** The `quarry` command as a real process: start-up, restarts, the DATA_DIR lock, bad config, signals. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mountPointOf, parseMountPoints } from '@quarry/storage';
import { runQuarry, startQuarry } from '../../../test/support/process.js';

const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'quarry-proc-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('quarry serve', { timeout: 180_000 }, () => {
  it('starts on an empty DATA_DIR, restarts on the same one, and a second process on it refuses', async () => {
    const DATA_DIR = dataDir();
    const first = await startQuarry({ DATA_DIR });
    const health = await fetch(`${first.url}/api/health`);
    expect(health.status).toBe(200);
    expect((await health.json()).checks.database.ok).toBe(true);

    const second = await runQuarry(['serve'], { DATA_DIR, PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.output).toContain(`pid ${first.child.pid}`);
    expect(second.output).toContain('DATA_DIR');
    // The first keeps working.
    expect((await fetch(`${first.url}/api/health`)).status).toBe(200);

    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.output()).toContain('stopped');

    const again = await startQuarry({ DATA_DIR });
    expect((await fetch(`${again.url}/api/health`)).status).toBe(200);
    expect(await again.stop('SIGINT')).toBe(0);
  });

  it('in production, refuses local files off a mounted volume before the database writes anything there', async (ctx) => {
    const DATA_DIR = dataDir();
    // The guard judges by the mount table: only meaningful where the temporary directory is on the root filesystem.
    if (mountPointOf(DATA_DIR, parseMountPoints(readFileSync('/proc/self/mountinfo', 'utf8'))) !== '/') return ctx.skip();
    const result = await runQuarry(['serve'], { DATA_DIR, NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(40), PORT: '0' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('not on a mounted volume');
    // `quarry serve` opens the database early (while its code loads), but only after this refusal.
    expect(readdirSync(DATA_DIR)).toEqual([]);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ DATABASE_URL: 'postgres//broken' }, 'DATABASE_URL'],
  ])('exits non-zero on bad config %j and names %s', async (env, variable) => {
    const result = await runQuarry(['serve'], { DATA_DIR: dataDir(), ...env });
    expect(result.code).toBe(1);
    expect(result.output).toContain(variable);
    expect(result.output.trim().split('\n')).toHaveLength(1);
  });

  it('quarry migrate is idempotent', async () => {
    const DATA_DIR = dataDir();
    const once = await runQuarry(['migrate'], { DATA_DIR });
    expect(once.code).toBe(0);
    expect(once.output).toMatch(/[1-9]\d* applied/);
    const twice = await runQuarry(['migrate'], { DATA_DIR });
    expect(twice.code).toBe(0);
    expect(twice.output).toContain('0 applied');
  });

  it('quarry admin create makes an admin who can sign in with the printed one-time password', async () => {
    const DATA_DIR = dataDir();
    const created = await runQuarry(['admin', 'create', '--email', 'root@example.com'], { DATA_DIR, LOG_LEVEL: 'warn' });
    expect(created.code).toBe(0);
    const password = /One-time password[^:]*: (\S+)/.exec(created.output)?.[1];
    expect(password).toBeDefined();
    const server = await startQuarry({ DATA_DIR });
    try {
      const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ email: 'root@example.com', password }),
      });
      expect(signIn.status).toBe(200);
      expect((await signIn.json()).user.role).toBe('admin');
    } finally {
      await server.stop();
    }
  });
});
