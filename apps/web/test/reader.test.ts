/**
 * The reader's API over real HTTP: a document's passages a window at a time
 * (from the start, after, before, around a passage), the overlap between
 * passages of one section (so the text reads once), where a search's words
 * occur, and isolation — another user gets 404, also 100 times at once, and
 * a passage id from another workspace never opens in yours.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overlapLength, positiveWords } from '../src/server/services/reader.js';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

function form(name: string, text: string): FormData {
  const f = new FormData();
  f.append('file', new Blob([text], { type: 'text/markdown' }), name);
  return f;
}

async function uploadReady(client: TestClient, ws: string, name: string, text: string) {
  const res = await client.request('POST', `/api/workspaces/${ws}/documents`, form(name, text));
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const until = Date.now() + 60_000;
  for (;;) {
    const doc = await client.json('GET', `/api/workspaces/${ws}/documents/${id}`, undefined, 200);
    if (doc.status === 'ready') return doc as { id: string; passageCount: number };
    if (doc.status === 'failed' || Date.now() > until) throw new Error(`document ${doc.status}: ${doc.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A handbook of 12 sections, each a few sentences long, so small passages overlap within a section. */
const sections = Array.from({ length: 12 }, (_, s) => {
  const sentences = Array.from(
    { length: 8 },
    (_, i) =>
      `Section ${s} sentence ${i} talks about ${s % 3 === 0 ? 'lighthouses' : 'harbours'} and tides number ${i}.`,
  );
  return `## Part ${s}\n\n${sentences.join(' ')}`;
});
const book = `# Handbook\n\n${sections.join('\n\n')}\n`;

describe('overlap between consecutive passages', () => {
  it('finds the repeated sentences at a word boundary, and nothing else', () => {
    expect(overlapLength('One two. Three four. Five six.', 'Three four. Five six. Seven eight.')).toBe(
      'Three four. Five six.'.length,
    );
    expect(overlapLength('One two.', 'Three four.')).toBe(0);
    // Not at a word boundary in the previous passage.
    expect(overlapLength('abcdef ghi', 'def ghi jkl')).toBe(0);
    // The whole passage repeated is not an overlap.
    expect(overlapLength('a b c', 'a b c')).toBe(0);
  });

  it('takes the words to find from a search: quotes dropped, exclusions left out', () => {
    expect(positiveWords('"tidal harbour" lighthouse -draft')).toBe('tidal harbour lighthouse');
    expect(positiveWords('-leading stays')).toBe('-leading stays');
  });
});

describe('reader API', () => {
  let app: TestApp;
  let alice: TestClient;
  let bob: TestClient;
  let wsA: string;
  let wsB: string;
  let doc: { id: string; passageCount: number };
  let bobDoc: { id: string; passageCount: number };

  beforeAll(async () => {
    app = await startTestApp({
      env: { CHUNK_TOKENS: '50', CHUNK_OVERLAP: '0.3' },
      runtime: { ingest: { pollMs: 50 } },
    });
    alice = new TestClient(app);
    bob = new TestClient(app);
    await alice.signUp('alice@example.com');
    await bob.signUp('bob@example.com');
    wsA = (await alice.json('GET', '/api/me', undefined, 200)).workspaces[0].id;
    wsB = (await bob.json('GET', '/api/me', undefined, 200)).workspaces[0].id;
    doc = await uploadReady(alice, wsA, 'handbook.md', book);
    bobDoc = await uploadReady(bob, wsB, 'bob.md', '# Bob\n\nBob keeps a harbour log.\n');
  }, 120_000);
  afterAll(() => app?.dispose());

  const passagesUrl = (query = '', ws = wsA, id = doc.id) => `/api/workspaces/${ws}/documents/${id}/passages${query}`;

  it('pages through the whole document in order, and the overlaps rebuild each passage from the text shown once', async () => {
    expect(doc.passageCount).toBeGreaterThan(12);
    const seen: Array<{ id: string; ordinal: number; text: string; overlap: number; headingPath: string[] }> = [];
    let after = -1;
    for (let round = 0; round < 50; round++) {
      const page = await alice.json('GET', passagesUrl(`?after=${after}&limit=7`), undefined, 200);
      expect(page.total).toBe(doc.passageCount);
      expect(page.hasBefore).toBe(after >= 0);
      seen.push(...page.items);
      if (!page.hasAfter) break;
      after = page.items[page.items.length - 1].ordinal;
    }
    expect(seen.map((p) => p.ordinal)).toEqual(Array.from({ length: doc.passageCount }, (_, i) => i));
    // Passages of one section overlap; the text shown once still holds every sentence, once.
    expect(seen.some((p) => p.overlap > 0)).toBe(true);
    const shown = seen.map((p) => p.text.slice(p.overlap)).join(' ');
    for (let s = 0; s < 12; s++)
      for (let i = 0; i < 8; i++) {
        const sentence = `Section ${s} sentence ${i} talks`;
        expect(shown.split(sentence).length - 1, sentence).toBe(1);
      }
    for (const p of seen.filter((x) => x.overlap > 0)) {
      const prev = seen[p.ordinal - 1]!;
      expect(prev.text.endsWith(p.text.slice(0, p.overlap))).toBe(true);
      expect(prev.headingPath).toEqual(p.headingPath);
    }
  });

  it('opens a window around a passage, with context before it, and pages backwards from it', async () => {
    const all = await alice.json('GET', passagesUrl('?limit=500'), undefined, 200);
    const target = all.items[Math.floor(all.items.length / 2)];
    const around = await alice.json('GET', passagesUrl(`?around=${target.id}&limit=9`), undefined, 200);
    const ordinals = around.items.map((p: { ordinal: number }) => p.ordinal);
    expect(ordinals).toContain(target.ordinal);
    expect(ordinals[0]).toBe(target.ordinal - 3);
    expect(around.hasBefore).toBe(true);
    const before = await alice.json('GET', passagesUrl(`?before=${ordinals[0]}&limit=2`), undefined, 200);
    expect(before.items.map((p: { ordinal: number }) => p.ordinal)).toEqual([ordinals[0] - 2, ordinals[0] - 1]);
  });

  it('says where a search’s words are in the document, in document order, and marks their lexemes', async () => {
    const found = await alice.json(
      'GET',
      `/api/workspaces/${wsA}/documents/${doc.id}/matches?q=${encodeURIComponent('lighthouse -harbour')}`,
      undefined,
      200,
    );
    expect(found.terms).toEqual(['lighthous']);
    const all = await alice.json('GET', passagesUrl('?limit=500'), undefined, 200);
    const expected = all.items
      .filter((p: { text: string }) => p.text.includes('lighthouses'))
      .map((p: { id: string }) => p.id);
    expect(found.matches.map((m: { passageId: string }) => m.passageId)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(1);
    const none = await alice.json(
      'GET',
      `/api/workspaces/${wsA}/documents/${doc.id}/matches?q=${encodeURIComponent("'&|!:*")}`,
      undefined,
      200,
    );
    expect(none).toEqual({ terms: [], matches: [] });
  });

  it('answers a mistake with a 400 naming it, never a 500', async () => {
    for (const query of ['?limit=0', '?limit=501', '?after=x', '?after=1&before=3', '?around=not-a-uuid']) {
      const res = await alice.request('GET', passagesUrl(query));
      expect(res.status, query).toBe(400);
    }
    expect((await alice.request('GET', passagesUrl('', wsA, 'not-a-uuid'))).status).toBe(404);
    expect((await alice.request('GET', `/api/workspaces/${wsA}/documents/${doc.id}/matches?q=`)).status).toBe(400);
  });

  it('renames a document (title only, audited); an empty title is a 400, another user a 404', async () => {
    const renamed = await alice.json('PATCH', `/api/workspaces/${wsA}/documents/${doc.id}`, { title: '  Harbour\nhandbook ' }, 200);
    expect(renamed).toMatchObject({ title: 'Harbour handbook', filename: 'handbook.md' });
    expect((await alice.request('PATCH', `/api/workspaces/${wsA}/documents/${doc.id}`, { title: '   ' })).status).toBe(400);
    expect((await bob.request('PATCH', `/api/workspaces/${wsA}/documents/${doc.id}`, { title: 'Mine now' })).status).toBe(404);
    expect((await bob.request('PATCH', `/api/workspaces/${wsB}/documents/${doc.id}`, { title: 'Mine now' })).status).toBe(404);
    expect((await alice.json('GET', `/api/workspaces/${wsA}/documents/${doc.id}`, undefined, 200)).title).toBe('Harbour handbook');
    // Alice signed up first, so she is the administrator who reads the audit log.
    const audit = await alice.json('GET', '/api/admin/audit?action=document.renamed', undefined, 200);
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ action: 'document.renamed', targetId: doc.id });
  });

  it('another user gets 404 — for the workspace, for its document through their own workspace, and 100 times at once', async () => {
    expect((await bob.request('GET', passagesUrl())).status).toBe(404);
    expect((await bob.request('GET', `/api/workspaces/${wsA}/documents/${doc.id}/matches?q=harbour`)).status).toBe(404);
    // Alice's document id under Bob's own workspace: not found, not Alice's text.
    const cross = await bob.request('GET', passagesUrl('', wsB, doc.id));
    expect(cross.status).toBe(404);
    expect(await cross.text()).not.toContain('Section');
    // A passage of Bob's as the "around" of Alice's document (and the reverse) is not found either.
    const bobPassage = (await bob.json('GET', passagesUrl('', wsB, bobDoc.id), undefined, 200)).items[0].id;
    expect((await alice.request('GET', passagesUrl(`?around=${bobPassage}`))).status).toBe(404);
    const parallel = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        bob
          .request('GET', i % 2 ? passagesUrl(`?after=${i % 5}`) : passagesUrl(`?around=${bobPassage}`, wsA))
          .then(async (r) => ({
            status: r.status,
            body: await r.text(),
          })),
      ),
    );
    expect(parallel.map((r) => r.status)).toEqual(Array(100).fill(404));
    expect(parallel.every((r) => !r.body.includes('Section'))).toBe(true);
    // Alice herself still reads it, while Bob was refused.
    expect((await alice.json('GET', passagesUrl('?limit=1'), undefined, 200)).items).toHaveLength(1);
  });
});
