/**
 * Ingest throughput on this machine, through the real runtime: documents
 * service upload (streamed, hashed, sniffed, stored) → durable queue →
 * worker (extract in a thread, split, embed with the offline `local`
 * embedder, insert passages + vectors + tsvector) → `ready`. Embedded
 * PGlite, files on local disk.
 *
 *   npm run bench:ingest              print the table
 *   npm run bench:ingest -- --write   also write it into docs/benchmarks.md ("Ingest")
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { loadConfig } from '@quarry/config';
import { documents, dropVectorIndex, embeddingSpaces, ensureVectorIndex, PGLITE_VECTOR_INDEX_MIN_VECTORS, users, workspaces } from '@quarry/db';
import type { IngestTimings } from '@quarry/ingest';
import { createLogger } from '../apps/web/src/server/logger.js';
import { startRuntime } from '../apps/web/src/server/runtime.js';
import { makePdf } from '../test/support/document-fixtures.js';
import { replaceSection } from './report.js';

const write = process.argv.includes('--write');

// Deterministic English-like text: a fixed vocabulary, a linear congruential generator.
const vocabulary = (
  'the of and to in is that for it as with was on be by this are from at or an which have not they but has its were all ' +
  'document passage search index query answer workspace storage embedding vector model server database file upload ' +
  'invoice budget report policy meeting customer contract project review security access team plan release quarter'
).split(' ');
function text(bytes: number, seed: number): string {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const sentences: string[] = [];
    for (let s = 0; s < 4 + Math.floor(rnd() * 4); s++) {
      const words = Array.from({ length: 8 + Math.floor(rnd() * 14) }, () => vocabulary[Math.floor(rnd() * vocabulary.length)]!);
      words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1);
      sentences.push(`${words.join(' ')}.`);
    }
    const p = sentences.join(' ');
    parts.push(p);
    size += p.length + 2;
  }
  return parts.join('\n\n');
}

const sum = (t: IngestTimings[], k: keyof IngestTimings) => t.reduce((s, x) => s + x[k], 0);

async function run() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'quarry-bench-ingest-'));
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent', INGEST_CONCURRENCY: process.env.INGEST_CONCURRENCY ?? '1' });
  const timings = new Map<string, IngestTimings>();
  const runtime = await startRuntime(config, createLogger({ level: 'silent', pretty: false }), {
    ingest: { pollMs: 50, onIngested: (id, t) => timings.set(id, t) },
  });
  const db = runtime.database.db;
  await db.insert(users).values({ id: 'bench', name: 'bench', email: 'bench@example.com' });
  const [ws] = await db.insert(workspaces).values({ name: 'bench' }).returning();
  const [wsIndexed] = await db.insert(workspaces).values({ name: 'bench, HNSW from the start' }).returning();

  async function ingest(files: Array<{ name: string; bytes: Buffer }>, workspace = ws!) {
    const started = performance.now();
    const ids: string[] = [];
    for (const f of files) {
      const row = await runtime.services.documents.upload({ workspaceId: workspace.id, userId: 'bench', filename: f.name, stream: Readable.from([f.bytes]) });
      ids.push(row.id);
    }
    const uploadMs = performance.now() - started;
    for (let i = 0; i < 100_000; i++) {
      const rows = await db.select({ status: documents.status }).from(documents).where(eq(documents.workspaceId, workspace.id));
      const open = rows.filter((r) => r.status === 'queued' || r.status === 'processing').length;
      if (open === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const totalMs = performance.now() - started;
    const t = ids.map((id) => timings.get(id)).filter((x): x is IngestTimings => x !== undefined);
    const failed = (await db.select().from(documents).where(eq(documents.status, 'failed'))).length;
    return { totalMs, uploadMs, t, failed, ids };
  }

  // Warm-up: the extraction thread and the first HNSW inserts.
  await ingest([{ name: 'warm.txt', bytes: Buffer.from(text(20_000, 1)) }, { name: 'warm.pdf', bytes: await makePdf(['warm up']) }]);

  const textFiles = Array.from({ length: 8 }, (_, i) => ({ name: `t${i}.txt`, bytes: Buffer.from(text(512 * 1024, 100 + i)) }));
  const textBytes = textFiles.reduce((s, f) => s + f.bytes.length, 0);
  const textRun = await ingest(textFiles);
  const passagesText = (await db.select({ n: documents.passageCount }).from(documents).where(eq(documents.workspaceId, ws!.id))).reduce((s, r) => s + r.n, 0);

  // Baseline in the same process: the same files with the space's HNSW index in place from the first insert
  // (what PGlite did before the index was deferred to 10k vectors).
  const [space] = await db.select().from(embeddingSpaces).where(eq(embeddingSpaces.status, 'active'));
  await ensureVectorIndex(db, space!);
  const indexedRun = await ingest(textFiles, wsIndexed!);
  await dropVectorIndex(db, space!);

  const pageText = () => text(2_500, Math.floor(Math.random() * 1e6));
  const pdfFiles = await Promise.all(Array.from({ length: 4 }, async (_, i) => ({ name: `p${i}.pdf`, bytes: await makePdf(Array.from({ length: 50 }, pageText)) })));
  const pdfRun = await ingest(pdfFiles);
  const pages = 4 * 50;

  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });

  const mb = textBytes / 1048576;
  const row = (label: string, r: typeof textRun) => {
    const all = ['readMs', 'extractMs', 'splitMs', 'embedMs', 'insertMs'] as const;
    const total = all.reduce((s, k) => s + sum(r.t, k), 0) || 1;
    const pct = (k: (typeof all)[number]) => `${Math.round((sum(r.t, k) / total) * 100)}%`;
    return `| ${label} | ${pct('readMs')} | ${pct('extractMs')} | ${pct('splitMs')} | ${pct('embedMs')} | ${pct('insertMs')} |`;
  };
  const body = [
    `Measured by \`npm run bench:ingest\` on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, embedded PGlite,`,
    `files on local disk, the offline \`local\` embedder (384 dimensions), \`INGEST_CONCURRENCY=${config.ingest.concurrency}\`, default 800-token passages. From the`,
    'first upload byte to the last document `ready` (upload, sniff, SHA-256, store, queue, extract, split, embed, insert with GIN; the',
    `space's HNSW index is deferred on PGlite until it holds ${PGLITE_VECTOR_INDEX_MIN_VECTORS} vectors). Baseline, same process: the same text with HNSW from the first insert.`,
    '',
    '| input | size | wall time | throughput | result |',
    '| --- | --- | --- | --- | --- |',
    `| plain text, 8 files × 512 KiB | ${mb.toFixed(1)} MB, ${passagesText} passages | ${(textRun.totalMs / 1000).toFixed(2)} s | **${(mb / (textRun.totalMs / 1000)).toFixed(2)} MB/s** (target ≥ 2) | ${textRun.failed} failed |`,
    `| baseline: plain text with HNSW in place | ${mb.toFixed(1)} MB | ${(indexedRun.totalMs / 1000).toFixed(2)} s | ${(mb / (indexedRun.totalMs / 1000)).toFixed(2)} MB/s (deferred run took **${(textRun.totalMs / indexedRun.totalMs).toFixed(2)}×** this time) | ${indexedRun.failed} failed |`,
    `| PDF, 4 files × 50 pages | ${pages} pages | ${(pdfRun.totalMs / 1000).toFixed(2)} s | **${(pages / (pdfRun.totalMs / 1000)).toFixed(0)} pages/s** | ${pdfRun.failed} failed |`,
    '',
    'Where the worker\'s time goes (sum over documents; upload itself took ' +
      `${Math.round(textRun.uploadMs)} ms for the text and ${Math.round(pdfRun.uploadMs)} ms for the PDFs):`,
    '',
    '| input | read | extract | split | embed | insert |',
    '| --- | --- | --- | --- | --- | --- |',
    row('plain text', textRun),
    row('PDF', pdfRun),
    '',
    'Reading the numbers: the text target (≥ 2 MB/s) is **not met** on embedded PGlite. Deferring the HNSW index makes no',
    'measurable difference at this size (the baseline row): inserts into a small HNSW index are cheap; it pays at scale, where one',
    'insert into a 90k-vector index costs ~17 ms (see "Search"). Inserting rows — the GIN full-text index updated inside',
    "PGlite's single-threaded WASM PostgreSQL — dominates the worker, and uploads share that event loop. Not yet measured:",
    'the same on PostgreSQL, where `quarry worker` can also run ingest in its own process.',
  ].join('\n');
  console.log(body);
  if (write) replaceSection('Ingest', body);
}

await run();
