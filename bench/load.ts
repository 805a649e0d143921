/**
 * Embedded mode under load (issue 14 item 7), on 127.0.0.1 only: 30 concurrent searchers and
 * 5 uploaders against the built `quarry serve` for BENCH_LOAD_SECONDS (default 60), while a
 * prober asks /api/health every 250 ms. Reports the error rate, search and upload latency, health
 * latency, RSS and what the ingest queue did. Bounded: the duration, a 30 s timeout per request,
 * at most 400 uploads, each 16–128 KB.
 *
 *   npm run bench:load                  print the table
 *   npm run bench:load -- --write       also write it into docs/benchmarks.md ("Load")
 *   BENCH_LOAD_SECONDS=15               a shorter run; BENCH_SEARCHERS / BENCH_UPLOADERS change the mix
 *   BENCH_DATABASE_URL=postgres://…     also run it on PostgreSQL
 *   QUARRY_PGLITE_LANES=off             the PGlite gate without its priority lane (one FIFO)
 * PGlite runs three times in one invocation: on the HTTP thread (QUARRY_PGLITE_THREAD=off), in its own thread
 * with the embedder on 1 thread (EMBEDDING_THREADS=1), and in its own thread with the defaults.
 */
import { cpus, loadavg } from 'node:os';
import { percentile, postgresAdminUrl, rssMb, signUp, startServer } from './http-kit.js';
import { replaceSection } from './report.js';

const write = process.argv.includes('--write');
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const SEARCHERS = Number(process.env.BENCH_SEARCHERS ?? 30);
const UPLOADERS = Number(process.env.BENCH_UPLOADERS ?? 5);
const MAX_UPLOADS = 400;
const TIMEOUT_MS = 30_000;

const vocabulary = (
  'invoice budget report policy meeting customer contract project review security access team plan release quarter ' +
  'lighthouse harbour engine turbine ledger audit payroll vendor warranty incident backup migration schema latency'
).split(' ');

function lcg(seed: number) {
  let x = seed >>> 0;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function documentText(bytes: number, seed: number): string {
  const rnd = lcg(seed);
  const parts: string[] = [`# Document ${seed}`];
  let size = 0;
  while (size < bytes) {
    const words = Array.from({ length: 40 + Math.floor(rnd() * 60) }, () => vocabulary[Math.floor(rnd() * vocabulary.length)]!);
    const p = `${words.join(' ')}.`;
    parts.push(p);
    size += p.length + 2;
  }
  return parts.join('\n\n');
}

interface Timed {
  ms: number;
  ok: boolean;
}

async function timed(run: () => Promise<Response>, ok: (status: number) => boolean): Promise<Timed> {
  const started = performance.now();
  try {
    const res = await run();
    await res.arrayBuffer();
    return { ms: performance.now() - started, ok: ok(res.status) };
  } catch {
    return { ms: performance.now() - started, ok: false };
  }
}

const summary = (xs: Timed[]) => {
  const sorted = xs.map((x) => x.ms).sort((a, b) => a - b);
  return { n: xs.length, errors: xs.filter((x) => !x.ok).length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? NaN };
};

async function runOne(driver: 'pglite' | 'postgres', label: string = driver, env: Record<string, string> = {}) {
  // QUARRY_PGLITE_LANES=off runs the gate's single FIFO (the "before" of the priority lane) on the same build.
  const lanes = process.env.QUARRY_PGLITE_LANES;
  const server = await startServer({ driver, env: { ...(lanes ? { QUARRY_PGLITE_LANES: lanes } : {}), ...env } });
  try {
    const cookie = await signUp(server.url);
    const headers = { cookie, origin: server.url };
    const me = (await (await fetch(`${server.url}/api/me`, { headers })).json()) as { workspaces: Array<{ id: string }> };
    const ws = me.workspaces[0]!.id;
    const upload = (seed: number) => {
      const form = new FormData();
      const bytes = 16_384 + Math.floor(lcg(seed)() * 112 * 1024);
      form.append('file', new Blob([documentText(bytes, seed)], { type: 'text/markdown' }), `load-${seed}.md`);
      return fetch(`${server.url}/api/workspaces/${ws}/documents`, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(TIMEOUT_MS) });
    };
    // Something to find before the clock starts: 10 documents, ready.
    for (let i = 0; i < 10; i++) await (await upload(1000 + i)).arrayBuffer();
    for (let i = 0; i < 240; i++) {
      const health = (await (await fetch(`${server.url}/api/health`)).json()) as { checks: { queue: { pending?: number } } };
      if ((health.checks.queue.pending ?? 1) === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }

    const searches: Timed[] = [];
    const uploads: Timed[] = [];
    const health: Timed[] = [];
    const rss: number[] = [];
    const deadline = performance.now() + SECONDS * 1000;
    let uploadSeed = 0;
    const searcher = async (id: number) => {
      const rnd = lcg(id + 1);
      while (performance.now() < deadline) {
        const q = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => vocabulary[Math.floor(rnd() * vocabulary.length)]).join(' ');
        searches.push(
          await timed(
            () => fetch(`${server.url}/api/workspaces/${ws}/search?q=${encodeURIComponent(q)}`, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) }),
            (s) => s === 200,
          ),
        );
      }
    };
    const uploader = async () => {
      while (performance.now() < deadline && uploadSeed < MAX_UPLOADS) {
        const seed = uploadSeed++;
        uploads.push(await timed(() => upload(seed), (s) => s === 202));
      }
    };
    const prober = async () => {
      while (performance.now() < deadline) {
        // 503 (degraded: the database gave no answer for 5 s) counts as an error; the probe still answered.
        health.push(await timed(() => fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(TIMEOUT_MS) }), (s) => s === 200));
        const r = rssMb(server.pid);
        if (r !== undefined) rss.push(r);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    await Promise.all([...Array.from({ length: SEARCHERS }, (_, i) => searcher(i)), ...Array.from({ length: UPLOADERS }, uploader), prober()]);
    const end = (await (await fetch(`${server.url}/api/health`)).json()) as { checks: { queue: { pending?: number; failed?: number } } };
    return {
      driver: label,
      search: summary(searches),
      upload: summary(uploads),
      health: summary(health),
      rssMax: Math.max(...rss),
      rssEnd: rssMb(server.pid),
      queue: end.checks.queue,
    };
  } finally {
    await server.stop();
  }
}

const f = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en')) : '–');

async function run() {
  // The same build twice: PGlite on the HTTP thread (QUARRY_PGLITE_THREAD=off, the "before") and in its own thread.
  const results = [
    await runOne('pglite', 'pglite, main thread', { QUARRY_PGLITE_THREAD: 'off' }),
    // The embedder's thread count (EMBEDDING_THREADS, default 2): 1 leaves a core to HTTP while ingest embeds.
    await runOne('pglite', 'pglite, own thread, 1 embedding thread', { EMBEDDING_THREADS: '1' }),
    await runOne('pglite', 'pglite, own thread'),
  ];
  let skipped: string | undefined;
  if (postgresAdminUrl) results.push(await runOne('postgres'));
  else console.log((skipped = 'PostgreSQL run skipped: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to an admin URL to include it.'));
  const load = loadavg().map((l) => l.toFixed(2)).join(' / ');
  const lines = [
    `\`npm run bench:load\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, load average ${load} at the end): ` +
      `${SEARCHERS} searchers (back to back, default hybrid mode) and ${UPLOADERS} uploaders (16–128 KB Markdown each) for ${SECONDS} s ` +
      'against the built server on 127.0.0.1 (default local MiniLM embedder), 10 documents indexed first, a prober on `/api/health` every 250 ms.',
    '',
    '| driver | requests | errors (search / upload / health) | search p50 / p95 ms | upload p50 / p95 ms | health p50 / p95 / max ms | RSS max / end MB | queue at the end |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map((r) => {
      const total = r.search.n + r.upload.n + r.health.n;
      const errors = r.search.errors + r.upload.errors + r.health.errors;
      return (
        `| ${r.driver} | ${total} (${r.search.n} searches, ${r.upload.n} uploads, ${r.health.n} probes) | ${((100 * errors) / Math.max(1, total)).toFixed(2)} % (${r.search.errors} / ${r.upload.errors} / ${r.health.errors}) | ` +
        `${f(r.search.p50)} / ${f(r.search.p95)} | ${f(r.upload.p50)} / ${f(r.upload.p95)} | ${f(r.health.p50)} / ${f(r.health.p95)} / ${f(r.health.max)} | ` +
        `${r.rssMax} / ${r.rssEnd ?? '?'} | ${r.queue.pending ?? '?'} pending, ${r.queue.failed ?? '?'} failed |`
      );
    }),
    ...(skipped ? ['', `- ${skipped}`] : []),
  ];
  const body = lines.join('\n');
  console.log(`\n${body}`);
  if (write) replaceSection('Load', body);
}

run().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
