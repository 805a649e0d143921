import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../../../test/support/fake-openai.js';
import { createEmbedder, createEmbedderForSpace, createLocalEmbedder, createOpenAIEmbedder, EmbeddingProviderError } from '../index.js';

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (a: number[]) => Math.sqrt(cosine(a, a));

describe('local embedder', () => {
  const local = createLocalEmbedder();

  it('is deterministic, fixed-size and L2-normalised', async () => {
    const [a, b] = await local.embed(['Quarry indexes every passage.', 'Quarry indexes every passage.'], 'passage');
    expect(a).toHaveLength(384);
    expect(a).toEqual(b);
    expect(norm(a!)).toBeCloseTo(1, 4);
    expect(local.space).toEqual({ provider: 'local', model: 'hashed-ngrams-v1', dimensions: 384 });
  });

  it('puts texts sharing words and spellings closer than unrelated ones', async () => {
    const [query, related, inflected, unrelated] = await local.embed(
      ['invoice payment terms', 'The payment terms of each invoice are 30 days.', 'invoices and payments', 'Bears hibernate in winter.'],
      'passage',
    );
    expect(cosine(query!, related!)).toBeGreaterThan(cosine(query!, unrelated!));
    expect(cosine(query!, inflected!)).toBeGreaterThan(cosine(query!, unrelated!));
  });

  it('handles CJK text, accents and empty strings', async () => {
    const [zh1, zh2, other, accent, plain, empty] = await local.embed(
      ['向量数据库检索', '数据库检索很快', 'Bears hibernate', 'café résumé', 'cafe resume', ''],
      'passage',
    );
    expect(cosine(zh1!, zh2!)).toBeGreaterThan(cosine(zh1!, other!));
    expect(cosine(accent!, plain!)).toBeCloseTo(1, 5);
    expect(norm(empty!)).toBeCloseTo(1, 5);
  });
});

describe('openai-compatible embedder', () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ dimensions: 32 });
  });
  afterAll(() => server.close());

  const make = (extra: Partial<Parameters<typeof createOpenAIEmbedder>[0]> = {}) =>
    createOpenAIEmbedder({ baseUrl: server.baseUrl, apiKey: 'sk-test', model: 'fake-embed', dimensions: 32, timeoutMs: 5_000, retryBaseMs: 5, ...extra });

  it('retries 429 and 500 with back-off, then succeeds', async () => {
    server.requests.length = 0;
    server.failNext(429, 500);
    const vectors = await make().embed(['one', 'two'], 'passage');
    expect(vectors).toHaveLength(2);
    expect(norm(vectors[0]!)).toBeCloseTo(1, 5);
    expect(server.requests.map((r) => r.status)).toEqual([429, 500, 200]);
    expect(server.requests[0]!.authorization).toBe('Bearer sk-test');
  });

  it('batches inputs', async () => {
    server.requests.length = 0;
    const texts = Array.from({ length: 10 }, (_, i) => `text number ${i}`);
    const vectors = await make({ batchSize: 4 }).embed(texts, 'passage');
    expect(vectors).toHaveLength(10);
    expect(server.requests.map((r) => r.inputs)).toEqual([4, 4, 2]);
    // Order is kept across batches.
    const [again] = await make().embed(['text number 7'], 'passage');
    expect(vectors[7]).toEqual(again);
  });

  it('gives up after the retry budget with a transient error', async () => {
    server.failNext(503, 503, 503);
    const error = await make({ maxRetries: 2 }).embed(['x'], 'passage').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingProviderError);
    expect(error).toMatchObject({ status: 503, transient: true });
  });

  it('does not retry a 400 and reports wrong dimensions clearly', async () => {
    server.requests.length = 0;
    server.failNext(400);
    await expect(make().embed(['x'], 'passage')).rejects.toMatchObject({ status: 400, transient: false });
    expect(server.requests).toHaveLength(1);
    await expect(make({ dimensions: 16 }).embed(['x'], 'passage')).rejects.toThrow(/16|EMBEDDING_DIMENSIONS/);
  });

  it('times out a server that never answers', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const e = createOpenAIEmbedder({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm', dimensions: 4, timeoutMs: 200, maxRetries: 1, retryBaseMs: 1 });
      await expect(e.embed(['x'], 'passage')).rejects.toThrow(/did not answer within 200 ms/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('is chosen by EMBEDDING_MODEL, probing unknown dimensions', async () => {
    const embedder = await createEmbedder({ embedding: { baseUrl: server.baseUrl }, embeddingModel: 'fake-embed', timeoutMs: 5_000 });
    expect(embedder.space).toEqual({ provider: 'openai', model: 'fake-embed', dimensions: 32 });
    const local = await createEmbedder({ timeoutMs: 5_000 });
    expect(local.space.provider).toBe('local');
    expect(createEmbedderForSpace({ timeoutMs: 1 }, { provider: 'local', model: 'hashed-ngrams-v1', dimensions: 384 })?.space.dimensions).toBe(384);
    expect(createEmbedderForSpace({ timeoutMs: 1 }, { provider: 'openai', model: 'x', dimensions: 8 })).toBeUndefined();
  });
});
