/**
 * HNSW recall@10 against the exact scan on real model vectors at scale: every distinct passage of
 * real English text this machine holds, up to BENCH_PASSAGES (bench/real-text.ts: CISI's abstracts,
 * the documentation inside node_modules, then Python docstrings and /usr/share/doc; ≤ 60 words each;
 * 100,000 here), embedded with the default offline model (all-MiniLM-L6-v2, int8), in two workspaces (90 % / 10 %) as bench/search.ts lays them out, so
 * the workspace filter inside the HNSW walk is what is measured. Queries: CISI's first 50 questions
 * and 50 passages held out of the load (never inserted).
 *
 *   npx tsx bench/hnsw-recall-scale.ts                 embedded PGlite
 *   BENCH_DATABASE_URL=postgres://… npx tsx …          PostgreSQL 17 + pgvector (an empty, throwaway database)
 *   BENCH_PASSAGES=20000                               fewer passages
 *   … --write                                          write the table into docs/benchmarks.md
 *
 * The index is the one the service builds (m=16, ef_construction=64); `ef_search` 40 / 100 / 200
 * (the default) is set per query as the service sets it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { createMiniLmEmbedder } from '@quarry/ai';
import { ensureVectorIndex, openDatabase, queryRows, runMigrations, type DatabaseTarget } from '@quarry/db';
import { defaultSemanticOptions, semanticCandidates } from '@quarry/search';
import { activateSpace, createWorkspace } from '../packages/search/src/test-fixtures.js';
import { loadSmartCollection } from './collections.js';
import { realTextPassages } from './real-text.js';
import { replaceSection } from './report.js';

const pgUrl = process.env.BENCH_DATABASE_URL || undefined;
const LIMIT = Number(process.env.BENCH_PASSAGES ?? 100_000);
const HELD_OUT = 50;
const started = performance.now();

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const docId = (doc: number) => `00000000-0000-4000-8000-${hex(doc, 12)}`;
const passageId = (ordinal: number) => `00000000-0000-4000-9000-${hex(ordinal, 12)}`;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const text = realTextPassages(LIMIT + HELD_OUT);
// Held out: every k-th passage, spread over all sources.
const step = Math.floor(text.passages.length / HELD_OUT);
const heldOut = new Set(Array.from({ length: HELD_OUT }, (_, i) => i * step + Math.floor(step / 2)));
const passages = text.passages.filter((_, i) => !heldOut.has(i));
const queries = [...loadSmartCollection('cisi').queries.slice(0, 50).map((q) => q.text.replace(/\s+/g, ' ').slice(0, 2000)), ...[...heldOut].map((i) => text.passages[i]!)];
console.log(`${passages.length.toLocaleString()} passages of real text (${JSON.stringify(text.sources)}), ${queries.length} queries`);

let target: DatabaseTarget;
let cleanup = () => {};
if (pgUrl) target = { kind: 'postgres', url: pgUrl, poolMax: 4 };
else {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quarry-hnsw-scale-'));
  target = { kind: 'pglite', dir };
  cleanup = () => rmSync(dir, { recursive: true, force: true });
}
const handle = await openDatabase(target);
const embedder = createMiniLmEmbedder({ cacheDir: path.join(os.tmpdir(), 'quarry-models') });
try {
  await runMigrations(handle, target);
  const db = handle.db;
  const [{ n } = { n: 0 }] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM passages`);
  if (Number(n) > 0) throw new Error('the benchmark database already holds passages: use an empty, throwaway database');
  const space = await activateSpace(db, embedder);
  const ref = { ...space, provider: embedder.space.provider, model: embedder.space.model };
  const large = await createWorkspace(db, 'large');
  const small = await createWorkspace(db, 'small');

  // Embed and load, batch by batch.
  const docSize = 50;
  const batch = 256;
  let embedMs = 0;
  const loadStarted = performance.now();
  for (let i = 0; i < passages.length; i += batch) {
    const texts = passages.slice(i, i + batch);
    const t = performance.now();
    const vectors = await embedder.embed(texts, 'passage');
    embedMs += performance.now() - t;
    const rows = texts.map((t, k) => {
      const ordinal = i + k;
      const doc = Math.floor(ordinal / docSize);
      return { id: passageId(ordinal), d: docId(doc), doc, w: doc % 10 === 9 ? small : large, o: ordinal % docSize, t, v: `[${vectors[k]!.join(',')}]` };
    });
    for (const doc of new Set(rows.map((r) => r.doc))) {
      await db.execute(
        sql`INSERT INTO documents (id, workspace_id, title, filename, mime_type, size_bytes, sha256, storage_key, status, passage_count)
            VALUES (${docId(doc)}::uuid, ${doc % 10 === 9 ? small : large}::uuid, ${`Real text ${doc}`}, ${`real-${doc}.md`}, 'text/markdown', 1, ${`sha-${doc}`}, ${`k/${doc}`}, 'ready', ${docSize})
            ON CONFLICT DO NOTHING`,
      );
    }
    const payload = JSON.stringify(rows);
    await db.execute(
      sql`INSERT INTO passages (id, document_id, workspace_id, ordinal, page, heading_path, text, token_count, tsv)
          SELECT (x->>'id')::uuid, (x->>'d')::uuid, (x->>'w')::uuid, (x->>'o')::int, NULL, '{}'::text[], x->>'t', 60, to_tsvector('english', x->>'t')
          FROM jsonb_array_elements(${payload}::jsonb) AS x`,
    );
    await db.execute(
      sql`INSERT INTO passage_embeddings (passage_id, space_id, workspace_id, embedding)
          SELECT (x->>'id')::uuid, ${space.id}, (x->>'w')::uuid, (x->>'v')::vector FROM jsonb_array_elements(${payload}::jsonb) AS x`,
    );
    if ((i / batch) % 10 === 0) process.stdout.write(`\r  embedded and loaded ${(i + texts.length).toLocaleString()} / ${passages.length.toLocaleString()}`);
  }
  process.stdout.write('\n');
  const loadMs = performance.now() - loadStarted;
  await db.execute(sql`ANALYZE`);
  if (target.kind === 'pglite') await db.execute(sql.raw(`SET maintenance_work_mem = '1GB'`));
  const buildStarted = performance.now();
  await ensureVectorIndex(db, ref);
  const buildMs = performance.now() - buildStarted;
  console.log(`loaded in ${(loadMs / 1000).toFixed(0)} s (${(embedMs / 1000).toFixed(0)} s embedding), HNSW built in ${(buildMs / 1000).toFixed(0)} s`);

  const vectors = await embedder.embed(queries, 'query');
  const rows: string[] = [];
  for (const ws of [
    { id: large, name: 'large', count: passages.filter((_, i) => Math.floor(i / docSize) % 10 !== 9).length },
    { id: small, name: 'small', count: passages.filter((_, i) => Math.floor(i / docSize) % 10 === 9).length },
  ]) {
    const truths: Array<Set<string>> = [];
    const exactMs: number[] = [];
    for (const v of vectors) {
      const t = performance.now();
      const exact = await semanticCandidates(db, ref, v, ws.id, {}, 10, defaultSemanticOptions, 'exact');
      exactMs.push(performance.now() - t);
      truths.push(new Set(exact.candidates.map((c) => c.passageId)));
    }
    rows.push(`| ${ws.name} (${ws.count.toLocaleString()}) | exact scan (baseline) | 1.000 | ${percentile(exactMs, 50).toFixed(1)} | ${percentile(exactMs, 95).toFixed(1)} |`);
    for (const ef of [40, 100, 200]) {
      const options = { ...defaultSemanticOptions, efSearch: ef };
      let found = 0;
      let total = 0;
      const ms: number[] = [];
      for (const [i, v] of vectors.entries()) {
        const t = performance.now();
        const approx = await semanticCandidates(db, ref, v, ws.id, {}, 10, options, 'hnsw');
        ms.push(performance.now() - t);
        found += approx.candidates.filter((c) => truths[i]!.has(c.passageId)).length;
        total += truths[i]!.size;
      }
      rows.push(
        `| ${ws.name} (${ws.count.toLocaleString()}) | HNSW, ef_search ${ef}${ef === defaultSemanticOptions.efSearch ? ' (default)' : ''} | ${(found / total).toFixed(3)} | ${percentile(ms, 50).toFixed(1)} | ${percentile(ms, 95).toFixed(1)} |`,
      );
    }
  }

  const body = [
    `Measured by \`${pgUrl ? 'BENCH_DATABASE_URL=… ' : ''}npx tsx bench/hnsw-recall-scale.ts\` on ${new Date().toISOString().slice(0, 10)} (${target.kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL 17 + pgvector'}, ` +
      `${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)} at the end): ${passages.length.toLocaleString()} passages of real English text ` +
      `(read, the 50 held out included: from CISI's abstracts ${text.sources.cisi.toLocaleString()}, Markdown documentation in node_modules ${text.sources.markdown.toLocaleString()}, documentation comments ` +
      `${text.sources.comments.toLocaleString()}, Python docstrings ${text.sources.python.toLocaleString()}, /usr/share/doc ${text.sources.systemDocs.toLocaleString()}; ≤ 60 words each, distinct), embedded with all-MiniLM-L6-v2 (int8) in ${(embedMs / 1000).toFixed(0)} s, ` +
      `split 90 / 10 into two workspaces; HNSW (m=16, ef_construction=64) built in ${(buildMs / 1000).toFixed(0)} s. ${queries.length} queries: CISI's first 50 ` +
      `questions and 50 passages held out of the load. Recall@10 of the HNSW plan (iterative scan, workspace filter in the query) against the exact scan of the same workspace, and the vector query alone:`,
    '',
    '| workspace (passages) | plan | recall@10 | p50 ms | p95 ms |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Total: ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  ].join('\n');
  console.log(body);
  if (process.argv.includes('--write')) replaceSection('HNSW recall on real model vectors at scale', body);
} finally {
  await embedder.close?.();
  await handle.close();
  cleanup();
}
