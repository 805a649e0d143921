/**
 * Keyword-first indexing over HTTP: a document is keyword-searchable as soon
 * as its passages are stored, its status says how many vectors it has, and
 * semantic search uses the vectors as they arrive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '@quarry/ai';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

describe('keyword-first indexing', () => {
  let app: TestApp;
  let client: TestClient;
  let ws: string;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));

  beforeAll(async () => {
    // The worker's embedder waits for the gate before embedding passages; queries are not held.
    const hold = (inner: Embedder): Embedder => ({
      ...inner,
      space: inner.space,
      embed: async (texts, purpose, signal) => {
        if (purpose === 'passage') await gate;
        return inner.embed(texts, purpose, signal);
      },
    });
    app = await startTestApp({ runtime: { ingest: { pollMs: 50 }, wrapEmbedder: hold } });
    client = new TestClient(app);
    await client.signUp('kf@example.com');
    ws = (await client.json('POST', '/api/workspaces', { name: 'kf' }, 201)).id;
  });
  afterAll(async () => {
    release();
    await app?.dispose();
  });

  const doc = (id: string) => client.json('GET', `/api/workspaces/${ws}/documents/${id}`, undefined, 200);
  const search = (q: string, mode: string) => client.json('GET', `/api/workspaces/${ws}/search?q=${encodeURIComponent(q)}&mode=${mode}`, undefined, 200);

  it('serves keyword search before the vectors exist, then semantic search once they arrive', async () => {
    const form = new FormData();
    form.append('file', new Blob(['The lighthouse keeper trims the lamp wick every evening before sunset.\n']), 'keeper.txt');
    const res = await client.request('POST', `/api/workspaces/${ws}/documents`, form);
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };

    let d: any;
    for (let i = 0; i < 600; i++) {
      d = await doc(id);
      if (d.status === 'ready' || d.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(d).toMatchObject({ status: 'ready', passageCount: 1, vectors: { ready: 0, total: 1 } });
    expect((await search('lamp wick', 'keyword')).items.map((i: any) => i.documentId)).toEqual([id]);
    expect((await search('When does the keeper look after the light?', 'semantic')).items).toEqual([]);

    release();
    for (let i = 0; i < 600; i++) {
      d = await doc(id);
      if (d.vectors.ready === d.vectors.total) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(d.vectors).toEqual({ ready: 1, total: 1 });
    const semantic = await search('When does the keeper look after the light?', 'semantic');
    expect(semantic.items.map((i: any) => i.documentId)).toEqual([id]);
  });
});
