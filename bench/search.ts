/**
 * Search latency and HNSW recall at scale.
 *
 *   npm run bench:search                     100k passages on embedded PGlite
 *   BENCH_PASSAGES=20000 npm run bench:search  a smaller run
 *   BENCH_DATABASE_URL=postgres://… npm run bench:search   PostgreSQL 17 + pgvector (default 1M passages;
 *                                            TEST_DATABASE_URL works too); the database must be empty/throwaway
 *   … -- --write                             also write the figures into docs/benchmarks.md ("Search")
 *   BENCH_MAINTENANCE_WORK_MEM=3GB           memory for the HNSW build (default 1GB PGlite, 512MB PostgreSQL)
 *   BENCH_MEMORY_PASSAGES=1200000           passages the service holds in memory for keyword ranking
 *                                            (SEARCH_MEMORY_PASSAGES; default the service's, 200,000)
 *   BENCH_REUSE_DIR=/tmp/…                   keep (or reuse) the PGlite directory of an earlier run: loading and
 *                                            the index build are skipped when it already holds the passages
 *
 * Passages are synthetic but shaped like real ones: sentences of the retrieval corpus (bench/retrieval)
 * mixed with Zipf-distributed filler words, embedded with the offline local embedder (384 dimensions).
 * Two workspaces: "large" holds 90 % of the passages, "small" 10 %, so the workspace filter matters.
 * Latency is measured through the search service (ranking + snippets for 10 results), one query at a
 * time after a warm-up, and every ratio is against the exact-scan baseline measured in the same run.
 * The service's in-memory copies (packages/search/src/resident) are built during the warm-up, and the
 * same queries also run with them switched off (SQL only) for a ratio in the same run.
 *
 * Passages carry hashed vectors (embedding 100k passages with MiniLM takes hours here). The query-side
 * cost of the real model is paid anyway: each query is also embedded by all-MiniLM-L6-v2 (its vector is
 * discarded, the hashed one is searched), so hybrid and semantic latency include what a user waits for.
 * Every service here keeps no query vectors (`queryVectorCache: 0`) and the warm-up uses other queries
 * than the measured ones: before 2026-12-06 the measures of one service shared its cache, so its hybrid
 * rows found every query embedded by its semantic row and left the model's time out.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createLocalEmbedder, createMiniLmEmbedder, type Embedder } from '@quarry/ai';
import { ensureVectorIndex, openDatabase, queryRows, runMigrations, type Database, type DatabaseTarget } from '@quarry/db';
import { chooseSemanticPlan, createSearchService, defaultResidentOptions, defaultSemanticOptions, semanticCandidates, type SearchMode, type SemanticOptions } from '@quarry/search';
import { activateSpace, createWorkspace } from '../packages/search/src/test-fixtures.js';
import { replaceSection } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = new Set(process.argv.slice(2));
const pgUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
const N = Number(process.env.BENCH_PASSAGES ?? (pgUrl ? 1_000_000 : 100_000));
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const WARMUP = 20;
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MINUTES ?? 45) * 60_000;
const started = performance.now();

function checkBudget(stage: string) {
  if (performance.now() - started > BUDGET_MS) throw new Error(`benchmark exceeded its time budget during ${stage}`);
}

const overBudget = () => performance.now() - started > BUDGET_MS;

/** Deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpusSentences(): string[] {
  const dir = path.join(here, 'retrieval/corpus');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .flatMap((f) =>
      readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .flatMap((l) => l.split(/(?<=\.)\s+/)),
    );
}

function queryTexts(): string[] {
  return readFileSync(path.join(here, 'retrieval/queries.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t')[2]!);
}

const sentences = corpusSentences();
const random = rng(42);
const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'shi', 'den', 'bar', 'el', 'in', 'or', 'us', 'pra', 'ster', 'quo', 'lin'];
const fillerWords = Array.from({ length: 6000 }, (_, i) => {
  let w = '';
  let x = i + 7;
  for (let s = 0; s < 2 + (i % 3); s++) {
    w += syllables[x % syllables.length];
    x = Math.floor(x / syllables.length) + s * 5 + 3;
  }
  return w;
});
/** Zipf-ish: low indexes much more frequent. */
const filler = () => fillerWords[Math.floor(fillerWords.length * random() ** 3)]!;

function passageText(): string {
  const parts: string[] = [];
  for (let s = 0; s < 3; s++) {
    parts.push(sentences[Math.floor(random() * sentences.length)]!);
    const words = Array.from({ length: 6 + Math.floor(random() * 10) }, filler).join(' ');
    parts.push(`${words[0]!.toUpperCase()}${words.slice(1)}.`);
  }
  return parts.join(' ');
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const value = await fn();
  return [performance.now() - t, value];
}

async function load(db: Database, target: DatabaseTarget) {
  const embedder = createLocalEmbedder();
  const space = await activateSpace(db, embedder);
  const large = await createWorkspace(db, 'large');
  const small = await createWorkspace(db, 'small');
  const docSize = 50;
  const batch = target.kind === 'pglite' ? 500 : 2000;
  let inserted = 0;
  const t0 = performance.now();
  let embedMs = 0;
  for (let i = 0; i < N; i += batch) {
    checkBudget('loading');
    const n = Math.min(batch, N - i);
    const texts = Array.from({ length: n }, passageText);
    const te = performance.now();
    const vectors = await embedder.embed(texts, 'passage');
    embedMs += performance.now() - te;
    // One document per `docSize` passages; every 10th document goes to the small workspace.
    const rows = texts.map((text, k) => {
      const ordinal = i + k;
      const doc = Math.floor(ordinal / docSize);
      return { text, vector: vectors[k]!, doc, ordinal, ws: doc % 10 === 9 ? small : large };
    });
    const docs = [...new Set(rows.filter((r) => r.ordinal % docSize === 0 || r === rows[0]).map((r) => r.doc))];
    for (const doc of docs) {
      const ws = doc % 10 === 9 ? small : large;
      await db.execute(
        sql`INSERT INTO documents (id, workspace_id, title, filename, mime_type, size_bytes, sha256, storage_key, status, passage_count)
            VALUES (${docId(doc)}::uuid, ${ws}::uuid, ${`Synthetic document ${doc}`}, ${`doc-${doc}.md`}, 'text/markdown', 1, ${`sha-${doc}`}, ${`k/${doc}`}, 'ready', ${docSize})
            ON CONFLICT DO NOTHING`,
      );
    }
    const payload = JSON.stringify(rows.map((r) => ({ id: passageId(r.ordinal), d: docId(r.doc), w: r.ws, o: r.ordinal % docSize, t: r.text, v: `[${r.vector.join(',')}]` })));
    await db.execute(
      sql`INSERT INTO passages (id, document_id, workspace_id, ordinal, page, heading_path, text, token_count, tsv)
          SELECT (x->>'id')::uuid, (x->>'d')::uuid, (x->>'w')::uuid, (x->>'o')::int, NULL, '{}'::text[], x->>'t', 60,
                 to_tsvector('english', x->>'t')
          FROM jsonb_array_elements(${payload}::jsonb) AS x`,
    );
    await db.execute(
      sql`INSERT INTO passage_embeddings (passage_id, space_id, workspace_id, embedding)
          SELECT (x->>'id')::uuid, ${space.id}, (x->>'w')::uuid, (x->>'v')::vector
          FROM jsonb_array_elements(${payload}::jsonb) AS x`,
    );
    inserted += n;
    if ((i / batch) % 20 === 0) process.stdout.write(`\r  loaded ${inserted.toLocaleString()} / ${N.toLocaleString()} passages`);
  }
  const loadMs = performance.now() - t0;
  process.stdout.write('\n');
  await db.execute(sql`ANALYZE`);
  return { embedder, space, large, small, loadMs, embedMs };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const docId = (doc: number) => `00000000-0000-4000-8000-${hex(doc, 12)}`;
const passageId = (ordinal: number) => `00000000-0000-4000-9000-${hex(ordinal, 12)}`;

async function main() {
  let target: DatabaseTarget;
  let cleanup = async () => {};
  if (pgUrl) {
    target = { kind: 'postgres', url: pgUrl, poolMax: 4 };
  } else if (process.env.BENCH_REUSE_DIR) {
    target = { kind: 'pglite', dir: process.env.BENCH_REUSE_DIR };
  } else {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'quarry-bench-search-'));
    target = { kind: 'pglite', dir };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const handle = await openDatabase(target);
  const lines: string[] = [];
  const log = (line = '') => {
    console.log(line);
    lines.push(line);
  };
  try {
    await runMigrations(handle, target);
    const db = handle.db;
    // Rows left by an interrupted run's insert test go first.
    await db.execute(sql`DELETE FROM passages WHERE id >= ${passageId(N)}::uuid AND id < '00000000-0000-4000-a000-000000000000'::uuid`);
    const [{ n: existing } = { n: 0 }] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM passages`);
    let loaded: Awaited<ReturnType<typeof load>>;
    let buildMs: number | undefined;
    if (Number(existing) === N && process.env.BENCH_REUSE_DIR) {
      console.log(`Reusing ${N.toLocaleString()} passages in ${process.env.BENCH_REUSE_DIR} (load and index build not measured in this run)`);
      const embedder = createLocalEmbedder();
      const space = await activateSpace(db, embedder);
      const ws = await queryRows<{ id: string; name: string }>(db, sql`SELECT id, name FROM workspaces`);
      await ensureVectorIndex(db, space);
      loaded = { embedder, space, large: ws.find((w) => w.name === 'large')!.id, small: ws.find((w) => w.name === 'small')!.id, loadMs: NaN, embedMs: NaN };
    } else {
      if (Number(existing) > 0) throw new Error('the benchmark database already holds passages: use an empty, throwaway database');
      console.log(`Loading ${N.toLocaleString()} passages into ${target.kind} …`);
      loaded = await load(db, target);
      checkBudget('index build');
      // PostgreSQL: 512MB fits a container's default /dev/shm, which parallel build workers share; at 1M
      // passages the graph needs ~2 GB (BENCH_MAINTENANCE_WORK_MEM=3GB with a larger --shm-size), or the
      // build slows down once the graph no longer fits.
      const buildMemory = process.env.BENCH_MAINTENANCE_WORK_MEM ?? (target.kind === 'pglite' ? '1GB' : '512MB');
      if (!/^\d+(MB|GB)$/.test(buildMemory)) throw new Error('BENCH_MAINTENANCE_WORK_MEM: a size such as 512MB or 3GB');
      if (target.kind === 'pglite') await db.execute(sql.raw(`SET maintenance_work_mem = '${buildMemory}'`));
      else {
        // A pooled SET reaches one connection, maybe not the one that builds: set it for every session.
        await db.execute(sql.raw(`ALTER SYSTEM SET maintenance_work_mem = '${buildMemory}'`));
        await db.execute(sql`SELECT pg_reload_conf()`);
      }
      [buildMs] = await timed(() => ensureVectorIndex(db, loaded.space));
      console.log(`HNSW index built in ${(buildMs / 1000).toFixed(1)} s`);
    }
    const { embedder, space, large, small, loadMs, embedMs } = loaded;

    // Cost of ingesting into an indexed space: 200 single-row inserts with the index in place.
    const extra = await embedder.embed(Array.from({ length: 200 }, passageText), 'passage');
    console.log('Measuring inserts into the indexed space …');
    const [insertMs] = await timed(async () => {
      for (const [k, v] of extra.entries()) {
        const id = passageId(N + k);
        await db.execute(
          sql`INSERT INTO passages (id, document_id, workspace_id, ordinal, page, heading_path, text, token_count, tsv)
              VALUES (${id}::uuid, ${docId(0)}::uuid, ${large}::uuid, ${1000 + k}, NULL, '{}'::text[], 'extra', 1, to_tsvector('english', 'extra'))`,
        );
        await db.execute(sql`INSERT INTO passage_embeddings (passage_id, space_id, workspace_id, embedding) VALUES (${id}::uuid, ${space.id}, ${large}::uuid, ${`[${v.join(',')}]`}::vector)`);
      }
    });
    await db.execute(sql`DELETE FROM passages WHERE id >= ${passageId(N)}::uuid AND id < '00000000-0000-4000-a000-000000000000'::uuid`);

    const texts = queryTexts();
    const queries = Array.from({ length: QUERIES }, (_, i) => texts[(i * 7) % texts.length]!);
    const measured = new Set(queries);
    const warmups = [...texts.filter((t) => !measured.has(t)), ...texts].slice(0, WARMUP);
    const miniLm = createMiniLmEmbedder({ cacheDir: path.join(os.tmpdir(), 'quarry-models') });
    // Pays the real model's query cost, searches the loaded (hashed) space. Each call embeds afresh: the
    // service's query cache is per instance, and the measured queries are not repeated within one.
    const queryEmbedder: Embedder = {
      space: embedder.space,
      async embed(texts, kind) {
        await miniLm.embed(texts, kind);
        return embedder.embed(texts, kind);
      },
    };
    const memoryPassages = process.env.BENCH_MEMORY_PASSAGES ? Number(process.env.BENCH_MEMORY_PASSAGES) : undefined;
    const service = createSearchService({
      db,
      language: 'english',
      queryEmbedder: () => queryEmbedder,
      queryVectorCache: 0,
      ...(memoryPassages !== undefined ? { resident: { maxPassages: memoryPassages } } : {}),
    });
    const sqlService = createSearchService({ db, language: 'english', queryEmbedder: () => queryEmbedder, resident: false, queryVectorCache: 0 });
    const exactService = createSearchService({
      db,
      language: 'english',
      queryEmbedder: () => queryEmbedder,
      queryVectorCache: 0,
      resident: false,
      semantic: { ...defaultSemanticOptions, exactScanMaxVectors: Number.MAX_SAFE_INTEGER },
    });
    const hnswService = createSearchService({
      db,
      language: 'english',
      queryEmbedder: () => queryEmbedder,
      queryVectorCache: 0,
      resident: false,
      semantic: { ...defaultSemanticOptions, exactScanMaxVectors: 0 },
    });

    const measure = async (svc: typeof service, ws: string, mode: SearchMode) => {
      for (const q of warmups) {
        await svc.search({ workspaceId: ws, query: q, mode, limit: 10 });
        await svc.resident?.idle();
      }
      const times: number[] = [];
      const stageTimes = new Map<string, number[]>();
      for (const q of queries) {
        if (overBudget()) break; // report what was measured rather than nothing
        const [ms, result] = await timed(() => svc.search({ workspaceId: ws, query: q, mode, limit: 10 }));
        times.push(ms);
        for (const [stage, t] of Object.entries(result.stages ?? {})) {
          if (!stageTimes.has(stage)) stageTimes.set(stage, []);
          stageTimes.get(stage)!.push(t);
        }
      }
      times.sort((a, b) => a - b);
      // Medians per stage (they overlap: the query is embedded while the keyword half runs).
      const stages = [...stageTimes]
        .map(([stage, ts]) => `${stage} ${percentile([...ts].sort((a, b) => a - b), 50).toFixed(1)}`)
        .join(', ');
      return { p50: percentile(times, 50), p95: percentile(times, 95), n: times.length, stages };
    };

    const largeCount = Math.round(N * 0.9);
    const smallCount = N - largeCount;
    const planLarge = await chooseSemanticPlan(db, space, large, {}, defaultSemanticOptions);
    const planSmall = await chooseSemanticPlan(db, space, small, {}, defaultSemanticOptions);

    const baseline = await measure(exactService, large, 'semantic');
    console.log('Measuring search latency …');
    const results: Array<[string, { p50: number; p95: number; n: number; stages: string }]> = [
      [`semantic, exact scan (baseline), large workspace`, baseline],
      [`keyword, large workspace, SQL only`, await measure(sqlService, large, 'keyword')],
      [`keyword, large workspace`, await measure(service, large, 'keyword')],
      [`semantic (${planLarge}), large workspace`, await measure(service, large, 'semantic')],
      [`hybrid (semantic ${planLarge}), large workspace, SQL only`, await measure(sqlService, large, 'hybrid')],
      [`hybrid (semantic ${planLarge}), large workspace`, await measure(service, large, 'hybrid')],
      [`semantic (${planSmall}), small workspace`, await measure(service, small, 'semantic')],
      [`semantic (HNSW forced), small workspace`, await measure(hnswService, small, 'semantic')],
      [`hybrid (semantic ${planSmall}), small workspace, SQL only`, await measure(sqlService, small, 'hybrid')],
      [`hybrid (semantic ${planSmall}), small workspace`, await measure(service, small, 'hybrid')],
    ];
    const copies = service.resident?.stats();
    console.log('in-memory copies', copies);
    await miniLm.close?.();

    // Recall@10 of the HNSW plan against the exact scan (computed once per query), per ef_search.
    console.log('Measuring HNSW recall …');
    const recallRows: string[] = [];
    const recallQueries = queries.slice(0, Number(process.env.BENCH_RECALL_QUERIES ?? 100));
    const vectors = await embedder.embed(recallQueries, 'query');
    for (const ws of [
      { id: large, name: 'large' },
      { id: small, name: 'small' },
    ]) {
      const truths: Array<Set<string>> = [];
      for (const v of vectors) {
        if (overBudget()) break;
        const exact = await semanticCandidates(db, space, v, ws.id, {}, 10, defaultSemanticOptions, 'exact');
        truths.push(new Set(exact.candidates.map((c) => c.passageId)));
      }
      for (const ef of [40, 100, 200]) {
        const options: SemanticOptions = { ...defaultSemanticOptions, efSearch: ef };
        let found = 0;
        let total = 0;
        const times: number[] = [];
        for (const [i, truth] of truths.entries()) {
          const [ms, approx] = await timed(() => semanticCandidates(db, space, vectors[i]!, ws.id, {}, 10, options, 'hnsw'));
          times.push(ms);
          found += approx.candidates.filter((c) => truth.has(c.passageId)).length;
          total += truth.size;
        }
        times.sort((a, b) => a - b);
        if (times.length === 0) continue;
        recallRows.push(
          `| ${ws.name} | ${ef}${ef === defaultSemanticOptions.efSearch ? ' (default)' : ''} | ${(found / total).toFixed(3)} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 95).toFixed(1)} | ${times.length} |`,
        );
      }
    }

    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    log(
      `${target.kind === 'pglite' ? 'PGlite (PostgreSQL 18 in WebAssembly, in-process) with pgvector 0.8' : 'PostgreSQL with pgvector'}, ` +
        `${N.toLocaleString()} passages (large workspace ${largeCount.toLocaleString()}, small ${smallCount.toLocaleString()}), 384-d local embeddings, ` +
        `${os.cpus().length} × ${cpu}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; ` +
        `1-minute load average at the end ${os.loadavg()[0]!.toFixed(1)} (shared machine: absolute times are inflated, ratios less so).`,
    );
    log('');
    log(
      (Number.isNaN(loadMs) ? 'Load and index build: reused from an earlier run (see below). ' : `Load: ${(loadMs / 1000).toFixed(0)} s for ${N.toLocaleString()} passages (${(embedMs / 1000).toFixed(0)} s of it embedding); `) +
        (buildMs !== undefined ? `HNSW build (m=16, ef_construction=64) ${(buildMs / 1000).toFixed(0)} s; ` : '') +
        `inserting one passage with its vector into the indexed space: ${(insertMs / 200).toFixed(1)} ms each.`,
    );
    log('');
    log(`Search latency through the service (ranking + 10 snippets), up to ${QUERIES} queries after ${WARMUP} warm-up, sequential:`);
    log('');
    log('| query | p50 ms | p95 ms | p50 vs baseline | p95 vs baseline | queries | stage medians ms |');
    log('|---|---|---|---|---|---|---|');
    for (const [name, r] of results) {
      if (r.n === 0) continue;
      log(`| ${name} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${(r.p50 / baseline.p50).toFixed(2)}× | ${(r.p95 / baseline.p95).toFixed(2)}× | ${r.n} | ${r.stages} |`);
    }
    log('');
    log('Recall@10 of HNSW (iterative scan, workspace filter in the query) against the exact scan, and the vector query alone:');
    log('');
    log('| workspace | hnsw.ef_search | recall@10 | p50 ms | p95 ms | queries |');
    log('|---|---|---|---|---|---|');
    for (const row of recallRows) log(row);
    log('');
    log(`Plans chosen by the service: large workspace → ${planLarge}, small workspace → ${planSmall} (exact scan at or below ${defaultSemanticOptions.exactScanMaxVectors.toLocaleString()} vectors in the workspace).`);
    if (copies !== undefined) {
      const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
      log(
        `In-memory copies: keyword ${copies.passages.toLocaleString()} passages (${mb(copies.keywordBytes)} MB of postings, ids and scratch; ` +
          `budget ${(memoryPassages ?? defaultResidentOptions.maxPassages).toLocaleString()} passages), vectors ${copies.vectors.toLocaleString()}; ` +
          `process RSS ${mb(process.memoryUsage().rss)} MB, V8 heap ${mb(process.memoryUsage().heapUsed)} MB after the measures.`,
      );
    }
    log(`Total benchmark time: ${((performance.now() - started) / 1000).toFixed(0)} s.`);

    if (args.has('--write')) {
      const title = target.kind === 'pglite' ? 'Search' : 'Search (PostgreSQL)';
      const intro = `Measured by \`${target.kind === 'pglite' ? 'npm run bench:search -- --write' : 'BENCH_DATABASE_URL=… npm run bench:search -- --write'}\` (bench/search.ts).`;
      if (target.kind === 'pglite') replaceSection(title, [intro, '', ...lines].join('\n'));
      else replaceSection(title, [intro, '', ...lines].join('\n'));
      console.log(`\nwrote docs/benchmarks.md — ${title}`);
    }
  } finally {
    await handle.close();
    await cleanup();
  }
}

await main();
