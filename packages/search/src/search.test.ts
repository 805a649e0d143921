import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureVectorIndex, type Database } from '@quarry/db';
import { drivers, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { createSearchService, type SearchService } from './service.js';
import { activateSpace, bagOfWordsEmbedder, createWorkspace, insertDocument } from './test-fixtures.js';
import { SearchInputError, searchModes, SemanticUnavailableError } from './types.js';

const embedder = bagOfWordsEmbedder(64);

describe.each(drivers)('search on %s', (driver) => {
  let t: TestDatabase;
  let db: Database;
  let service: SearchService;
  let hnswService: SearchService;
  let wsA: string;
  let wsB: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    db = t.handle.db;
    const space = await activateSpace(db, embedder);
    wsA = await createWorkspace(db, 'A');
    wsB = await createWorkspace(db, 'B');
    const lighthouse = await insertDocument(
      db,
      wsA,
      {
        title: 'Lighthouse keeping',
        mimeType: 'application/pdf',
        passages: [
          { text: 'The lamp of the lighthouse is trimmed every evening before sunset by the keeper.', page: 1, headingPath: ['Duties'] },
          { text: 'Fog signals sound every thirty seconds whenever visibility drops below two miles.', page: 2, headingPath: ['Fog'] },
          { text: 'Keepers log the weather, passing ships and the oil consumed in a daily journal.', page: 3, headingPath: ['Records'] },
        ],
      },
      embedder,
      space,
    );
    ids.lamp = lighthouse.passageIds[0]!;
    ids.fog = lighthouse.passageIds[1]!;
    ids.lighthouseDoc = lighthouse.documentId;
    const bread = await insertDocument(
      db,
      wsA,
      {
        title: 'Sourdough <b>notes</b>',
        passages: [
          { text: 'Feed the sourdough starter with equal weights of flour and water each morning.' },
          { text: 'A <script>alert("x")</script> tag & other "markup" in the sourdough notes must stay text.' },
        ],
      },
      embedder,
      space,
    );
    ids.starter = bread.passageIds[0]!;
    ids.breadDoc = bread.documentId;
    await insertDocument(
      db,
      wsA,
      { title: 'Draft', status: 'processing', passages: [{ text: 'Unfinished draft about the lighthouse lamp and fog signals.' }] },
      embedder,
      space,
    );
    // Workspace B uses the same words: it must never leak into A's results.
    const other = await insertDocument(
      db,
      wsB,
      { title: 'Secret lighthouse plans', passages: [{ text: 'The lamp of the lighthouse is trimmed every evening before sunset by the keeper.' }] },
      embedder,
      space,
    );
    ids.otherDoc = other.documentId;
    for (let i = 0; i < 30; i += 1) {
      await insertDocument(db, wsB, { title: `B filler ${i}`, passages: [{ text: `lighthouse lamp fog keeper filler number ${i}` }] }, embedder, space);
    }
    service = createSearchService({ db, language: 'english', queryEmbedder: (s) => (s.model === embedder.space.model ? embedder : undefined) });
    await ensureVectorIndex(db, space);
    hnswService = createSearchService({
      db,
      language: 'english',
      queryEmbedder: () => embedder,
      semantic: { exactScanMaxVectors: 0, efSearch: 10, maxScanTuples: 20_000, hnswMaxDepth: 100 },
    });
  });

  afterAll(async () => {
    await t?.dispose();
  });

  it.each(searchModes)('%s mode finds the expected passage first', async (mode) => {
    const page = await service.search({ workspaceId: wsA, query: 'fog signals visibility', mode });
    expect(page.mode).toBe(mode);
    expect(page.items[0]).toMatchObject({ passageId: ids.fog, documentId: ids.lighthouseDoc, documentTitle: 'Lighthouse keeping', page: 2, headingPath: ['Fog'] });
  });

  it.each(searchModes)('%s mode never returns another workspace or unready documents', async (mode) => {
    for (const svc of [service, hnswService]) {
      const page = await svc.search({ workspaceId: wsA, query: 'lighthouse lamp keeper fog', mode, limit: 100 });
      expect(page.items.length).toBeGreaterThan(0);
      for (const item of page.items) {
        expect([ids.lighthouseDoc, ids.breadDoc]).toContain(item.documentId);
        expect(item.documentTitle).not.toMatch(/Secret|filler|Draft/);
      }
    }
    const fromB = await hnswService.search({ workspaceId: wsB, query: 'sourdough starter flour', mode, limit: 100 });
    expect(fromB.items.map((i) => i.documentId)).not.toContain(ids.breadDoc);
  });

  it('semantic search through the HNSW index agrees with the exact scan on a small workspace', async () => {
    const exact = await service.search({ workspaceId: wsB, query: 'lighthouse lamp keeper', mode: 'semantic', limit: 10 });
    const approx = await hnswService.search({ workspaceId: wsB, query: 'lighthouse lamp keeper', mode: 'semantic', limit: 10 });
    expect(approx.items).toHaveLength(10);
    // Equal-distance ties may be broken differently: compare the distances found.
    expect(approx.items.map((i) => i.score.toFixed(4))).toEqual(exact.items.map((i) => i.score.toFixed(4)));
  });

  it('the HNSW path ranks at most hnswMaxDepth deep, and the count says it was cut', async () => {
    const shallow = createSearchService({
      db,
      language: 'english',
      queryEmbedder: () => embedder,
      resident: false,
      semantic: { exactScanMaxVectors: 0, efSearch: 10, maxScanTuples: 20_000, hnswMaxDepth: 5 },
    });
    const cut = await shallow.search({ workspaceId: wsB, query: 'lighthouse lamp keeper', mode: 'semantic', limit: 10 });
    expect(cut.items).toHaveLength(5);
    expect(cut.total).toMatchObject({ passages: 5, capped: true });
    expect(cut.nextCursor).toBeNull();
    const hybrid = await shallow.search({ workspaceId: wsB, query: 'lighthouse lamp keeper', mode: 'hybrid', limit: 10 });
    expect(hybrid.total?.capped).toBe(true);
    // The default depth (100) holds all of workspace B: nothing was cut, so the count is exact.
    const whole = await hnswService.search({ workspaceId: wsB, query: 'lighthouse lamp keeper', mode: 'semantic', limit: 10 });
    expect(whole.total?.passages).toBeGreaterThan(5);
    expect(whole.total?.capped).toBe(false);
  });

  it('snippets are escaped text in which only <mark> is markup', async () => {
    const page = await service.search({ workspaceId: wsA, query: 'alert markup sourdough', mode: 'keyword' });
    const hit = page.items.find((i) => i.passageId !== ids.starter)!;
    expect(hit.snippet).toContain('script&gt;<mark>alert</mark>(&quot;x&quot;)&lt;/script&gt;');
    expect(hit.snippet).toContain('<mark>');
    expect(hit.snippet.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
    for (const mode of searchModes) {
      const all = await service.search({ workspaceId: wsA, query: 'sourdough', mode });
      for (const item of all.items) expect(item.snippet.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
    }
  });

  it('pages with an opaque cursor bound to its query', async () => {
    const first = await service.search({ workspaceId: wsB, query: 'filler lighthouse', mode: 'keyword', limit: 10 });
    expect(first.items).toHaveLength(10);
    expect(first.nextCursor).not.toBeNull();
    const second = await service.search({ workspaceId: wsB, query: 'filler lighthouse', mode: 'keyword', limit: 10, cursor: first.nextCursor! });
    expect(second.items).toHaveLength(10);
    const seen = new Set(first.items.map((i) => i.passageId));
    for (const item of second.items) expect(seen.has(item.passageId)).toBe(false);
    const pages = [first, second];
    let cursor = second.nextCursor;
    for (let i = 0; i < 5 && cursor !== null; i += 1) {
      const next = await service.search({ workspaceId: wsB, query: 'filler lighthouse', mode: 'keyword', limit: 10, cursor });
      pages.push(next);
      cursor = next.nextCursor;
    }
    expect(cursor).toBeNull();
    expect(new Set(pages.flatMap((p) => p.items.map((i) => i.passageId))).size).toBe(31);
    await expect(service.search({ workspaceId: wsA, query: 'filler lighthouse', mode: 'keyword', cursor: first.nextCursor! })).rejects.toBeInstanceOf(SearchInputError);
    await expect(service.search({ workspaceId: wsB, query: 'x', cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(SearchInputError);
  });

  it('filters by document, type and date', async () => {
    const byDoc = await service.search({ workspaceId: wsA, query: 'lighthouse sourdough', mode: 'hybrid', documentIds: [ids.breadDoc!] });
    expect(byDoc.items.length).toBeGreaterThan(0);
    expect(new Set(byDoc.items.map((i) => i.documentId))).toEqual(new Set([ids.breadDoc]));
    const pdfs = await service.search({ workspaceId: wsA, query: 'lighthouse sourdough', mode: 'keyword', types: ['pdf'] });
    expect(new Set(pdfs.items.map((i) => i.documentId))).toEqual(new Set([ids.lighthouseDoc]));
    const future = await service.search({ workspaceId: wsA, query: 'lighthouse', createdFrom: new Date(Date.now() + 86_400_000) });
    expect(future.items).toEqual([]);
    // Another workspace's document id as a filter yields nothing, not its passages.
    const foreign = await service.search({ workspaceId: wsA, query: 'lighthouse', documentIds: [ids.otherDoc!] });
    expect(foreign.items).toEqual([]);
    await expect(service.search({ workspaceId: wsA, query: 'x', types: ['exe'] })).rejects.toBeInstanceOf(SearchInputError);
    await expect(service.search({ workspaceId: wsA, query: 'x', documentIds: ["1' or 1=1"] })).rejects.toBeInstanceOf(SearchInputError);
  });

  it('validates the query and handles stop-word-only and operator queries', async () => {
    await expect(service.search({ workspaceId: wsA, query: '   ' })).rejects.toBeInstanceOf(SearchInputError);
    await expect(service.search({ workspaceId: wsA, query: 'x'.repeat(2001) })).rejects.toBeInstanceOf(SearchInputError);
    await expect(service.search({ workspaceId: wsA, query: 'x', limit: 101 })).rejects.toBeInstanceOf(SearchInputError);
    const stop = await service.search({ workspaceId: wsA, query: 'the of and', mode: 'keyword' });
    expect(stop.items).toEqual([]);
    const excluded = await service.search({ workspaceId: wsA, query: 'lighthouse -fog', mode: 'keyword' });
    expect(excluded.items.map((i) => i.passageId)).not.toContain(ids.fog);
    expect(excluded.items.map((i) => i.passageId)).toContain(ids.lamp);
    // Ordinary words and tsquery metacharacters are never operators: each of these finds the fog passage.
    for (const q of [
      'fog or rain',
      'fog and rain',
      'not fog',
      'fog OR rain',
      '-fog',
      '"fog signals',
      'fog & | ! : * ( ) \' \\ <-> signals',
      "fog:* signals'",
      'fog <2> signals',
      'fog\u0000signals',
    ]) {
      for (const mode of searchModes) {
        const page = await service.search({ workspaceId: wsA, query: q, mode });
        expect(page.items.length, `${mode}: ${q}`).toBeGreaterThan(0);
        if (mode === 'keyword') expect(page.items[0]!.passageId, q).toBe(ids.fog);
      }
    }
    // A phrase in quotes must appear as written.
    const phrase = await service.search({ workspaceId: wsA, query: '"fog signals"', mode: 'keyword' });
    expect(phrase.items.map((i) => i.passageId)).toEqual([ids.fog]);
    // No passage has it as written: the words are ranked instead of returning nothing; exclusions still hold.
    const wrongOrder = await service.search({ workspaceId: wsA, query: '"signals fog"', mode: 'keyword' });
    expect(wrongOrder.items[0]?.passageId).toBe(ids.fog);
    const excludedToo = await service.search({ workspaceId: wsA, query: '"signals fog" -visibility', mode: 'keyword' });
    expect(excludedToo.items.map((i) => i.passageId)).not.toContain(ids.fog);
  });

  it('semantic mode reports an unavailable embedder; hybrid degrades to keywords', async () => {
    const none = createSearchService({ db, language: 'english', queryEmbedder: () => undefined });
    await expect(none.search({ workspaceId: wsA, query: 'fog', mode: 'semantic' })).rejects.toBeInstanceOf(SemanticUnavailableError);
    const hybrid = await none.search({ workspaceId: wsA, query: 'fog signals', mode: 'hybrid' });
    expect(hybrid.degraded).toBe(true);
    expect(hybrid.items[0]?.passageId).toBe(ids.fog);
  });

  it('retrieve returns full passage text in rank order, scoped to the workspace', async () => {
    const passages = await service.retrieve({ workspaceId: wsA, query: 'sourdough starter flour water', topK: 3 });
    expect(passages[0]).toMatchObject({ passageId: ids.starter, documentTitle: 'Sourdough <b>notes</b>' });
    expect(passages[0]!.text).toContain('equal weights of flour');
    const rows = await db.execute(sql`select 1`);
    expect(rows).toBeDefined();
  });
});
