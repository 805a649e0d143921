/**
 * With the default offline model (all-MiniLM-L6-v2): made-up words find
 * nothing in any mode (the relevance floor), and a paraphrase that shares no
 * word with its passage is still found by meaning.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMiniLmEmbedder, type Embedder } from '@quarry/ai';
import type { Database } from '@quarry/db';
import { drivers, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { createSearchService, type SearchService } from './service.js';
import { activateSpace, createWorkspace, insertDocument } from './test-fixtures.js';
import { searchModes } from './types.js';

describe.each(drivers)('relevance with MiniLM on %s', (driver) => {
  let t: TestDatabase;
  let db: Database;
  let embedder: Embedder;
  let service: SearchService;
  let ws: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    db = t.handle.db;
    embedder = createMiniLmEmbedder({ cacheDir: path.join(tmpdir(), 'quarry-models') });
    const space = await activateSpace(db, embedder);
    ws = await createWorkspace(db, 'relevance');
    const doc = await insertDocument(
      db,
      ws,
      {
        title: 'Handbook',
        passages: [
          { text: 'To regain access after forgetting your login credentials, open the account page and request a recovery link by e-mail.' },
          { text: 'Quarterly revenue grew by twelve percent, driven by subscriptions in Europe.' },
          { text: 'The cafeteria serves soup and sandwiches from noon until two.' },
        ],
      },
      embedder,
      space,
    );
    [ids.recover, ids.revenue, ids.lunch] = doc.passageIds as [string, string, string];
    service = createSearchService({ db, language: 'english', queryEmbedder: () => embedder });
  }, 120_000);
  afterAll(async () => {
    await embedder?.close?.();
    await t?.dispose();
  });

  it('returns no matches for gibberish in every mode', async () => {
    for (const query of ['zzqxjv flurbo', 'plomf wrrzk qxv']) {
      for (const mode of searchModes) {
        const page = await service.search({ workspaceId: ws, query, mode });
        expect(page.items, `${mode}: ${query}`).toEqual([]);
      }
    }
  });

  it('finds a paraphrase that shares no word with its passage', async () => {
    const query = 'I forgot my password, how do I get back in?';
    expect((await service.search({ workspaceId: ws, query, mode: 'keyword' })).items.map((i) => i.passageId)).not.toContain(ids.recover);
    for (const mode of ['semantic', 'hybrid'] as const) {
      const page = await service.search({ workspaceId: ws, query, mode });
      expect(page.items[0]?.passageId, mode).toBe(ids.recover);
    }
  });
});
