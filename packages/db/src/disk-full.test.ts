/**
 * The embedded database on a full disk (a tmpfs this test mounts; root only, as in CI). Without the
 * gate, the first call after PGlite fails to write WAL spins for ever on the main thread, so the
 * scenario runs as a child process that this test kills after a generous bound.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../../../test/support/tmpfs.js';

const scenario = fileURLToPath(new URL('../../../test/support/pglite-disk-full.scenario.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  code: number | null;
  killed: boolean;
  phases: Record<string, Record<string, unknown>>;
  output: string;
}

/** `thread: false` runs PGlite on the main thread (QUARRY_PGLITE_THREAD=off), as before it had a thread of its own. */
function runScenario(dir: string, mode: 'plain' | 'tx' | 'plain-nofloor' | 'tx-nofloor', { thread = true, killAfterMs = 120_000 } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env, QUARRY_PGLITE_THREAD: thread ? 'on' : 'off' };
    const child = spawn(process.execPath, ['--import', 'tsx', scenario, dir, mode], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let killed = false;
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const phases: Run['phases'] = {};
      for (const line of output.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const parsed = JSON.parse(line) as { phase: string };
          phases[parsed.phase] = parsed;
        } catch {
          /* not ours */
        }
      }
      resolve({ code, killed, phases, output });
    });
  });
}

describe('PGlite on a full disk', { timeout: 180_000 }, () => {
  const mounts: Tmpfs[] = [];
  afterAll(() => mounts.forEach((m) => m.unmount()));

  const skip = tmpfsUnavailable !== undefined;
  const mount = () => {
    const fs = mountTmpfs(96, 'quarry-pglite-full-');
    mounts.push(fs);
    return fs;
  };

  it.skipIf(skip).each(['plain', 'tx'] as const)(
    'below the floor (%s) writes are refused before PGlite sees them, reads still answer, and writes resume once space is freed',
    async (mode) => {
      const fs = mount();
      const run = await runScenario(fs.dir, mode);
      const context = `scenario output:\n${run.output.slice(-3000)}`;
      expect(run.killed, context).toBe(false);
      expect(run.phases['first-error'], context).toMatchObject({ okStatements: 0, diskFull: true });
      expect(run.phases['first-error']?.message, context).toMatch(/not writing: only 0 MB free under DATA_DIR, below the 24 MB/);
      expect(run.phases['read-while-full'], context).toMatchObject({ rows: 2000 });
      const full = run.phases['while-full']!;
      expect(full, context).toMatchObject({ ping: 'disk-full', read: 'ok', write: 'disk-full', tx: 'disk-full' });
      // Generous bounds: they prove "did not hang", not speed.
      expect(full.ms as number, context).toBeLessThan(5_000);
      expect(full.ticks as number, context).toBeGreaterThan(5);
      expect(run.phases['after-free'], context).toMatchObject({ recovered: true, rows: 2000, writesAfter: 20, unavailable: null });
      expect(run.code, context).toBe(0);
      fs.unmount();
    },
  );

  it.skipIf(skip)('when PGlite itself fails to write WAL, the instance is retired (nothing spins) and reopened with every committed row once space is freed', async () => {
    const fs = mount();
    const run = await runScenario(fs.dir, 'plain-nofloor');
    const context = `scenario output:\n${run.output.slice(-3000)}`;
    expect(run.killed, context).toBe(false);
    expect(run.phases['first-error'], context).toMatchObject({ diskFull: true });
    expect(run.phases['first-error']?.message, context).toMatch(/pg_wal.*No space left on device/);
    const full = run.phases['while-full']!;
    expect(full, context).toMatchObject({ ping: 'disk-full', read: 'disk-full', write: 'disk-full', tx: 'disk-full' });
    expect(full.ms as number, context).toBeLessThan(5_000);
    expect(full.ticks as number, context).toBeGreaterThan(5);
    expect(full.unavailable, context).toMatch(/disk is full.*resumes by itself once space is freed/);
    expect(run.phases['after-free'], context).toMatchObject({ recovered: true, rows: 2000, writesAfter: 20, unavailable: null });
    expect(run.code, context).toBe(0);
    fs.unmount();
  });

  it.skipIf(skip)('a COMMIT that wedges PGlite in its thread is ended by stopping the thread: the instance is retired and reopened with every committed row', async () => {
    const fs = mount();
    const run = await runScenario(fs.dir, 'tx-nofloor');
    const context = `scenario output:\n${run.output.slice(-3000)}`;
    expect(run.killed, context).toBe(false);
    expect(run.phases['first-error'], context).toMatchObject({ diskFull: true });
    expect(run.phases['first-error']?.message, context).toMatch(/thread stopped: wedged on a full disk/);
    const full = run.phases['while-full']!;
    expect(full, context).toMatchObject({ ping: 'disk-full', read: 'disk-full', write: 'disk-full', tx: 'disk-full' });
    // The event loop turned all along: the wedge was in the database's thread, not this one.
    expect(full.ticks as number, context).toBeGreaterThan(5);
    expect(run.phases['after-free'], context).toMatchObject({ recovered: true, rows: 2000, writesAfter: 20, unavailable: null });
    expect(run.code, context).toBe(0);
    fs.unmount();
  });

  it.skipIf(skip)('on the main thread (QUARRY_PGLITE_THREAD=off), a COMMIT that wedges PGlite is ended by the watchdog: one clear line, then the process exits', async () => {
    const fs = mount();
    const run = await runScenario(fs.dir, 'tx-nofloor', { thread: false });
    const context = `scenario output:\n${run.output.slice(-3000)}`;
    expect(run.killed, context).toBe(false);
    expect(run.output, context).toMatch(/the embedded database is wedged on a full disk .* exiting so the supervisor restarts Quarry/);
    expect(run.code, context).toBeNull(); // killed by its own watchdog (SIGKILL), as kill -9 would
    fs.unmount();
  });
});
