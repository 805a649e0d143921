/**
 * HTTP overhead of Quarry against a bare node:http server in the same run, on 127.0.0.1 only:
 * /api/health, an anonymous 404, the built CSS and JS (as a browser asks: brotli accepted), and a
 * signed-in /api/me. The bare server runs in its own process too and answers the same bytes
 * (the same JSON size, the same compressed file), so a ratio is Quarry's cost, not the payload's.
 * Also: `cli.js help` time and peak RSS against `node -e 0`, start-up to healthy, idle RSS.
 *
 *   npm run bench:http                  print the table (BENCH_SECONDS=5 per measure, BENCH_CONNECTIONS=10)
 *   npm run bench:http -- --write       also write it into docs/benchmarks.md ("HTTP overhead")
 *   BENCH_CLI=path/to/cli.js            measure another build
 *   BENCH_BEFORE_CLI=path/to/cli.js     also measure an older build in the same run (before/after columns)
 *   BENCH_DATABASE_URL=postgres://…     also run health and /api/me on PostgreSQL
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { cliPath, hammer, postgresAdminUrl, repoRoot, rssMb, signUp, startServer, type LoadResult } from './http-kit.js';
import { freePort } from '../test/support/process.js';
import { replaceSection } from './report.js';

const write = process.argv.includes('--write');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

/** The baseline: node:http answering fixed bytes per path, nothing else. */
const bareServer = `
const http = require('node:http');
const fs = require('node:fs');
const routes = JSON.parse(process.env.BARE_ROUTES);
for (const r of routes) r.body = r.file ? fs.readFileSync(r.file) : Buffer.from(r.text);
const byPath = new Map(routes.map((r) => [r.path, r]));
http.createServer((req, res) => {
  const r = byPath.get(req.url);
  if (!r) { res.writeHead(404); res.end(); return; }
  res.writeHead(r.status, { 'content-type': r.type, 'content-length': r.body.length, ...(r.encoding ? { 'content-encoding': r.encoding } : {}) });
  res.end(r.body);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
`;

interface BareRoute {
  path: string;
  status: number;
  type: string;
  text?: string;
  file?: string;
  encoding?: string;
}

async function startBare(routes: BareRoute[]) {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', bareServer], { env: { PORT: String(port), BARE_ROUTES: JSON.stringify(routes) }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bare server did not start')), 10_000);
    child.stdout!.once('data', () => (clearTimeout(timer), resolve()));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => void child.kill('SIGKILL') };
}

interface Row {
  measure: string;
  quarry: LoadResult;
  bare: LoadResult;
  before?: { quarry: LoadResult; bare: LoadResult };
}

const fmt = (r: LoadResult) => `${r.reqPerSec.toLocaleString('en')}${r.errors ? ` (${r.errors} errors)` : ''}`;
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const ratio = (q: LoadResult, b: LoadResult) => `${(q.reqPerSec / b.reqPerSec).toFixed(2)}×`;

interface Target {
  quarry: string;
  bare: string;
  headers?: Record<string, string>;
  status?: number;
}

/** Bare, then Quarry, back to back: the machine's load drifts less within a pair than across the run. */
async function pair(t: Target): Promise<{ quarry: LoadResult; bare: LoadResult }> {
  const bare = await hammer(t.bare, { seconds: SECONDS, connections: CONNECTIONS, headers: t.headers, expectStatus: t.status ?? 200 });
  const quarry = await hammer(t.quarry, { seconds: SECONDS, connections: CONNECTIONS, headers: t.headers, expectStatus: t.status ?? 200 });
  return { quarry, bare };
}

function timeCommand(args: string[], runs: number): { ms: number; rssMb?: number } {
  const times: number[] = [];
  const rss: number[] = [];
  const gnuTime = existsSync('/usr/bin/time');
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const r = gnuTime
      ? spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 })
      : spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    times.push(performance.now() - started);
    const kb = gnuTime ? Number(r.stderr.trim().split('\n').at(-1)) : NaN;
    if (Number.isFinite(kb)) rss.push(kb / 1024);
  }
  times.sort((a, b) => a - b);
  rss.sort((a, b) => a - b);
  return { ms: Math.round(times[Math.floor(runs / 2)]!), rssMb: rss.length ? Math.round(rss[Math.floor(rss.length / 2)]!) : undefined };
}

/** One build, started, signed in, with a bare server answering the same bytes; `targets` name what to measure. */
async function prepare(cli: string, driver: 'pglite' | 'postgres', scratch: string, tag: string) {
  const quarry = await startServer({ driver, cli });
  const idleRss = rssMb(quarry.pid);
  const cookie = await signUp(quarry.url);
  const routes: BareRoute[] = [];
  const targets = new Map<string, Omit<Target, 'bare'> & { barePath: string }>();
  const sizes: Record<string, string> = {};
  const body = async (p: string, headers?: Record<string, string>) => (await fetch(`${quarry.url}${p}`, { headers })).text();
  routes.push({ path: '/health', status: 200, type: 'application/json', text: await body('/api/health') });
  targets.set('health', { quarry: `${quarry.url}/api/health`, barePath: '/health' });
  routes.push({ path: '/me', status: 200, type: 'application/json', text: await body('/api/me', { cookie }) });
  targets.set('me', { quarry: `${quarry.url}/api/me`, barePath: '/me', headers: { cookie } });
  if (driver === 'pglite') {
    routes.push({ path: '/404', status: 404, type: 'application/json', text: await body('/api/nothing') });
    targets.set('404', { quarry: `${quarry.url}/api/nothing`, barePath: '/404', status: 404 });
    const html = await body('/');
    for (const [name, re] of [['css', /href="(\/assets\/[^"]+\.css)"/], ['js', /src="(\/assets\/[^"]+\.js)"/]] as const) {
      const p = re.exec(html)?.[1];
      if (!p) continue;
      // The exact bytes Quarry sends a browser (brotli accepted), for the bare server to send too.
      const res = await fetch(`${quarry.url}${p}`, { headers: { 'accept-encoding': 'br, gzip' } });
      const encoding = res.headers.get('content-encoding') ?? undefined;
      const raw = await res.arrayBuffer();
      const sent = encoding ? await compressedBytes(`${quarry.url}${p}`, encoding) : Buffer.from(raw);
      const file = path.join(scratch, `${tag}-${name}`);
      writeFileSync(file, sent);
      routes.push({ path: `/${name}`, status: 200, type: res.headers.get('content-type') ?? 'application/octet-stream', file, encoding });
      targets.set(name, { quarry: `${quarry.url}${p}`, barePath: `/${name}`, headers: { 'accept-encoding': 'br, gzip' } });
      sizes[name] = `${Math.round(raw.byteLength / 1024)} KB sent as ${Math.round(sent.length / 1024)} KB ${encoding ?? 'identity'}`;
    }
  }
  const bare = await startBare(routes);
  // Warm both (JIT, first-request paths) before measuring.
  await hammer(`${quarry.url}/api/health`, { seconds: 1, connections: 4 });
  await hammer(`${bare.url}/health`, { seconds: 1, connections: 4 });
  const target = (name: string): Target | undefined => {
    const t = targets.get(name);
    return t && { quarry: t.quarry, bare: `${bare.url}${t.barePath}`, headers: t.headers, status: t.status };
  };
  return {
    target,
    sizes,
    summary: () => `start-up to healthy ${quarry.startMs} ms; RSS idle after start ${idleRss ?? '?'} MB, after the runs ${rssMb(quarry.pid) ?? '?'} MB`,
    stop: async () => {
      bare.stop();
      await quarry.stop();
    },
  };
}

type Prepared = Awaited<ReturnType<typeof prepare>>;

/** Each measure on the build before (when given) and then this one, back to back. */
async function measure(rows: Row[], label: (sizes: Record<string, string>) => string, name: string, now: Prepared, before?: Prepared) {
  const t = now.target(name);
  if (!t) return;
  const b = before?.target(name);
  const was = b ? await pair(b) : undefined;
  const is = await pair(t);
  const row: Row = { measure: label(now.sizes), ...is, before: was };
  console.log(`${row.measure}: ${fmt(is.quarry)} req/s vs bare ${fmt(is.bare)} → ${ratio(is.quarry, is.bare)}${was ? ` (before: ${fmt(was.quarry)} vs ${fmt(was.bare)} → ${ratio(was.quarry, was.bare)})` : ''}`);
  rows.push(row);
}

async function run() {
  const rows: Row[] = [];
  const extra: string[] = [];
  const scratch = mkdtempSync(path.join(tmpdir(), 'quarry-bench-bare-'));
  const beforeCli = process.env.BENCH_BEFORE_CLI ? path.resolve(repoRoot, process.env.BENCH_BEFORE_CLI) : undefined;

  const bareNode = timeCommand(['-e', '0'], 5);
  const help = timeCommand([cliPath, 'help'], 5);
  const helpBefore = beforeCli ? timeCommand([beforeCli, 'help'], 5) : undefined;
  const helpLine = (h: { ms: number; rssMb?: number }) => `${h.ms} ms, ${h.rssMb ?? '?'} MB peak RSS`;
  console.log(`cli.js help: ${helpLine(help)}${helpBefore ? ` (before: ${helpLine(helpBefore)})` : ''}; node -e 0: ${helpLine(bareNode)}`);

  const before = beforeCli ? await prepare(beforeCli, 'pglite', scratch, 'before') : undefined;
  const now = await prepare(cliPath, 'pglite', scratch, 'now');
  try {
    await measure(rows, () => '`/api/health`, PGlite', 'health', now, before);
    await measure(rows, () => 'anonymous 404 (JSON, all middleware, access log on)', '404', now, before);
    await measure(rows, (s) => `static CSS (${s.css})`, 'css', now, before);
    await measure(rows, (s) => `static JS (${s.js})`, 'js', now, before);
    await measure(rows, () => 'signed-in `/api/me`, PGlite', 'me', now, before);
    extra.push(`- PGlite server: ${now.summary()}${before ? ` (before: ${before.summary()})` : ''}.`);
  } finally {
    await before?.stop();
    await now.stop();
  }

  if (postgresAdminUrl) {
    const pgNow = await prepare(cliPath, 'postgres', scratch, 'pg');
    try {
      await measure(rows, () => '`/api/health`, PostgreSQL', 'health', pgNow);
      await measure(rows, () => 'signed-in `/api/me`, PostgreSQL', 'me', pgNow);
      extra.push(`- PostgreSQL server: ${pgNow.summary()}.`);
    } finally {
      await pgNow.stop();
    }
  } else {
    const why = 'PostgreSQL rows skipped: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to an admin URL to include them.';
    console.log(why);
    extra.push(`- ${why}`);
  }
  rmSync(scratch, { recursive: true, force: true });

  const load = loadavg().map((l) => l.toFixed(2)).join(' / ');
  const hasBefore = rows.some((r) => r.before);
  const table = [
    `| measure | Quarry req/s | bare node:http req/s | ratio | Quarry p50 / p99 ms |${hasBefore ? ' before: Quarry / bare req/s | before: ratio |' : ''}`,
    `|---|---|---|---|---|${hasBefore ? '---|---|' : ''}`,
    ...rows.map(
      (r) =>
        `| ${r.measure} | ${fmt(r.quarry)} | ${fmt(r.bare)} | **${ratio(r.quarry, r.bare)}** | ${ms(r.quarry.p50)} / ${ms(r.quarry.p99)} |` +
        (hasBefore ? (r.before ? ` ${fmt(r.before.quarry)} / ${fmt(r.before.bare)} | ${ratio(r.before.quarry, r.before.bare)} |` : ' – | – |') : ''),
    ),
  ].join('\n');
  const body = [
    `\`npm run bench:http\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, load average ${load} at the end): ` +
      `${CONNECTIONS} keep-alive connections for ${SECONDS} s per measure from the same machine (the load generator shares the cores), ` +
      'the built server (`apps/web/dist`) with `LOG_LEVEL=info`, against a bare node:http process answering the same bytes, measured right before it.' +
      (beforeCli ? ` "Before" is \`${path.relative(repoRoot, beforeCli)}\`, measured in the same run, each measure back to back with the current build.` : ''),
    '',
    table,
    '',
    `- \`node apps/web/dist/server/cli.js help\`: ${helpLine(help)}${helpBefore ? ` (before: ${helpLine(helpBefore)})` : ''}; bare \`node -e 0\`: ${helpLine(bareNode)}; medians of 5.`,
    ...extra,
  ].join('\n');
  console.log(`\n${body}`);
  if (write) replaceSection('HTTP overhead', body);
}

/** The compressed bytes as sent (fetch would decode them). */
async function compressedBytes(url: string, encoding: string): Promise<Buffer> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

run().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
