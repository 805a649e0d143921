/**
 * What bench/http.ts and bench/load.ts share: start the built `quarry serve` (a real process, on
 * 127.0.0.1 only, with a copy of the migrated PGlite template or a fresh PostgreSQL database), a
 * keep-alive load generator bounded in time and count, percentiles and RSS from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { copyPgliteTemplate } from '../test/support/pglite-template.js';
import { freePort } from '../test/support/process.js';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));
/** BENCH_CLI: another build to measure (e.g. a copy of dist from before a change). */
export const cliPath = path.resolve(repoRoot, process.env.BENCH_CLI ?? 'apps/web/dist/server/cli.js');
/** PostgreSQL runs: BENCH_DATABASE_URL or TEST_DATABASE_URL (an admin URL; a scratch database is created and dropped). */
export const postgresAdminUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;

export interface Server {
  url: string;
  pid: number;
  child: ChildProcess;
  startMs: number;
  stop(): Promise<void>;
}

export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export async function scratchPostgres(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `quarry_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Starts `quarry serve` from the build and waits (bounded) until /api/health answers 200. */
export async function startServer(options: {
  driver: 'pglite' | 'postgres';
  env?: Record<string, string>;
  cli?: string;
  /** PGlite: reuse this DATA_DIR (kept when the server stops) instead of a fresh copy of the template. */
  dataDir?: string;
}): Promise<Server> {
  const cli = options.cli ?? cliPath;
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  const keep = options.dataDir !== undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'quarry-bench-http-'));
  let drop = async () => {};
  let databaseUrl: string | undefined;
  if (options.driver === 'pglite') {
    if (!keep) await copyPgliteTemplate(dataDir);
  } else {
    const scratch = await scratchPostgres(postgresAdminUrl!);
    databaseUrl = scratch.url;
    drop = scratch.drop;
  }
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'serve'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      // The access log is on (info), as in production; the bench drains the pipe like `docker logs` would.
      LOG_LEVEL: 'info',
      ADMIN_EMAIL: 'bench@example.com',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keepTail = (d: Buffer) => (tail = (tail + d.toString()).slice(-4000));
  child.stdout!.on('data', keepTail);
  child.stderr!.on('data', keepTail);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    await drop().catch(() => {});
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  };
  // Bounded: 240 polls of 250 ms.
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      await res.text();
      if (res.status === 200) return { url, pid: child.pid!, child, startMs: Math.round(performance.now() - started), stop };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`quarry serve did not become healthy:\n${tail}`);
}

export interface LoadResult {
  requests: number;
  errors: number;
  reqPerSec: number;
  p50: number;
  p99: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * `connections` keep-alive clients each sending requests back to back for `seconds` (at most
 * `maxRequests` in all). A response other than `expectStatus` counts as an error.
 */
export async function hammer(
  url: string,
  options: { seconds: number; connections: number; headers?: Record<string, string>; expectStatus?: number; maxRequests?: number },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const deadline = performance.now() + options.seconds * 1000;
  const max = options.maxRequests ?? 500_000;
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const t = performance.now();
      const req = request(url, { agent, headers: options.headers, timeout: 10_000 }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          latencies.push(performance.now() - t);
          if (res.statusCode !== (options.expectStatus ?? 200)) errors++;
          resolve();
        });
        res.on('error', () => (errors++, resolve()));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => (errors++, resolve()));
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < deadline && sent < max) {
        sent++;
        await one();
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, reqPerSec: Math.round(latencies.length / elapsed), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Signs up ADMIN_EMAIL (the first account) and returns its session cookie. */
export async function signUp(url: string, email = 'bench@example.com'): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ email, password: 'correct horse battery staple', name: 'bench' }),
  });
  if (res.status !== 200) throw new Error(`sign-up: ${res.status} ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
}
