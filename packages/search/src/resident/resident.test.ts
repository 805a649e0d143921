/**
 * The in-memory copies must rank exactly as SQL does, see every change made
 * through the database (by this process or another), and never carry one
 * workspace's data into another's results.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@quarry/db';
import { drivers, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { createSearchService, type SearchService } from '../service.js';
import { activateSpace, bagOfWordsEmbedder, createWorkspace, insertDocument } from '../test-fixtures.js';
import type { Candidate, SearchFilters, SearchMode } from '../types.js';

const embedder = bagOfWordsEmbedder(32);

const topics = ['lighthouse lamp keeper fog', 'sourdough starter flour water', 'glacier ice valley erosion', 'violin bow string rosin'];
const passageText = (i: number, j: number) =>
  `${topics[i % topics.length]} passage ${j} of document ${i}: ${'note '.repeat((i * 7 + j) % 5)}the ${topics[(i + j) % topics.length]!.split(' ')[j % 4]} again.`;

describe.each(drivers)('resident indexes on %s', (driver) => {
  let t: TestDatabase;
  let db: Database;
  let sqlOnly: SearchService;
  let resident: SearchService;
  let other: SearchService;
  let space: { id: number; dimensions: number };
  let wsA: string;
  let wsB: string;
  const docs: string[] = [];

  const rank = (service: SearchService, workspaceId: string, query: string, mode: SearchMode, filters: SearchFilters = {}) =>
    service.rank({ workspaceId, query, mode, depth: 100, ...filters }); // deeper than the fixture: whole rankings

  /**
   * Rankings agree: the same passages with the same scores, in the same order except among near-ties.
   * SQL may add a passage's terms in another order, and pgvector sums in single precision (vectorised
   * on PostgreSQL): passages whose similarities tie in exact arithmetic can come out in any order in
   * the dense list, which moves their fused (RRF) scores by a few ranks' worth, 1/61 − 1/65 ≈ 1.3e-3 —
   * hence a looser bound for hybrid. Keyword and semantic lists are held to 1e-5.
   */
  const expectSame = (a: Candidate[], b: Candidate[], eps = 1e-5) => {
    const scoreInA = new Map(a.map((c) => [c.passageId, c.score]));
    expect(b).toHaveLength(a.length);
    b.forEach((c, i) => {
      expect(scoreInA.has(c.passageId), `${c.passageId} ranked by the copy only`).toBe(true);
      expect(Math.abs(scoreInA.get(c.passageId)! - c.score)).toBeLessThan(eps);
      expect(Math.abs(a[i]!.score - c.score)).toBeLessThan(eps);
    });
  };
  const epsOf = (mode: SearchMode) => (mode === 'hybrid' ? 3e-3 : 1e-5);

  /** Searches until the workspace's three copies are current (each search starts at most one build). */
  const warm = async (service: SearchService, workspaceId: string) => {
    for (let i = 0; i < 20; i++) {
      const before = service.resident!.stats().hits;
      await rank(service, workspaceId, 'lamp', 'hybrid');
      // keyword, documents (twice: both halves), vectors
      if (service.resident!.stats().hits - before === 4) return;
      await service.resident!.idle();
      // A build the data outran waits a second before it is tried again.
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`copies not current: ${JSON.stringify(service.resident!.stats())}`);
  };

  /** Runs `f` and asserts it was answered from the copies alone. */
  const fromCopies = async <T>(service: SearchService, f: () => Promise<T>): Promise<T> => {
    const { misses } = service.resident!.stats();
    const result = await f();
    expect(service.resident!.stats().misses).toBe(misses);
    return result;
  };

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    db = t.handle.db;
    space = await activateSpace(db, embedder);
    wsA = await createWorkspace(db, 'A');
    wsB = await createWorkspace(db, 'B');
    for (let i = 0; i < 12; i++) {
      const d = await insertDocument(
        db,
        wsA,
        {
          title: `doc ${i}`,
          mimeType: i % 3 === 0 ? 'application/pdf' : 'text/plain',
          createdAt: new Date(Date.UTC(2026, 0, 1 + i)),
          passages: [0, 1, 2].map((j) => ({ text: passageText(i, j) })),
        },
        embedder,
        space,
      );
      docs.push(d.documentId);
    }
    // Workspace B says the same words far more often: its statistics must not move A's scores.
    for (let i = 0; i < 5; i++) {
      await insertDocument(db, wsB, { title: `b ${i}`, passages: [{ text: 'lighthouse lamp lamp lamp keeper glacier' }] }, embedder, space);
    }
    const language = 'english';
    const queryEmbedder = () => embedder;
    sqlOnly = createSearchService({ db, language, queryEmbedder, resident: false });
    resident = createSearchService({ db, language, queryEmbedder });
    other = createSearchService({ db, language, queryEmbedder });
    await warm(resident, wsA);
  });

  afterAll(async () => {
    await t?.dispose();
  });

  const cases: Array<[string, SearchFilters]> = [
    ['lighthouse keeper', {}],
    ['glacier erosion violin', { types: ['pdf'] }],
    ['sourdough "flour"', {}],
    ['fog keeper -lamp', {}],
    ['"zzqx" water', {}],
    ['rosin bow', { createdFrom: new Date(Date.UTC(2026, 0, 5)), createdBefore: new Date(Date.UTC(2026, 0, 9)) }],
  ];

  it('holds copies after a search and ranks as SQL does, filters included, in every mode', async () => {
    const stats = resident.resident!.stats();
    expect(stats.keywordCopies).toBe(1);
    expect(stats.vectorCopies).toBe(1);
    for (const [query, filters] of cases) {
      for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
        expectSame(await rank(sqlOnly, wsA, query, mode, filters), await fromCopies(resident, () => rank(resident, wsA, query, mode, filters)), epsOf(mode));
      }
    }
    expectSame(await rank(sqlOnly, wsA, 'lamp', 'keyword', { documentIds: [docs[0]!, docs[4]!] }), await rank(resident, wsA, 'lamp', 'keyword', { documentIds: [docs[0]!, docs[4]!] }));
  });

  it('sees a document hidden, new passages and deletions at once, made by another service on the same database', async () => {
    await warm(other, wsA);
    // Hidden: a document that failed re-indexing leaves results immediately.
    await db.execute(sql`UPDATE documents SET status = 'failed' WHERE id = ${docs[1]!}::uuid`);
    const hidden = await rank(other, wsA, 'sourdough starter', 'hybrid');
    expectSame(await rank(sqlOnly, wsA, 'sourdough starter', 'hybrid'), hidden, epsOf('hybrid'));
    const passagesOfHidden = await db.execute(sql`SELECT id FROM passages WHERE document_id = ${docs[1]!}::uuid`);
    const hiddenIds = new Set((passagesOfHidden as unknown as { rows: Array<{ id: string }> }).rows.map((r) => r.id));
    expect(hidden.some((c) => hiddenIds.has(c.passageId))).toBe(false);
    // New passages: a new rare word is found, with statistics that include it.
    await insertDocument(db, wsA, { title: 'new', passages: [{ text: 'the harpsichord is tuned before the concert' }] }, embedder, space);
    const found = await rank(other, wsA, 'harpsichord', 'keyword');
    expect(found).toHaveLength(1);
    expectSame(await rank(sqlOnly, wsA, 'lighthouse keeper', 'keyword'), await rank(other, wsA, 'lighthouse keeper', 'keyword'));
    // Deleted: gone from results and from the statistics.
    await db.execute(sql`DELETE FROM documents WHERE id = ${docs[2]!}::uuid`);
    expectSame(await rank(sqlOnly, wsA, 'glacier ice', 'semantic'), await rank(other, wsA, 'glacier ice', 'semantic'));
    // Once rebuilt, the copies agree again.
    await warm(other, wsA);
    for (const [query, filters] of cases) {
      expectSame(await rank(sqlOnly, wsA, query, 'hybrid', filters), await fromCopies(other, () => rank(other, wsA, query, 'hybrid', filters)), epsOf('hybrid'));
    }
    const rebuilt = await fromCopies(other, () => rank(other, wsA, 'sourdough starter', 'hybrid'));
    expect(rebuilt.some((c) => hiddenIds.has(c.passageId))).toBe(false);
    expect(other.resident!.stats().builds).toBeGreaterThan(3);
  });

  it("keeps each workspace's copy to itself", async () => {
    await warm(resident, wsB);
    expect(resident.resident!.stats().keywordCopies).toBe(2);
    await warm(resident, wsA);
    const inA = await fromCopies(resident, () => rank(resident, wsA, 'lamp keeper', 'hybrid'));
    const inB = await fromCopies(resident, () => rank(resident, wsB, 'lamp keeper', 'hybrid'));
    expectSame(await rank(sqlOnly, wsA, 'lamp keeper', 'hybrid'), inA, epsOf('hybrid'));
    expectSame(await rank(sqlOnly, wsB, 'lamp keeper', 'hybrid'), inB, epsOf('hybrid'));
    const idsA = new Set(inA.map((c) => c.passageId));
    expect(inB.some((c) => idsA.has(c.passageId))).toBe(false);
    expect(await rank(resident, wsB, 'sourdough', 'keyword')).toEqual([]);
  });

  it('builds every copy a search asked for by itself, not one per later search', async () => {
    // A new service holds no copies: one hybrid search misses all three, one build can start and the others wait for it.
    const fresh = createSearchService({ db, language: 'english', queryEmbedder: () => embedder });
    await rank(fresh, wsB, 'lamp keeper', 'hybrid');
    expect(fresh.resident!.stats().misses).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 100 && fresh.resident!.stats().builds < 3; i++) {
      await fresh.resident!.idle();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(fresh.resident!.stats().builds).toBe(3);
    const fromMemory = await fromCopies(fresh, () => rank(fresh, wsB, 'lamp keeper', 'hybrid'));
    expectSame(await rank(sqlOnly, wsB, 'lamp keeper', 'hybrid'), fromMemory, epsOf('hybrid'));
  });
});
