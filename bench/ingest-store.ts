/**
 * The passage-storing phase of ingest alone, old path against new, side by side in one process on one
 * database (`npm run bench:ingest -- --store`; BENCH_DATABASE_URL=postgres://… for a throwaway
 * PostgreSQL database, otherwise embedded PGlite in its own thread as `quarry serve` runs it).
 *
 * 4 MB of plain text (BENCH_TEXT_MB) is extracted and split once, exactly as the worker does (MiniLM's
 * 254-token passages, 15 % overlap). Then each round stores every file's passages as a fresh document,
 * in the worker's transaction shape (lock the document, delete its passages, insert, mark it ready),
 * once by the old path (multi-row VALUES, 250 passages and 2,000 parameters per statement, as
 * pipeline.ts did) and once by the new one (`storePassages`: one json_to_recordset statement per
 * document); the order alternates by round and the medians are compared. Two texts: the synthetic one
 * of `bench:ingest` (90 words) and one drawn from the retrieval corpus (≈2,300 words), where the
 * term statistics have real work.
 *
 * Then where the time goes, on the new path: each component's cost as the difference between two
 * runs that differ only by it (the passages table's own triggers, its GIN index, the tsvector), each
 * in a transaction that is rolled back; and `to_tsvector` alone, as a SELECT. Finally the BM25
 * statistics are checked against a recount from the passages (they must be exact).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq, sql } from 'drizzle-orm';
import { documents, openDatabase, passages, queryRows, runMigrations, users, workspaces, type Database, type DatabaseTarget } from '@quarry/db';
import { chunkBlocks, extractDocument, storePassages, type Passage } from '@quarry/ingest';
import { benchText } from './ingest-text.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const TEXT_MB = Number(process.env.BENCH_TEXT_MB ?? 4);
const ROUNDS = Math.max(1, Math.min(20, Number(process.env.BENCH_ROUNDS ?? 3)));
const LANGUAGE = 'english';
const pgUrl = process.env.BENCH_DATABASE_URL || undefined;

/** The same kind of text with the retrieval corpus's words (sampled by position: their natural frequencies). */
function corpusText(bytes: number, seed: number): string {
  const dir = path.join(here, 'retrieval/corpus');
  const words = readdirSync(dir)
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').toLowerCase().match(/[a-z]+/g) ?? [])
    .filter((w) => w.length > 1);
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const sentences: string[] = [];
    for (let s = 0; s < 4 + Math.floor(rnd() * 4); s++) {
      const w = Array.from({ length: 8 + Math.floor(rnd() * 14) }, () => words[Math.floor(rnd() * words.length)]!);
      sentences.push(`${w.join(' ')}.`);
    }
    const p = sentences.join(' ');
    parts.push(p);
    size += p.length + 2;
  }
  return parts.join('\n\n');
}

/** The path pipeline.ts took before `storePassages`: 250 passages per multi-row INSERT, eight parameters each. */
async function storeOld(db: Database, documentId: string, workspaceId: string, chunks: readonly Passage[]): Promise<void> {
  for (let i = 0; i < chunks.length; i += 250) {
    await db.insert(passages).values(
      chunks.slice(i, i + 250).map((c) => ({
        documentId,
        workspaceId,
        ordinal: c.ordinal,
        page: c.page,
        headingPath: c.headingPath,
        text: c.text,
        tokenCount: c.tokenCount,
        tsv: sql`to_tsvector(${LANGUAGE}::regconfig, ${c.text})`,
      })),
    );
  }
}

type Store = (db: Database, documentId: string, workspaceId: string, chunks: readonly Passage[]) => Promise<unknown>;
const storeNew: Store = (db, documentId, workspaceId, chunks) => storePassages(db, { documentId, workspaceId, language: LANGUAGE, passages: chunks });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' / ');

export async function runStoreBench(): Promise<string> {
  const dir = pgUrl ? undefined : mkdtempSync(path.join(tmpdir(), 'quarry-bench-store-'));
  const target: DatabaseTarget = pgUrl ? { kind: 'postgres', url: pgUrl } : { kind: 'pglite', dir: dir! };
  const handle = await openDatabase(target);
  const lines: string[] = [];
  try {
    await runMigrations(handle, target);
    const db = handle.db;
    await db.insert(users).values({ id: 'bench-store', name: 'bench', email: 'bench-store@example.com' }).onConflictDoNothing();
    let docs = 0;
    const newDocument = async (workspaceId: string) => {
      const [d] = await db
        .insert(documents)
        .values({ workspaceId, title: 'b', filename: 'b.txt', mimeType: 'text/plain', sizeBytes: 1, sha256: `bench-${docs++}-${Date.now()}`, storageKey: 'none' })
        .returning({ id: documents.id });
      return d!.id;
    };

    const files = Math.max(1, Math.round(TEXT_MB * 2));
    const chunk = { maxTokens: 254, overlap: 0.15, tokenizer: 'minilm' as const };
    const texts = { 'synthetic (90 words)': benchText, 'corpus words (≈2,300)': corpusText };
    const header = `Storing ${TEXT_MB} MB of plain text (${files} × 512 KiB files), ${pgUrl ? 'PostgreSQL' : 'embedded PGlite (own thread)'}, ${cpus().length} cores, Node ${process.version}, ${ROUNDS} rounds, median; load average ${load()} at the start.`;
    lines.push(header, '', '| text | passages | old path (250 per VALUES) | new path (one statement per document) | new ÷ old time |', '| --- | --- | --- | --- | --- |');
    const breakdown: string[] = [];
    for (const [label, make] of Object.entries(texts)) {
      const bytes = Array.from({ length: files }, (_, i) => Buffer.from(make(512 * 1024, 100 + i)));
      const mb = bytes.reduce((s, b) => s + b.length, 0) / 1048576;
      const perFile: Passage[][] = [];
      for (const b of bytes) perFile.push(chunkBlocks((await extractDocument(b, 'text/plain')).blocks, chunk));
      const count = perFile.reduce((s, p) => s + p.length, 0);
      const [ws] = await db.insert(workspaces).values({ name: `store ${label}` }).returning();

      /** One document's passages in the worker's transaction shape; the whole text's time in ms. */
      const storeAll = async (store: Store) => {
        const ids = await Promise.all(perFile.map(() => newDocument(ws!.id)));
        const t = performance.now();
        for (let i = 0; i < perFile.length; i++) {
          await db.transaction(async (tx) => {
            const t2 = tx as unknown as Database;
            await t2.select({ id: documents.id }).from(documents).where(eq(documents.id, ids[i]!)).for('update');
            await t2.delete(passages).where(eq(passages.documentId, ids[i]!));
            await store(t2, ids[i]!, ws!.id, perFile[i]!);
            await t2.update(documents).set({ status: 'ready', passageCount: perFile[i]!.length }).where(eq(documents.id, ids[i]!));
          });
        }
        return performance.now() - t;
      };
      await storeAll(storeNew); // warm-up (plans, caches); not counted
      const old: number[] = [];
      const neu: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        if (r % 2 === 0) {
          old.push(await storeAll(storeOld));
          neu.push(await storeAll(storeNew));
        } else {
          neu.push(await storeAll(storeNew));
          old.push(await storeAll(storeOld));
        }
      }
      const [o, n] = [median(old), median(neu)];
      const rate = (ms: number) => `${(ms / 1000).toFixed(2)} s, **${(mb / (ms / 1000)).toFixed(2)} MB/s**`;
      lines.push(`| ${label} | ${count} | ${rate(o)} | ${rate(n)} | ${(n / o).toFixed(2)}× |`);

      // Components of the new path: each run rolled back, so the table is the same for all of them.
      const rolledBack = async (setup: string[], tsv: 'compute' | 'empty') => {
        const id = await newDocument(ws!.id);
        let ms = 0;
        await db
          .transaction(async (tx) => {
            for (const s of setup) await tx.execute(sql.raw(s));
            const t = performance.now();
            for (const [i, chunks] of perFile.entries()) {
              const rows = JSON.stringify(chunks.map((c) => ({ o: c.ordinal + i * 100_000, t: c.text, n: c.tokenCount })));
              await tx.execute(
                sql`INSERT INTO passages (document_id, workspace_id, ordinal, text, token_count, tsv)
                    SELECT ${id}::uuid, ${ws!.id}::uuid, r.o, r.t, r.n, ${tsv === 'compute' ? sql`to_tsvector(${LANGUAGE}::regconfig, r.t)` : sql`''::tsvector`}
                    FROM json_to_recordset(${rows}::json) AS r(o integer, t text, n integer)`,
              );
            }
            ms = performance.now() - t;
            throw new RolledBack();
          })
          .catch((e: unknown) => {
            if (!(e instanceof RolledBack)) throw e;
          });
        return ms;
      };
      const noTriggers = ['ALTER TABLE passages DISABLE TRIGGER USER'];
      const noStats = ['ALTER TABLE passages DISABLE TRIGGER passages_search_stats_insert'];
      const noGin = ['DROP INDEX passages_tsv_idx'];
      const parts: Record<string, number[]> = { base: [], tsv: [], gin: [], lexemes: [], stats: [], alone: [] };
      for (let r = 0; r < ROUNDS; r++) {
        const base = await rolledBack([...noTriggers, ...noGin], 'empty');
        const withTsv = await rolledBack([...noTriggers, ...noGin], 'compute');
        const withGin = await rolledBack(noTriggers, 'compute');
        const withLexemes = await rolledBack(noStats, 'compute');
        const full = await rolledBack([], 'compute');
        const all = JSON.stringify(perFile.flat().map((c) => c.text));
        const t = performance.now();
        await queryRows(db, sql`SELECT sum(length(to_tsvector(${LANGUAGE}::regconfig, t))) FROM json_array_elements_text(${all}::json) t`);
        parts.alone!.push(performance.now() - t);
        parts.base!.push(base);
        parts.tsv!.push(withTsv - base);
        parts.gin!.push(withGin - withTsv);
        parts.lexemes!.push(withLexemes - withGin);
        parts.stats!.push(full - withLexemes);
      }
      const total = median(parts.base!) + median(parts.tsv!) + median(parts.gin!) + median(parts.lexemes!) + median(parts.stats!);
      const cell = (k: string) => `${Math.round(median(parts[k]!))} ms (${Math.round((median(parts[k]!) / total) * 100)} %)`;
      breakdown.push(
        `| ${label} | ${cell('base')} | ${cell('tsv')} | ${cell('gin')} | ${cell('lexemes')} | ${cell('stats')} | ${Math.round(median(parts.alone!))} ms | ${Math.round(o - n)} ms |`,
      );
    }
    lines.push(
      '',
      'Where the new path\'s time goes (medians of the differences; "app overhead saved" is old minus new from the table above):',
      '',
      '| text | rows, JSON, WAL | `to_tsvector` | GIN index | lexeme-count row trigger | term-statistics statement trigger | `to_tsvector` alone (SELECT) | app overhead saved |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...breakdown,
    );

    // The statistics must be exact after all of that (committed runs only; rolled-back runs left nothing).
    const drift = await queryRows<{ n: number }>(
      db,
      sql`WITH truth AS (SELECT p.workspace_id, u.lexeme AS term, count(*)::int AS df FROM passages p, unnest(p.tsv) u GROUP BY 1, 2)
          SELECT count(*)::int AS n FROM truth FULL JOIN search_terms s USING (workspace_id, term) WHERE truth.df IS DISTINCT FROM s.df`,
    );
    const statsDrift = await queryRows<{ n: number }>(
      db,
      sql`WITH truth AS (SELECT workspace_id, count(*)::bigint AS passages, sum(lexeme_count)::bigint AS lexemes FROM passages GROUP BY 1)
          SELECT count(*)::int AS n FROM truth FULL JOIN search_stats s USING (workspace_id)
          WHERE truth.passages IS DISTINCT FROM s.passages OR truth.lexemes IS DISTINCT FROM s.lexemes`,
    );
    const exact = Number(drift[0]?.n) === 0 && Number(statsDrift[0]?.n) === 0;
    lines.push('', `BM25 statistics after the run: ${exact ? 'exact (search_terms and search_stats equal a recount from passages)' : `**NOT exact** (${drift[0]?.n} terms, ${statsDrift[0]?.n} workspaces differ)`}; load average ${load()} at the end.`);
    if (!exact) process.exitCode = 1;
  } finally {
    await handle.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  return lines.join('\n');
}

class RolledBack extends Error {}
