/**
 * Start-up time of the built server (`node apps/web/dist/server/cli.js serve`, embedded PGlite), from
 * spawn to the first `200` from /api/health, beside a bare `node -e` http server started the same way
 * in the same run (the ratio is what compares across machines):
 *
 *   - first start on a fresh DATA_DIR, with the pre-initialised cluster (dist/pglite-template) and
 *     without it (PGLITE_TEMPLATE=off: initdb in WASM and every migration, as before);
 *   - warm restart on the same DATA_DIR;
 *   - `npm start` with nothing changed (its build step is `build.mjs --if-changed`); with --with-build
 *     also a full `npm run build`, which the old `npm start` ran every time.
 *
 *   npm run bench:startup                      print the table (BENCH_RUNS=3 by default)
 *   npm run bench:startup -- --with-build      also time a full build (rewrites apps/web/dist)
 *   npm run bench:startup -- --write           also write it into docs/benchmarks.md ("Start-up")
 *   BENCH_CLI_BEFORE=apps/web/.scratch/dist-before/server/cli.js npm run bench:startup
 *                                              also time an earlier build's first start and warm restart,
 *                                              interleaved with this one's (a before/after in the same run); copy
 *                                              that build's dist inside the repository (`.scratch/` is ignored),
 *                                              where its bundle still finds node_modules
 *
 * Only loopback traffic, to servers this script started; each is stopped by its own PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTemplateInfo } from '@quarry/db';
import { replaceSection } from './report.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'apps/web/dist/server/cli.js');
const templateDir = path.join(root, 'apps/web/dist/pglite-template');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const write = process.argv.includes('--write');
const withBuild = process.argv.includes('--with-build');
const cliBefore = process.env.BENCH_CLI_BEFORE ? path.resolve(process.env.BENCH_CLI_BEFORE) : undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function untilHealthy(port: number, pathname: string, child: ChildProcess, limitMs = 180_000): Promise<void> {
  const until = Date.now() + limitMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < until) {
    if (exited) throw new Error('the server exited before it answered');
    try {
      const response = await fetch(`http://127.0.0.1:${port}${pathname}`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no 200 from ${pathname} within ${limitMs} ms`);
}

/** SIGTERM to the child's own process group (npm start runs a shell that runs node), SIGKILL after 15 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      /* gone */
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

interface Started {
  ms: number;
  child: ChildProcess;
}

/** Spawns `command`, times it to the first 200 from `pathname`. The child is left running. */
async function timeStart(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  pathname: string,
): Promise<Started> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  try {
    await untilHealthy(port, pathname, child);
  } catch (error) {
    await stop(child);
    throw new Error(`${(error as Error).message}\n${stderr}`, { cause: error });
  }
  return { ms: performance.now() - started, child };
}

function serverEnv(dataDir: string, port: number, template: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
  };
  delete env.DATABASE_URL;
  // The ONNX model file is built once per machine (not what is measured here): one cache for every run.
  env.MODEL_CACHE_DIR = path.join(tmpdir(), 'quarry-bench-startup-models');
  if (template) delete env.PGLITE_TEMPLATE;
  else env.PGLITE_TEMPLATE = 'off';
  return env;
}

async function bare(): Promise<number> {
  const port = await freePort();
  const code = `require('node:http').createServer((q,s)=>s.end('ok')).listen(${port},'127.0.0.1')`;
  const { ms, child } = await timeStart(process.execPath, ['-e', code], process.env, port, '/');
  await stop(child);
  return ms;
}

async function serve(dataDir: string, template: boolean, viaNpm = false, build = cli): Promise<number> {
  const port = await freePort();
  const env = serverEnv(dataDir, port, template);
  const { ms, child } = viaNpm
    ? await timeStart('npm', ['start', '--silent'], env, port, '/api/health')
    : await timeStart(process.execPath, [build, 'serve'], env, port, '/api/health');
  await stop(child);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  const checkStarted = performance.now();
  const check = spawnSync(process.execPath, ['apps/web/scripts/build.mjs', '--if-changed'], {
    cwd: root,
    stdio: 'inherit',
  });
  const checkMs = performance.now() - checkStarted;
  if (check.status !== 0) throw new Error('the build failed');
  if (!existsSync(cli)) throw new Error(`${cli} is missing`);
  const info = readTemplateInfo(templateDir);
  if (!info) throw new Error(`${templateDir} holds no template: run \`npm run build\``);

  const rows = new Map<string, number[]>();
  const add = (key: string, ms: number) => rows.set(key, [...(rows.get(key) ?? []), ms]);
  const scratch = mkdtempSync(path.join(tmpdir(), 'quarry-bench-startup-'));
  try {
    // Warm the model cache (and the OS file cache) once, outside the measurement.
    await serve(path.join(scratch, 'warm-up'), true);
    for (let i = 0; i < runs; i++) {
      add('bare', await bare());
      for (const template of [false, true]) {
        const dir = path.join(scratch, `run-${i}-${template ? 'template' : 'initdb'}`);
        add(template ? 'first-template' : 'first-initdb', await serve(dir, template));
        add(template ? 'warm-template' : 'warm-initdb', await serve(dir, template));
        if (template) add('npm-start-warm', await serve(dir, template, true));
        rmSync(dir, { recursive: true, force: true });
      }
      if (cliBefore) {
        const dir = path.join(scratch, `run-${i}-before`);
        add('first-before', await serve(dir, true, false, cliBefore));
        add('warm-before', await serve(dir, true, false, cliBefore));
        rmSync(dir, { recursive: true, force: true });
      }
      console.log(`run ${i + 1}/${runs}: ${[...rows].map(([k, v]) => `${k} ${sec(v.at(-1)!)}`).join(', ')}`);
    }
    let buildMs: number | undefined;
    if (withBuild) {
      const started = performance.now();
      const full = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
      buildMs = performance.now() - started;
      if (full.status !== 0) throw new Error('npm run build failed');
    }

    const b = median(rows.get('bare')!);
    const line = (what: string, key: string) => {
      const m = median(rows.get(key)!);
      return `| ${what} | ${sec(m)} | ${(m / b).toFixed(1)}× |`;
    };
    const warm = median(rows.get('warm-template')!);
    const body = [
      `${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load average ${load} (1/5/15 min) at the start, ` +
        `median of ${runs} runs each, spawn → first \`200\` from \`/api/health\` (PGlite, local files, offline MiniLM with its model file cached). ` +
        `Baseline: a bare \`node -e\` http server started the same way in the same run, **${sec(b)}**.`,
      '',
      '| start | time | × bare node |',
      '|---|---|---|',
      line('first start, fresh `DATA_DIR`, initdb + all migrations (before)', 'first-initdb'),
      line('first start, fresh `DATA_DIR`, copied from the pre-initialised cluster (after)', 'first-template'),
      line('warm restart, same `DATA_DIR`', 'warm-template'),
      line('warm restart, `DATA_DIR` made by initdb (same work)', 'warm-initdb'),
      line('`npm start`, warm, nothing changed (its build step skipped)', 'npm-start-warm'),
      ...(cliBefore
        ? [
            line(`first start from the pre-initialised cluster, the earlier build (\`${path.relative(root, cliBefore)}\`)`, 'first-before'),
            line('warm restart, the earlier build', 'warm-before'),
          ]
        : []),
      ...(buildMs !== undefined
        ? [
            `| \`npm start\`, warm, before: a full \`npm run build\` (${sec(buildMs)}) + warm restart | ${sec(buildMs + warm)} | ${((buildMs + warm) / b).toFixed(1)}× |`,
          ]
        : []),
      '',
      `\`npm start\`'s build check (\`build.mjs --if-changed\`, nothing changed): ${Math.round(checkMs)} ms. ` +
        `The template: ${info.migrations.length} migrations, PGlite ${info.pglite}, system identifier ${info.systemIdentifier} ` +
        '(every DATA_DIR copied from it reports the same one; initdb makes a new one each time).',
    ].join('\n');
    console.log(`\n${body}`);
    if (write) replaceSection('Start-up', body);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
