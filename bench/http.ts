/**
 * HTTP overhead of Quarry against a bare node:http server in the same run, on 127.0.0.1 only:
 * /api/health, an anonymous 404, the built CSS and JS (as a browser asks: brotli accepted), and a
 * signed-in /api/me. The bare server runs in its own process too and answers the same bytes
 * (the same JSON size, the same compressed file), so a ratio is Quarry's cost, not the payload's.
 * Also: `cli.js help` time and peak RSS against `node -e 0`, start-up to healthy, idle RSS.
 *
 *   npm run bench:http                  print the table (BENCH_SECONDS=5 per measure, BENCH_CONNECTIONS=10)
 *   npm run bench:http -- --write       also write it into docs/benchmarks.md ("HTTP overhead")
 *   BENCH_CLI=path/to/cli.js            measure another build (e.g. a copy of dist from before a change)
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
  note?: string;
}

const fmt = (r: LoadResult) => `${r.reqPerSec.toLocaleString('en')}${r.errors ? ` (${r.errors} errors)` : ''}`;
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));

async function measurePair(measure: string, quarry: { url: string; headers?: Record<string, string>; status?: number }, bare: { url: string; status?: number }, note?: string): Promise<Row> {
  // Bare first, then Quarry, back to back: the machine's load drifts less within a pair than across the run.
  const b = await hammer(bare.url, { seconds: SECONDS, connections: CONNECTIONS, headers: quarry.headers, expectStatus: bare.status ?? 200 });
  const q = await hammer(quarry.url, { seconds: SECONDS, connections: CONNECTIONS, headers: quarry.headers, expectStatus: quarry.status ?? 200 });
  console.log(`${measure}: quarry ${fmt(q)} req/s, bare ${fmt(b)} req/s → ${(q.reqPerSec / b.reqPerSec).toFixed(2)}×`);
  return { measure, quarry: q, bare: b, note };
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

async function run() {
  const rows: Row[] = [];
  const extra: string[] = [];
  const scratch = mkdtempSync(path.join(tmpdir(), 'quarry-bench-bare-'));

  const help = timeCommand([cliPath, 'help'], 5);
  const bareNode = timeCommand(['-e', '0'], 5);
  console.log(`cli.js help: ${help.ms} ms, ${help.rssMb ?? '?'} MB; node -e 0: ${bareNode.ms} ms, ${bareNode.rssMb ?? '?'} MB`);

  const quarry = await startServer({ driver: 'pglite' });
  try {
    const idleRss = rssMb(quarry.pid);
    const cookie = await signUp(quarry.url);
    const html = await (await fetch(`${quarry.url}/`)).text();
    const css = /href="(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const sizes: Record<string, string> = {};
    const routes: BareRoute[] = [];
    for (const [name, p] of [['css', css], ['js', js]] as const) {
      if (!p) continue;
      // The exact bytes Quarry sends a browser, for the bare server to send too.
      const res = await fetch(`${quarry.url}${p}`, { headers: { 'accept-encoding': 'br, gzip' } });
      const encoding = res.headers.get('content-encoding') ?? undefined;
      const raw = await (await fetch(`${quarry.url}${p}`)).arrayBuffer();
      const sent = encoding ? await compressedBytes(`${quarry.url}${p}`, encoding) : Buffer.from(raw);
      const file = path.join(scratch, name);
      writeFileSync(file, sent);
      routes.push({ path: `/${name}`, status: 200, type: res.headers.get('content-type') ?? 'application/octet-stream', file, encoding });
      sizes[name] = `${Math.round(raw.byteLength / 1024)} KB → ${Math.round(sent.length / 1024)} KB ${encoding ?? 'identity'}`;
    }
    const healthBody = await (await fetch(`${quarry.url}/api/health`)).text();
    const notFoundBody = await (await fetch(`${quarry.url}/api/nothing`)).text();
    const meBody = await (await fetch(`${quarry.url}/api/me`, { headers: { cookie } })).text();
    routes.push({ path: '/health', status: 200, type: 'application/json', text: healthBody });
    routes.push({ path: '/404', status: 404, type: 'application/json', text: notFoundBody });
    routes.push({ path: '/me', status: 200, type: 'application/json', text: meBody });
    const bare = await startBare(routes);
    try {
      // Warm both (JIT, first-request paths) before measuring.
      await hammer(`${quarry.url}/api/health`, { seconds: 1, connections: 4 });
      await hammer(`${bare.url}/health`, { seconds: 1, connections: 4 });
      rows.push(await measurePair('`/api/health`, PGlite', { url: `${quarry.url}/api/health` }, { url: `${bare.url}/health` }));
      rows.push(await measurePair('anonymous 404 (JSON, all middleware, access log on)', { url: `${quarry.url}/api/nothing`, status: 404 }, { url: `${bare.url}/404`, status: 404 }));
      if (css) rows.push(await measurePair(`static CSS (${sizes.css})`, { url: `${quarry.url}${css}`, headers: { 'accept-encoding': 'br, gzip' } }, { url: `${bare.url}/css` }));
      if (js) rows.push(await measurePair(`static JS (${sizes.js})`, { url: `${quarry.url}${js}`, headers: { 'accept-encoding': 'br, gzip' } }, { url: `${bare.url}/js` }));
      rows.push(await measurePair('signed-in `/api/me`, PGlite', { url: `${quarry.url}/api/me`, headers: { cookie } }, { url: `${bare.url}/me` }));
    } finally {
      bare.stop();
    }
    extra.push(`- Start-up to healthy (PGlite, copy of a migrated template): ${quarry.startMs} ms; RSS idle after start ${idleRss ?? '?'} MB, after the runs ${rssMb(quarry.pid) ?? '?'} MB.`);
  } finally {
    await quarry.stop();
  }

  if (postgresAdminUrl) {
    const pgServer = await startServer({ driver: 'postgres' });
    try {
      const cookie = await signUp(pgServer.url);
      const healthBody = await (await fetch(`${pgServer.url}/api/health`)).text();
      const meBody = await (await fetch(`${pgServer.url}/api/me`, { headers: { cookie } })).text();
      const bare = await startBare([
        { path: '/health', status: 200, type: 'application/json', text: healthBody },
        { path: '/me', status: 200, type: 'application/json', text: meBody },
      ]);
      try {
        await hammer(`${pgServer.url}/api/health`, { seconds: 1, connections: 4 });
        rows.push(await measurePair('`/api/health`, PostgreSQL', { url: `${pgServer.url}/api/health` }, { url: `${bare.url}/health` }));
        rows.push(await measurePair('signed-in `/api/me`, PostgreSQL', { url: `${pgServer.url}/api/me`, headers: { cookie } }, { url: `${bare.url}/me` }));
      } finally {
        bare.stop();
      }
      extra.push(`- PostgreSQL: start-up to healthy ${pgServer.startMs} ms, RSS ${rssMb(pgServer.pid) ?? '?'} MB after the runs.`);
    } finally {
      await pgServer.stop();
    }
  } else {
    const why = 'PostgreSQL rows skipped: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to an admin URL to include them.';
    console.log(why);
    extra.push(`- ${why}`);
  }
  rmSync(scratch, { recursive: true, force: true });

  const load = loadavg().map((l) => l.toFixed(2)).join(' / ');
  const table = [
    '| measure | Quarry req/s | bare node:http req/s | ratio | Quarry p50 / p99 ms |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.measure} | ${fmt(r.quarry)} | ${fmt(r.bare)} | **${(r.quarry.reqPerSec / r.bare.reqPerSec).toFixed(2)}×** | ${ms(r.quarry.p50)} / ${ms(r.quarry.p99)} |`),
  ].join('\n');
  const body = [
    `\`npm run bench:http\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, load average ${load} at the end): ` +
      `${CONNECTIONS} keep-alive connections for ${SECONDS} s per measure from the same machine (the load generator shares the cores), ` +
      'the built server (`apps/web/dist`) with `LOG_LEVEL=info`, against a bare node:http process answering the same bytes in the same run.',
    '',
    table,
    '',
    `- \`node apps/web/dist/server/cli.js help\`: ${help.ms} ms, ${help.rssMb ?? '?'} MB peak RSS (bare \`node -e 0\`: ${bareNode.ms} ms, ${bareNode.rssMb ?? '?'} MB), median of 5.`,
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
