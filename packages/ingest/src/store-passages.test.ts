/**
 * Passages stored by one json_to_recordset statement per batch: every field as
 * given, the tsvector PostgreSQL would compute, and the BM25 statistics (kept by
 * the passages table's triggers) equal to a recount after storing, re-storing
 * and deleting — per workspace, on every driver.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents, queryRows, type Database } from '@quarry/db';
import { drivers, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import type { Passage } from './chunk.js';
import { storeBatches, storePassages } from './store-passages.js';

describe('storeBatches', () => {
  const items = (lengths: number[]) => lengths.map((n, i) => ({ i, text: 'x'.repeat(n) }));

  it('keeps order and stays within both bounds; an oversized passage goes alone', () => {
    const batches = storeBatches(items([3, 3, 3, 9, 1, 1, 1, 1]), 3, 6);
    expect(batches.map((b) => b.map((x) => x.i))).toEqual([[0, 1], [2], [3], [4, 5, 6], [7]]);
    expect(storeBatches([], 3, 6)).toEqual([]);
  });
});

async function recount(db: Database) {
  const terms = await queryRows<{ w: string; term: string; df: number }>(
    db,
    sql`SELECT p.workspace_id::text AS w, u.lexeme AS term, count(*)::int AS df FROM passages p, unnest(p.tsv) u GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const stats = await queryRows<{ w: string; passages: number; lexemes: number }>(
    db,
    sql`SELECT p.workspace_id::text AS w, count(*)::int AS passages,
          sum((SELECT sum(cardinality(u.positions)) FROM unnest(p.tsv) u))::int AS lexemes
        FROM passages p GROUP BY 1 ORDER BY 1`,
  );
  return { terms: terms.map((t) => ({ ...t, df: Number(t.df) })), stats: stats.map((s) => ({ ...s, passages: Number(s.passages), lexemes: Number(s.lexemes) })) };
}

async function stored(db: Database) {
  const terms = await queryRows<{ w: string; term: string; df: number }>(db, sql`SELECT workspace_id::text AS w, term, df FROM search_terms ORDER BY 1, 2`);
  const stats = await queryRows<{ w: string; passages: number; lexemes: number }>(
    db,
    sql`SELECT workspace_id::text AS w, passages::int, lexemes::int FROM search_stats ORDER BY 1`,
  );
  return { terms: terms.map((t) => ({ ...t, df: Number(t.df) })), stats: stats.map((s) => ({ ...s, passages: Number(s.passages), lexemes: Number(s.lexemes) })) };
}

const passage = (ordinal: number, text: string, extra: Partial<Passage> = {}): Passage => ({ ordinal, text, headingPath: [], page: null, tokenCount: 5 + ordinal, ...extra });

const awkward: Passage[] = [
  passage(0, 'The keeper trims the lamp; the lamp burns whale oil.', { headingPath: ['Lighthouse', 'Duties, "daily" {and} \\nightly\\'], page: 1 }),
  passage(1, 'Fog signals sound in fog — “quoted”, emoji 🐝, tab\there, newline\nthere.', { page: 2 }),
  passage(2, 'A cut surrogate \ud83d at the end of a window', { headingPath: ['Half \udc1d pair'] }),
  passage(3, 'Budget budget budget review of the quarterly budget.', { page: 2 }),
  passage(4, 'x'),
];

describe.each(drivers)('storing passages on %s', (driver) => {
  let t: TestDatabase;
  let db: Database;
  let wsA: string;
  let wsB: string;

  const newDocument = async (ws: string, name: string) => {
    const [d] = await db
      .insert(documents)
      .values({ workspaceId: ws, title: name, filename: `${name}.txt`, mimeType: 'text/plain', sizeBytes: 1, sha256: name, storageKey: name })
      .returning({ id: documents.id });
    return d!.id;
  };

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    db = t.handle.db;
    const ws = await queryRows<{ id: string }>(db, sql`INSERT INTO workspaces (name) VALUES ('A'), ('B') RETURNING id`);
    [wsA, wsB] = [ws[0]!.id, ws[1]!.id];
  });
  afterAll(async () => t?.dispose());

  it('stores every field as given and the tsvector PostgreSQL computes, in one statement or in bounded batches', async () => {
    const one = await newDocument(wsA, 'one');
    expect(await storePassages(db, { documentId: one, workspaceId: wsA, language: 'english', passages: awkward })).toBe(1);
    const several = await newDocument(wsA, 'several');
    expect(await storePassages(db, { documentId: several, workspaceId: wsA, language: 'english', passages: awkward, batch: { passages: 2, chars: 1_000 } })).toBe(3);

    for (const id of [one, several]) {
      const rows = await queryRows<{ ordinal: number; page: number | null; heading_path: string[]; text: string; token_count: number; same_tsv: boolean; lexeme_count: number; workspace_id: string }>(
        db,
        sql`SELECT ordinal, page, heading_path, text, token_count, workspace_id::text,
              tsv = to_tsvector('english'::regconfig, text) AS same_tsv, lexeme_count
            FROM passages WHERE document_id = ${id}::uuid ORDER BY ordinal`,
      );
      expect(rows.map((r) => ({ ordinal: r.ordinal, page: r.page, headingPath: r.heading_path, text: r.text, tokenCount: r.token_count }))).toEqual(
        awkward.map((p) => ({
          ordinal: p.ordinal,
          page: p.page,
          // A lone surrogate is stored as U+FFFD, as a bound text parameter's UTF-8 encoding made it.
          headingPath: p.headingPath.map((h) => h.replace(/\p{Cs}/gu, '\ufffd')),
          text: p.text.replace(/\p{Cs}/gu, '\ufffd'),
          tokenCount: p.tokenCount,
        })),
      );
      expect(rows.every((r) => r.same_tsv && r.workspace_id === wsA)).toBe(true);
      expect(rows.find((r) => r.ordinal === 3)!.lexeme_count).toBe(6); // budget ×4, review, quarter (of, the: stop words)
    }
    expect(await stored(db)).toEqual(await recount(db));
  });

  it('keeps the BM25 statistics exact through re-storing, a second workspace and deletes', async () => {
    const doc = await newDocument(wsA, 'restored');
    const first = [passage(0, 'Oil lamps and fog horns.'), passage(1, 'The lamp room is swept daily.')];
    await storePassages(db, { documentId: doc, workspaceId: wsA, language: 'english', passages: first });
    const inB = await newDocument(wsB, 'other');
    await storePassages(db, { documentId: inB, workspaceId: wsB, language: 'english', passages: [passage(0, 'Bees make honey; lamps need oil.')] });
    const before = await stored(db);
    expect(before).toEqual(await recount(db));

    // Re-indexing, as the pipeline does it: delete and store again in one transaction.
    await db.transaction(async (tx) => {
      await tx.execute(sql`DELETE FROM passages WHERE document_id = ${doc}::uuid`);
      await storePassages(tx as unknown as Database, { documentId: doc, workspaceId: wsA, language: 'english', passages: [passage(0, 'Beacons replaced the oil lamps.')] });
    });
    const after = await stored(db);
    expect(after).toEqual(await recount(db));
    // Workspace B's statistics did not move.
    expect(after.terms.filter((x) => x.w === wsB)).toEqual(before.terms.filter((x) => x.w === wsB));
    expect(after.terms.find((x) => x.w === wsA && x.term === 'beacon')?.df).toBe(1);
    expect(after.terms.find((x) => x.w === wsA && x.term === 'fog')?.df).toBe(2); // from the first test's passages only

    // A statement that fails (a passage without text) stores nothing and leaves the statistics as they were.
    const broken = await newDocument(wsA, 'broken');
    await expect(
      storePassages(db, { documentId: broken, workspaceId: wsA, language: 'english', passages: [passage(0, 'fine'), { ...passage(1, 'x'), text: null as unknown as string }] }),
    ).rejects.toThrow();
    expect(await queryRows(db, sql`SELECT 1 FROM passages WHERE document_id = ${broken}::uuid`)).toEqual([]);
    expect(await stored(db)).toEqual(after);

    await db.delete(documents).where(eq(documents.workspaceId, wsA));
    expect(await stored(db)).toEqual(await recount(db));
    expect((await stored(db)).stats.map((s) => s.w)).toEqual([wsB]);
  });
});
