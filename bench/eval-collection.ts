/**
 * Retrieval quality and latency on a public test collection, the way a user
 * meets Quarry: a real server on loopback with the embedded defaults (PGlite,
 * local files, the default offline embedder), every document uploaded through
 * the HTTP API and ingested by the real worker, every query sent to
 * `GET /api/workspaces/:ws/search`. Results are ranked passages; metrics use
 * the first occurrence of each document (top 10 distinct documents).
 *
 *   npm run eval -- --collection cisi            nDCG@10, MRR@10, recall@100, p50/p95 per mode
 *   npm run eval -- --collection cisi --write    also write the table into docs/benchmarks.md
 *
 * Collections are read from ../shared/data/<name>/ at run time (never copied here).
 */
import { loadSmartCollection, plainBm25, scoreRanking, type Collection, type CollectionQuery } from './collections.js';
import { startTestApp, TestClient } from '../test/support/app.js';
import { availableParallelism, loadavg } from 'node:os';
import { SEARCH_LIMITS } from '@quarry/search';
import { replaceSection } from './report.js';

// Hybrid (the default) runs first, so its latency includes embedding each query; semantic, measured
// last, finds the query vectors in the server's cache (as a user switching modes would).
const modes = ['hybrid', 'keyword', 'semantic'] as const;
type Mode = (typeof modes)[number];

interface Options {
  collection: string;
  write: boolean;
  /** Ingest only the first N documents (smoke runs); metrics then only mean something relative to each other. */
  limitDocs?: number;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
/** `name;dur=ms, …` → { name: ms } (the search route's Server-Timing header). */
const parseServerTiming = (header: string | null): Record<string, number> =>
  Object.fromEntries(
    (header ?? '')
      .split(',')
      .map((part) => /^\s*([\w-]+);dur=([\d.]+)/.exec(part))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, Number(m[2])]),
  );
const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const f3 = (x: number) => x.toFixed(3);

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (let i = 0; i < 1_000_000; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export async function evalCollection(options: Options): Promise<void> {
  const started = performance.now();
  const collection: Collection = loadSmartCollection(options.collection);
  const docs = options.limitDocs ? collection.docs.slice(0, options.limitDocs) : collection.docs;
  // EMBEDDING_THREADS and EMBEDDING_PRECISION from the environment, to compare settings run against run.
  const threads = process.env.EMBEDDING_THREADS;
  const precision = process.env.EMBEDDING_PRECISION;
  const app = await startTestApp({
    env: {
      INGEST_CONCURRENCY: '2',
      ...(threads ? { EMBEDDING_THREADS: threads } : {}),
      ...(precision ? { EMBEDDING_PRECISION: precision } : {}),
    },
    runtime: { ingest: { pollMs: 50 } },
  });
  try {
    const client = new TestClient(app);
    await client.signUp('eval@example.com');
    const ws = (await client.json('POST', '/api/workspaces', { name: `eval ${collection.name}` }, 201)) as { id: string };

    // Upload: one plain-text file per record, the title as its first line.
    // Document id → collection ids (a collection may hold the same text twice: Quarry keeps one copy).
    const docOf = new Map<string, string[]>();
    let duplicates = 0;
    let bytes = 0;
    const uploadStart = performance.now();
    for (const doc of docs) {
      const body = `${doc.title}\n\n${doc.text}\n`;
      bytes += Buffer.byteLength(body);
      const form = new FormData();
      form.append('file', new Blob([body], { type: 'text/plain' }), `${collection.name}-${doc.id}.txt`);
      const res = await client.request('POST', `/api/workspaces/${ws.id}/documents`, form);
      const json = (await res.json()) as { id?: string; existingId?: string; error?: unknown };
      const id = res.status === 202 ? json.id : res.status === 409 ? json.existingId : undefined;
      if (id === undefined) throw new Error(`upload ${doc.id}: ${res.status} ${JSON.stringify(json)}`);
      if (res.status === 409) duplicates++;
      docOf.set(id, [...(docOf.get(id) ?? []), doc.id]);
    }
    const uploadMs = performance.now() - uploadStart;

    // Keyword-searchable (every document ready), then fully embedded (every passage has its vector).
    const progress = async () => {
      let ready = 0;
      let failed = 0;
      let passages = 0;
      let vectors = 0;
      let cursor: string | null = null;
      for (let page = 0; page < 1000; page++) {
        const res = (await client.json('GET', `/api/workspaces/${ws.id}/documents?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, 200)) as {
          items: Array<{ status: string; passageCount: number; vectors?: { ready: number; total: number } }>;
          nextCursor: string | null;
        };
        for (const d of res.items) {
          if (d.status === 'ready') ready++;
          if (d.status === 'failed') failed++;
          passages += d.passageCount;
          vectors += d.vectors?.ready ?? (d.status === 'ready' ? d.passageCount : 0);
        }
        cursor = res.nextCursor;
        if (!cursor) break;
      }
      return { ready, failed, passages, vectors };
    };
    const searchable = await waitFor('documents ready', 30 * 60_000, async () => {
      const p = await progress();
      return p.ready + p.failed === docs.length - duplicates ? p : undefined;
    });
    const searchableMs = performance.now() - uploadStart;
    const embedded = await waitFor('vectors', 60 * 60_000, async () => {
      const p = await progress();
      return p.vectors >= p.passages ? p : undefined;
    });
    const embeddedMs = performance.now() - uploadStart;
    const mb = bytes / 1048576;
    console.log(
      `${collection.name}: ${docs.length} documents (${mb.toFixed(2)} MB, ${duplicates} duplicates), ${embedded.passages} passages, ${searchable.failed} failed; ` +
        `upload ${(uploadMs / 1000).toFixed(1)} s, keyword-searchable after ${(searchableMs / 1000).toFixed(1)} s (${(mb / (searchableMs / 1000)).toFixed(2)} MB/s), ` +
        `fully embedded after ${(embeddedMs / 1000).toFixed(1)} s (${(mb / (embeddedMs / 1000)).toFixed(2)} MB/s)`,
    );

    // The search box takes SEARCH_LIMITS.maxQueryChars; a longer judged query is cut at a word boundary.
    let truncated = 0;
    const queries = collection.queries.map((q) => {
      if (q.text.length <= SEARCH_LIMITS.maxQueryChars) return q;
      truncated++;
      const cut = q.text.slice(0, SEARCH_LIMITS.maxQueryChars);
      return { ...q, text: cut.slice(0, Math.max(cut.lastIndexOf(' '), 1)) };
    });
    const search = async (q: CollectionQuery, mode: Mode, limit: number, cursor?: string) => {
      const url = `/api/workspaces/${ws.id}/search?q=${encodeURIComponent(q.text)}&mode=${mode}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const t0 = performance.now();
      const res = await client.request('GET', url);
      const body = (await res.json()) as { items?: Array<{ documentId: string }>; nextCursor?: string | null; tookMs?: number; error?: { message: string } };
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`query ${q.id} (${mode}): ${res.status} ${JSON.stringify(body.error)}`);
      return { ms, serverMs: body.tookMs ?? Number.NaN, stages: parseServerTiming(res.headers.get('server-timing')), items: body.items ?? [], next: body.nextCursor ?? null };
    };

    // Until the in-memory copies (packages/search/src/resident) have caught up with the bulk load, a search
    // ranks in SQL: measured here, then the steady state is what the table reports.
    const resident = app.runtime.services.search.resident;
    const catchUpStart = performance.now();
    let copiesCurrentMs: number | undefined;
    for (let i = 0; i < 600 && resident; i++) {
      const { misses } = resident.stats();
      await search(queries[0]!, 'hybrid', 10);
      if (resident.stats().misses === misses) {
        copiesCurrentMs = performance.now() - catchUpStart;
        break;
      }
      await resident.idle();
      await new Promise((r) => setTimeout(r, 100));
    }
    const loadAtQueries = loadavg().map((x) => x.toFixed(1)).join(' / ');
    // Warm-up (first query embedding, plan caches), not measured.
    for (const mode of modes) await search(queries[0]!, mode, 10);

    const rows: string[] = [];
    const results: Record<string, { ndcg: number; mrr: number; recall: number; p50: number; p95: number; empty: number }> = {};
    const serverTimes: string[] = [];
    for (const mode of modes) {
      const latencies: number[] = [];
      const serverLatencies: number[] = [];
      const stageTimes = new Map<string, number[]>();
      const scores: Array<ReturnType<typeof scoreRanking>> = [];
      let empty = 0;
      for (const q of queries) {
        // Latency: what a user waits for, one page of 10 with snippets.
        const first = await search(q, mode, 10);
        latencies.push(first.ms);
        serverLatencies.push(first.serverMs);
        for (const [stage, ms] of Object.entries(first.stages)) stageTimes.set(stage, [...(stageTimes.get(stage) ?? []), ms]);
        // Quality: rank deep enough for recall@100 over distinct documents.
        const ranked: string[] = [];
        const seen = new Set<string>();
        let cursor: string | undefined;
        for (let page = 0; page < 4 && seen.size < 100; page++) {
          const r = await search(q, mode, 100, cursor);
          for (const item of r.items) {
            for (const id of docOf.get(item.documentId) ?? []) {
              if (!seen.has(id)) {
                seen.add(id);
                ranked.push(id);
              }
            }
          }
          if (!r.next) break;
          cursor = r.next;
        }
        if (ranked.length === 0) empty++;
        scores.push(scoreRanking(ranked, q.relevant, 10, 100));
      }
      const r = {
        ndcg: mean(scores.map((s) => s.ndcg)),
        mrr: mean(scores.map((s) => s.rr)),
        recall: mean(scores.map((s) => s.recall)),
        p50: pct(latencies, 50),
        p95: pct(latencies, 95),
        empty,
      };
      results[mode] = r;
      const stageSummary = [...stageTimes].map(([stage, xs]) => `${stage} ${pct(xs, 50).toFixed(1)}/${pct(xs, 95).toFixed(1)}`).join(', ');
      serverTimes.push(`${mode} ${pct(serverLatencies, 50).toFixed(1)} / ${pct(serverLatencies, 95).toFixed(1)} (${stageSummary})`);
      rows.push(`| ${mode} | ${f3(r.ndcg)} | ${f3(r.mrr)} | ${f3(r.recall)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${empty} |`);
    }
    // Baseline in the same run: plain BM25 over the same documents and queries, in process.
    const bm25 = plainBm25(docs);
    const base = queries.map((q) => scoreRanking(bm25(q.text, 100), q.relevant, 10, 100));
    const baseline = { ndcg: mean(base.map((s) => s.ndcg)), mrr: mean(base.map((s) => s.rr)), recall: mean(base.map((s) => s.recall)) };
    rows.push(`| baseline: plain BM25 (k1 1.2, b 0.75, no stemming), in process | ${f3(baseline.ndcg)} | ${f3(baseline.mrr)} | ${f3(baseline.recall)} | – | – | – |`);
    const ratios = modes.map((m) => `${m} ${(results[m]!.ndcg / baseline.ndcg).toFixed(2)}×`).join(', ');
    const table = [
      `| mode | nDCG@10 | MRR@10 | recall@100 | p50 ms | p95 ms | queries with no result |`,
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `nDCG@10 against the baseline: ${ratios}.`,
    ];
    const summary = [
      `${collection.name.toUpperCase()}: ${docs.length} documents, ${embedded.passages} passages, ${queries.length} judged queries` +
        `${truncated > 0 ? ` (${truncated} cut to ${SEARCH_LIMITS.maxQueryChars} characters)` : ''}; ` +
        `measured by \`npm run eval -- --collection ${collection.name}\` on ${new Date().toISOString().slice(0, 10)} (${((performance.now() - started) / 1000).toFixed(0)} s in all).`,
      '',
      ...table,
      '',
      `Latency: client-side through HTTP (session cookie, snippets included), one query at a time, 10 results; CISI's questions`,
      `are long (a median of ~50 words). Embedding threads: ${threads ?? `${Math.min(2, availableParallelism())} (the default)`}, weights ${precision ?? 'int8 (the default)'}. Load average when the queries began: ${loadAtQueries}. Modes ran in the order`,
      `${modes.join(', ')}: hybrid's latency includes embedding every query, semantic's finds the vectors cached.`,
      `They began once the in-memory search copies had caught up with the load, ${copiesCurrentMs === undefined ? 'which they had not after 600 tries (so some searches ranked in SQL)' : `${(copiesCurrentMs / 1000).toFixed(1)} s after the last vector was stored (searches before that rank in SQL)`}.`,
      `Of that, the search service itself (\`tookMs\`: ranking and snippets, p50 / p95 ms): ${serverTimes.join('; ')}; the rest is HTTP,`,
      `session and workspace checks, and the wait for the event loop.`,
      `Ingest: ${docs.length} one-file uploads one after another took ${(uploadMs / 1000).toFixed(1)} s; every document was keyword-searchable`,
      `${((searchableMs - uploadMs) / 1000).toFixed(1)} s after the last upload and fully embedded after ${(embeddedMs / 1000).toFixed(1)} s in all (throughput: see "Ingest").`,
    ];
    console.log('\n' + summary.join('\n'));
    if (options.write) {
      replaceSection(`Retrieval quality: ${collection.name.toUpperCase()}`, summary.join('\n'));
      console.log(`\nwrote docs/benchmarks.md — Retrieval quality: ${collection.name.toUpperCase()}`);
    }
  } finally {
    await app.dispose();
  }
}
