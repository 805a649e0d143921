/**
 * Ingest throughput on this machine, through the real runtime: documents
 * service upload (streamed, hashed, sniffed, stored) → durable queue →
 * worker (extract in a thread, split, embed with the offline `local`
 * embedder, insert passages + vectors + tsvector) → `ready`. Embedded
 * PGlite, files on local disk.
 *
 *   npm run bench:ingest              print the table
 *   npm run bench:ingest -- --write   also write it into docs/benchmarks.md ("Ingest")
 *   npm run bench:ingest -- --keyword-only   time only the keyword phase (no PDF, no waiting for vectors)
 *   BENCH_DATABASE_URL=postgres://…   the same on PostgreSQL (an admin URL: a scratch database is made and dropped;
 *                                     written as "Ingest (PostgreSQL)")
 *   npm run bench:ingest -- --store   the passage-storing phase alone, old path against new side by side,
 *                                     and where its time goes (bench/ingest-store.ts; BENCH_DATABASE_URL for PostgreSQL)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { loadConfig } from '@quarry/config';
import { sql } from 'drizzle-orm';
import { documents, queryRows, users, workspaces } from '@quarry/db';
import type { IngestTimings } from '@quarry/ingest';
import { createLogger } from '../apps/web/src/server/logger.js';
import { startRuntime } from '../apps/web/src/server/runtime.js';
import { makePdf } from '../test/support/document-fixtures.js';
import { scratchPostgres } from './http-kit.js';
import { benchText as text } from './ingest-text.js';
import { replaceSection } from './report.js';

const write = process.argv.includes('--write');
/** Stop at keyword-searchable: the vectors (minutes on 2 cores) and the PDF row are skipped. */
const keywordOnly = process.argv.includes('--keyword-only');
/** Megabytes of plain text (in 512 KiB files); BENCH_TEXT_MB=1 for a quick run. */
const TEXT_MB = Number(process.env.BENCH_TEXT_MB ?? 4);

const sum = (t: IngestTimings[], k: keyof IngestTimings) => t.reduce((s, x) => s + x[k], 0);

async function run() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'quarry-bench-ingest-'));
  const adminUrl = process.env.BENCH_DATABASE_URL || undefined;
  const scratch = adminUrl ? await scratchPostgres(adminUrl) : undefined;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    INGEST_CONCURRENCY: process.env.INGEST_CONCURRENCY ?? '1',
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
  });
  const timings = new Map<string, IngestTimings>();
  const runtime = await startRuntime(config, createLogger({ level: 'silent', pretty: false }), {
    ingest: { pollMs: 50, onIngested: (id, t) => timings.set(id, t) },
  });
  const db = runtime.database.db;
  await db.insert(users).values({ id: 'bench', name: 'bench', email: 'bench@example.com' });
  const [ws] = await db.insert(workspaces).values({ name: 'bench' }).returning();
  const [wsPdf] = await db.insert(workspaces).values({ name: 'bench pdf' }).returning();

  const embedJobsOpen = async () =>
    Number((await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM jobs WHERE kind = 'embed' AND status IN ('queued', 'running')`))[0]?.n ?? 0);

  /** Upload, then time the two phases: every document keyword-searchable (ready), then every vector stored. */
  async function ingest(files: Array<{ name: string; bytes: Buffer }>, workspace = ws!) {
    const started = performance.now();
    const ids: string[] = [];
    for (const f of files) {
      const row = await runtime.services.documents.upload({ workspaceId: workspace.id, userId: 'bench', filename: f.name, stream: Readable.from([f.bytes]) });
      ids.push(row.id);
    }
    const uploadMs = performance.now() - started;
    for (let i = 0; i < 1_000_000; i++) {
      const rows = await db.select({ status: documents.status }).from(documents).where(eq(documents.workspaceId, workspace.id));
      if (rows.every((r) => r.status === 'ready' || r.status === 'failed')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const searchableMs = performance.now() - started;
    for (let i = 0; i < 1_000_000 && !keywordOnly && (await embedJobsOpen()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    const embeddedMs = performance.now() - started;
    const t = ids.map((id) => timings.get(id)).filter((x): x is IngestTimings => x !== undefined);
    const failed = (await db.select().from(documents).where(eq(documents.status, 'failed'))).length;
    return { searchableMs, embeddedMs, uploadMs, t, failed, ids };
  }

  // Warm-up: the extraction process and the embedding model's thread.
  await ingest([{ name: 'warm.txt', bytes: Buffer.from(text(20_000, 1)) }, { name: 'warm.pdf', bytes: await makePdf(['warm up']) }]);

  const files = Math.max(1, Math.round(TEXT_MB * 2));
  const textFiles = Array.from({ length: files }, (_, i) => ({ name: `t${i}.txt`, bytes: Buffer.from(text(512 * 1024, 100 + i)) }));
  const textBytes = textFiles.reduce((s, f) => s + f.bytes.length, 0);
  const textRun = await ingest(textFiles);
  const passagesText = (await db.select({ n: documents.passageCount }).from(documents).where(eq(documents.workspaceId, ws!.id))).reduce((s, r) => s + r.n, 0);

  const pageText = () => text(2_500, Math.floor(Math.random() * 1e6));
  const pdfFiles = await Promise.all(Array.from({ length: 2 }, async (_, i) => ({ name: `p${i}.pdf`, bytes: await makePdf(Array.from({ length: 25 }, pageText)) })));
  const pdfRun = await ingest(pdfFiles, wsPdf!);
  const pages = 2 * 25;
  const rss = process.memoryUsage().rss;

  await runtime.close();
  // The embedding thread belongs to the process, not the runtime (runtimes share it); it would keep a
  // --keyword-only run alive while it embeds what is still queued.
  await runtime.embedder.close?.();
  rmSync(dataDir, { recursive: true, force: true });
  await scratch?.drop();

  const mb = textBytes / 1048576;
  const row = (label: string, r: typeof textRun) => {
    const all = ['readMs', 'extractMs', 'splitMs', 'insertMs'] as const;
    const total = all.reduce((s, k) => s + sum(r.t, k), 0) || 1;
    const pct = (k: (typeof all)[number]) => `${Math.round((sum(r.t, k) / total) * 100)}%`;
    return `| ${label} | ${pct('readMs')} | ${pct('extractMs')} | ${pct('splitMs')} | ${pct('insertMs')} |`;
  };
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const body = [
    `Measured by \`${scratch ? 'BENCH_DATABASE_URL=… ' : ''}npm run bench:ingest${keywordOnly ? ' -- --keyword-only' : ''}\` on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ` +
      `${scratch ? 'PostgreSQL 17 + pgvector (on this machine)' : 'embedded PGlite'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' / ')} at the end,`,
    `files on local disk, the default offline embedder (${runtime.embedder.space.model}), \`INGEST_CONCURRENCY=${config.ingest.concurrency}\`. Keyword-first: a`,
    'document is `ready` (keyword-searchable) once its passages are stored; its vectors follow in `embed` jobs. Both phases are',
    'timed from the first upload byte; the baseline for the second is the first, in the same run.',
    '',
    '| input | size | keyword-searchable | fully embedded | embedded ÷ searchable | result |',
    '| --- | --- | --- | --- | --- | --- |',
    keywordOnly
      ? `| plain text, ${files} × 512 KiB | ${mb.toFixed(1)} MB, ${passagesText} passages | ${s(textRun.searchableMs)}, **${(mb / (textRun.searchableMs / 1000)).toFixed(2)} MB/s** | not measured (--keyword-only) | – | ${textRun.failed} failed |`
      : `| plain text, ${files} × 512 KiB | ${mb.toFixed(1)} MB, ${passagesText} passages | ${s(textRun.searchableMs)}, **${(mb / (textRun.searchableMs / 1000)).toFixed(2)} MB/s** | ${s(textRun.embeddedMs)}, **${(mb / (textRun.embeddedMs / 1000)).toFixed(2)} MB/s** (${(passagesText / (textRun.embeddedMs / 1000)).toFixed(1)} passages/s) | ${(textRun.embeddedMs / textRun.searchableMs).toFixed(1)}× | ${textRun.failed} failed |`,
    keywordOnly
      ? `| PDF, 2 × 25 pages | ${pages} pages | ${s(pdfRun.searchableMs)} (${(pages / (pdfRun.searchableMs / 1000)).toFixed(0)} pages/s) | not measured | – | ${pdfRun.failed} failed |`
      : `| PDF, 2 × 25 pages | ${pages} pages | ${s(pdfRun.searchableMs)} (${(pages / (pdfRun.searchableMs / 1000)).toFixed(0)} pages/s) | ${s(pdfRun.embeddedMs)} | ${(pdfRun.embeddedMs / pdfRun.searchableMs).toFixed(1)}× | ${pdfRun.failed} failed |`,
    '',
    `Process RSS at the end (model loaded): ${Math.round(rss / 1048576)} MB. Where the keyword phase's worker time goes (upload itself took ${Math.round(textRun.uploadMs)} ms for the text):`,
    '',
    '| input | read | extract | split | insert |',
    '| --- | --- | --- | --- | --- |',
    row('plain text', textRun),
    row('PDF', pdfRun),
  ].join('\n');
  console.log(body);
  if (write) replaceSection(scratch ? 'Ingest (PostgreSQL)' : 'Ingest', body);
}

if (process.argv.includes('--store')) {
  const { runStoreBench } = await import('./ingest-store.js');
  console.log(await runStoreBench());
} else await run();
