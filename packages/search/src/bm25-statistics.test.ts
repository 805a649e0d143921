/**
 * BM25's term statistics are kept by triggers on `passages`: they must equal
 * a recount from the passages themselves after every kind of change, and one
 * workspace's statistics must never move another's scores.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Database } from '@quarry/db';
import { drivers, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { bm25Idf, documentFrequencies, keywordCandidates, parseKeywordQuery } from './keyword.js';
import { activateSpace, bagOfWordsEmbedder, createWorkspace, insertDocument } from './test-fixtures.js';

const embedder = bagOfWordsEmbedder(16);

async function stored(db: Database) {
  const terms = await queryRows<{ w: string; term: string; df: number }>(
    db,
    sql`SELECT workspace_id::text AS w, term, df FROM search_terms ORDER BY 1, 2`,
  );
  const stats = await queryRows<{ w: string; passages: number; lexemes: number }>(
    db,
    sql`SELECT workspace_id::text AS w, passages::int, lexemes::int FROM search_stats ORDER BY 1`,
  );
  return { terms: terms.map((t) => ({ ...t, df: Number(t.df) })), stats: stats.map((s) => ({ ...s, passages: Number(s.passages), lexemes: Number(s.lexemes) })) };
}

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
  return { terms: terms.map((t) => ({ ...t, df: Number(t.df) })), stats: stats.map((s) => ({ ...s, passages: Number(s.passages), lexemes: Number(s.lexemes ?? 0) })) };
}

describe.each(drivers)('BM25 term statistics on %s', (driver) => {
  let t: TestDatabase;
  let db: Database;
  let space: { id: number };
  let wsA: string;
  let wsB: string;

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    db = t.handle.db;
    space = await activateSpace(db, embedder);
    wsA = await createWorkspace(db, 'A');
    wsB = await createWorkspace(db, 'B');
  });
  afterAll(async () => t?.dispose());

  const doc = (ws: string, title: string, texts: string[]) => insertDocument(db, ws, { title, passages: texts.map((text) => ({ text })) }, embedder, space);

  it('stay exact through uploads, deletes, re-indexing and a workspace deletion', async () => {
    const a1 = await doc(wsA, 'a1', ['The keeper trims the lamp; the lamp burns oil.', 'Fog signals sound in fog.']);
    await doc(wsA, 'a2', ['Lamp oil is stored in the cellar.']);
    await doc(wsB, 'b1', ['Sourdough starter needs flour and water.', 'The lamp in the bakery.']);
    expect(await stored(db)).toEqual(await recount(db));
    const lamp = (await stored(db)).terms.find((x) => x.w === wsA && x.term === 'lamp');
    expect(lamp?.df).toBe(2);

    // A document deleted: its passages leave the statistics.
    await db.execute(sql`DELETE FROM documents WHERE id = ${a1.documentId}::uuid`);
    expect(await stored(db)).toEqual(await recount(db));
    expect((await stored(db)).terms.find((x) => x.w === wsA && x.term === 'fog')).toBeUndefined();

    // Re-indexing replaces passages (delete + insert in one transaction), and an in-place update counts too.
    await db.transaction(async (tx) => {
      await tx.execute(sql`DELETE FROM passages WHERE workspace_id = ${wsB}::uuid`);
      await tx.execute(
        sql`INSERT INTO passages (document_id, workspace_id, ordinal, text, token_count, tsv)
            SELECT d.id, d.workspace_id, 0, 'rye bread rye', 3, to_tsvector('english', 'rye bread rye') FROM documents d WHERE d.workspace_id = ${wsB}::uuid`,
      );
    });
    await db.execute(sql`UPDATE passages SET tsv = to_tsvector('english', 'rye crackers') WHERE workspace_id = ${wsB}::uuid`);
    expect(await stored(db)).toEqual(await recount(db));
    expect((await stored(db)).stats.find((s) => s.w === wsB)).toEqual({ w: wsB, passages: 1, lexemes: 2 });

    // A workspace deleted: nothing of it remains.
    await db.execute(sql`DELETE FROM workspaces WHERE id = ${wsB}::uuid`);
    const after = await stored(db);
    expect(after).toEqual(await recount(db));
    expect(after.terms.some((x) => x.w === wsB) || after.stats.some((s) => s.w === wsB)).toBe(false);
  });

  it("scores with the workspace's own statistics only", async () => {
    const wsC = await createWorkspace(db, 'C');
    const wsD = await createWorkspace(db, 'D');
    await doc(wsC, 'c', ['alpha beta', 'alpha gamma', 'delta epsilon']);
    await doc(wsD, 'd', ['alpha beta']);
    const before = await parseKeywordQuery(db, 'english', wsC, 'alpha beta');
    const scoresBefore = await keywordCandidates(db, wsC, before, {}, 10);
    // Flooding another workspace with "beta" must not change a single score in C.
    await doc(wsD, 'flood', Array.from({ length: 40 }, (_, i) => `beta filler ${i}`));
    const after = await parseKeywordQuery(db, 'english', wsC, 'alpha beta');
    expect(after.terms).toEqual(before.terms);
    expect(await keywordCandidates(db, wsC, after, {}, 10)).toEqual(scoresBefore);
    expect(after.passageCount).toBe(3);
    expect((await documentFrequencies(db, wsC, ['beta', 'alpha', 'absent'])).get('beta')).toBe(1);
    expect((await documentFrequencies(db, wsC, ['beta', 'alpha', 'absent'])).has('absent')).toBe(false);
    // And the rare term outweighs the common one: "beta" (1 of 3) over "alpha" (2 of 3).
    expect(bm25Idf(3, 1)).toBeGreaterThan(bm25Idf(3, 2));
    expect(scoresBefore[0]!.score).toBeGreaterThan(scoresBefore[1]!.score);
    expect(scoresBefore).toHaveLength(2);
  });
});
