/**
 * Memory of the built `quarry serve` on embedded PGlite with the offline model (issue 17: RSS ≤ 300 MB
 * with the embedding model loaded), beside a bare `node -e` http server measured the same way in the
 * same run. For each variant (default: PGLITE_SHARED_BUFFERS `auto` with a bare `node cli.js serve`, then `auto`
 * and PostgreSQL's `128MB` with the environment `npm start` and the image give it):
 *
 *   1. first start on a fresh DATA_DIR (copied from the pre-initialised cluster), idle;
 *   2. three uploads (CISI abstracts when ../shared/data/cisi is there, else generated text), every
 *      vector embedded, three hybrid searches (the model is loaded), then idle;
 *   3. warm restart on that DATA_DIR, three hybrid searches, then idle — the figure the goal is about.
 *
 *   npx tsx bench/memory.ts            print the table
 *   npx tsx bench/memory.ts --write    also write it into docs/benchmarks.md ("Memory (PGlite, issue 17)")
 *   BENCH_VARIANTS='auto;auto MALLOC_ARENA_MAX=2' npx tsx bench/memory.ts
 *                                      variants separated by `;`: a PGLITE_SHARED_BUFFERS value, then
 *                                      optional KEY=VALUE settings for the server's environment
 *
 * Only loopback traffic, to servers this script started; each is stopped by its own PID. Bounded: every
 * wait is a counted poll.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { copyPgliteTemplate } from '../test/support/pglite-template.js';
import { freePort } from '../test/support/process.js';
import { loadSmartCollection, sharedDataDir } from './collections.js';
import { signUp, startServer, type Server } from './http-kit.js';
import { replaceSection } from './report.js';

const write = process.argv.includes('--write');
const SETTLE_MS = 3_000;
const modelCache = path.join(tmpdir(), 'quarry-bench-memory-models');

function procStatus(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), hwm: Math.round(kb('VmHWM') / 1024) };
}

/** RSS of the server's child processes (the extraction workers, reused between documents), MB. */
function childrenRss(pid: number): { count: number; rss: number } {
  let count = 0;
  let rss = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    let children: string[];
    try {
      children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      continue;
    }
    for (const child of children) {
      try {
        rss += procStatus(Number(child)).rss;
        count++;
      } catch {
        /* exited meanwhile */
      }
    }
  }
  return { count, rss };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Three documents to index: 100 CISI abstracts each, or generated paragraphs of the same size. */
function documents(): Array<{ name: string; text: string }> {
  const out: Array<{ name: string; text: string }> = [];
  if (existsSync(path.join(sharedDataDir(), 'cisi'))) {
    const docs = loadSmartCollection('cisi').docs;
    for (let i = 0; i < 3; i++) {
      const part = docs.slice(i * 100, (i + 1) * 100);
      out.push({ name: `cisi-${i + 1}.md`, text: part.map((d) => `## ${d.title}\n\n${d.text}`).join('\n\n') });
    }
    return out;
  }
  const words = 'library catalogue index retrieval journal citation archive reader abstract subject classification'.split(' ');
  for (let i = 0; i < 3; i++) {
    const paragraphs = Array.from({ length: 100 }, (_, p) =>
      Array.from({ length: 120 }, (_, w) => words[(i * 7 + p * 13 + w * 31) % words.length]).join(' '),
    );
    out.push({ name: `generated-${i + 1}.md`, text: paragraphs.map((t, p) => `## Part ${p + 1}\n\n${t}.`).join('\n\n') });
  }
  return out;
}

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function workspaceOf(server: Server, headers: Record<string, string>): Promise<string> {
  return (await json<{ workspaces: Array<{ id: string }> }>(await fetch(`${server.url}/api/me`, { headers }))).workspaces[0]!.id;
}

async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ email: 'bench@example.com', password: 'correct horse battery staple' }),
  });
  if (res.status !== 200) throw new Error(`sign-in: ${res.status} ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
}

/** Bounded: 600 polls of 500 ms (5 minutes) until every document is ready with all its vectors. */
async function waitEmbedded(server: Server, headers: Record<string, string>, ws: string, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < 600; i++) {
    const list = await json<{ items: Array<{ status: string; vectors: { ready: number; total: number } }> }>(
      await fetch(`${server.url}/api/workspaces/${ws}/documents?limit=50`, { headers }),
    );
    if (list.items.some((d) => d.status === 'failed')) throw new Error('a document failed to index');
    if (list.items.length >= count && list.items.every((d) => d.status === 'ready' && d.vectors.ready === d.vectors.total)) {
      return Math.round((performance.now() - started) / 1000);
    }
    await sleep(500);
  }
  throw new Error('documents were not embedded within 5 minutes');
}

async function searches(server: Server, headers: Record<string, string>, ws: string): Promise<void> {
  for (const q of ['indexing of periodicals', 'how do readers use a public library', 'automatic classification of documents']) {
    await json(await fetch(`${server.url}/api/workspaces/${ws}/search?q=${encodeURIComponent(q)}&mode=hybrid`, { headers }));
  }
}

/** Client-side latency of one hybrid search per query (the query embedded afresh), after the memory figures. */
async function timedSearches(server: Server, headers: Record<string, string>, ws: string): Promise<{ p50: number; p95: number; n: number }> {
  const texts = existsSync(path.join(sharedDataDir(), 'cisi'))
    ? loadSmartCollection('cisi').queries.map((q) => q.text.slice(0, 500))
    : Array.from({ length: 40 }, (_, i) => `catalogue retrieval question ${i}`);
  const times: number[] = [];
  for (const q of texts) {
    const t = performance.now();
    await json(await fetch(`${server.url}/api/workspaces/${ws}/search?q=${encodeURIComponent(q)}&mode=hybrid`, { headers }));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => Math.round(times[Math.min(times.length - 1, Math.floor(p * times.length))]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), n: times.length };
}

interface Row {
  variant: string;
  search: { p50: number; p95: number; n: number };
  firstIdle: number;
  afterIngest: number;
  firstHwm: number;
  warmIdle: number;
  warmAfterSearch: number;
  warmHwm: number;
  children: { count: number; rss: number };
  embedSeconds: number;
}

/** `auto MALLOC_ARENA_MAX=2` → the buffer setting and the extra environment. */
function parseVariant(variant: string): Record<string, string> {
  const [buffers = 'auto', ...pairs] = variant.trim().split(/\s+/);
  const extra = pairs.map((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`BENCH_VARIANTS: "${p}" is not KEY=VALUE`);
    return [p.slice(0, eq), p.slice(eq + 1)] as const;
  });
  return { PGLITE_SHARED_BUFFERS: buffers, ...Object.fromEntries(extra) };
}

async function measure(variant: string): Promise<Row> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'quarry-bench-memory-'));
  const env = { ...parseVariant(variant), MODEL_CACHE_DIR: modelCache, LOG_LEVEL: 'warn' };
  try {
    await copyPgliteTemplate(dataDir);
    let server = await startServer({ driver: 'pglite', dataDir, env });
    let row: Partial<Row> = { variant };
    try {
      await sleep(SETTLE_MS);
      row.firstIdle = procStatus(server.pid).rss;
      const cookie = await signUp(server.url);
      const headers = { cookie, origin: server.url };
      const ws = await workspaceOf(server, headers);
      const docs = documents();
      for (const d of docs) {
        const form = new FormData();
        form.append('file', new Blob([d.text], { type: 'text/markdown' }), d.name);
        await json(await fetch(`${server.url}/api/workspaces/${ws}/documents`, { method: 'POST', headers, body: form }));
      }
      row.embedSeconds = await waitEmbedded(server, headers, ws, docs.length);
      await searches(server, headers, ws);
      await sleep(SETTLE_MS);
      const after = procStatus(server.pid);
      row = { ...row, afterIngest: after.rss, firstHwm: after.hwm, children: childrenRss(server.pid) };
    } finally {
      await server.stop();
    }
    server = await startServer({ driver: 'pglite', dataDir, env });
    try {
      await sleep(SETTLE_MS);
      row.warmIdle = procStatus(server.pid).rss;
      const cookie = await signIn(server.url);
      const headers = { cookie, origin: server.url };
      const ws = await workspaceOf(server, headers);
      await searches(server, headers, ws);
      await sleep(SETTLE_MS);
      const after = procStatus(server.pid);
      row = { ...row, warmAfterSearch: after.rss, warmHwm: after.hwm };
      row.search = await timedSearches(server, headers, ws);
    } finally {
      await server.stop();
    }
    return row as Row;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function bare(): Promise<number> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', `require('node:http').createServer((q,s)=>s.end('ok')).listen(${port},'127.0.0.1')`], {
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await (await fetch(`http://127.0.0.1:${port}/`)).text();
        break;
      } catch {
        await sleep(100);
      }
    }
    await sleep(SETTLE_MS);
    return procStatus(child.pid!).rss;
  } finally {
    child.kill('SIGTERM');
  }
}

// The first is `node cli.js serve` bare; the others run as `npm start` and the image do (package.json, Dockerfile).
const shipped = 'MALLOC_ARENA_MAX=2 NODE_OPTIONS=--max-semi-space-size=2';
const variants = (process.env.BENCH_VARIANTS ?? `auto;auto ${shipped};128MB ${shipped}`).split(';').map((v) => v.trim()).filter(Boolean);
const baseline = await bare();
const rows: Row[] = [];
for (const v of variants) {
  console.error(`measuring ${v}…`);
  rows.push(await measure(v));
}
const load = loadavg().map((l) => l.toFixed(2)).join(' / ');
const x = (mb: number) => `${(mb / baseline).toFixed(1)}×`;
const lines = [
  `\`npx tsx bench/memory.ts\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load average ${load} (1/5/15 min) at the end, ` +
    `Node ${process.version}: VmRSS of the built \`quarry serve\` (PGlite in its own thread, local files, the offline int8 MiniLM), ` +
    `${SETTLE_MS / 1000} s after each step. Baseline: a bare \`node -e\` http server measured the same way in the same run, **${baseline} MB**. ` +
    `Workload: three uploads (${existsSync(path.join(sharedDataDir(), 'cisi')) ? '100 CISI abstracts each' : 'generated text'}), every vector embedded, three hybrid searches.`,
  '',
  '| PGLITE_SHARED_BUFFERS, environment | first start, idle | after ingest + search (peak) | its extraction processes | warm restart, idle | warm, model loaded (after 3 searches) | warm peak | time to every vector | then hybrid searches p50 / p95 ms |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| \`${r.variant}\` | ${r.firstIdle} MB (${x(r.firstIdle)}) | ${r.afterIngest} MB (${r.firstHwm}) | ${r.children.count}: ${r.children.rss} MB | ${r.warmIdle} MB (${x(r.warmIdle)}) | ` +
      `**${r.warmAfterSearch} MB** (${x(r.warmAfterSearch)}) | ${r.warmHwm} MB | ${r.embedSeconds} s | ${r.search.p50} / ${r.search.p95} (${r.search.n}) |`,
  ),
];
console.log(lines.join('\n'));
if (write) replaceSection('Memory (PGlite, issue 17)', lines.join('\n'));
