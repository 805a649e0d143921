/**
 * all-MiniLM-L6-v2 through the real path: npm-shipped weights → our ONNX graph
 * → onnxruntime-node in the embedding thread.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbedder, createEmbedderForSpace, createMiniLmEmbedder, createMiniLmTokenCounter, MINILM_MAX_TOKENS, MINILM_QUERY_MAX_TOKENS } from '../../index.js';
import { minilmOnnxPath, ensureMiniLmOnnx } from './onnx-cache.js';
import { openMiniLmSession } from './session.js';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));
const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
// The shared test cache (as NODE_ENV=test config uses), so the graph is built once per machine.
const cacheDir = path.join(os.tmpdir(), 'quarry-models');
// The default (int8 dense layers), and the float graph that reproduces the published values.
const embedder = createMiniLmEmbedder({ cacheDir });
const float = createMiniLmEmbedder({ cacheDir, precision: 'fp32' });
const scratch = mkdtempSync(path.join(os.tmpdir(), 'quarry-minilm-test-'));
afterAll(async () => {
  await embedder.close?.();
  await float.close?.();
  rmSync(scratch, { recursive: true, force: true });
});

describe('all-MiniLM-L6-v2 embedder', () => {
  // Reference: the sentence-transformers documentation ("Usage" page of sbert.net), which encodes these
  // three sentences with SentenceTransformer("all-MiniLM-L6-v2") and prints model.similarity(...) as
  // tensor([[1.0000, 0.6660, 0.1046], [0.6660, 1.0000, 0.1411], [0.1046, 0.1411, 1.0000]]).
  const published = ['The weather is lovely today.', "It's so sunny outside!", 'He drove to the stadium.'];
  const expectPublished = (vectors: number[][], tolerance: number) => {
    const [weather, sunny, stadium] = vectors;
    expect(weather).toHaveLength(384);
    expect(Math.abs(cosine(weather!, sunny!) - 0.666)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(cosine(weather!, stadium!) - 0.1046)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(cosine(sunny!, stadium!) - 0.1411)).toBeLessThanOrEqual(tolerance);
    expect(cosine(weather!, weather!)).toBeCloseTo(1, 5);
  };

  it('reproduces the similarities sentence-transformers publishes for this model (±0.001), with float weights', async () => {
    expectPublished(await float.embed(published, 'passage'), 0.001);
    expect(float.space).toEqual({ provider: 'local', model: 'all-MiniLM-L6-v2', dimensions: 384 });
    expect(float.status).toMatchObject({ runtime: 'onnxruntime-node', state: 'ready' });
  });

  it('with int8 weights (the default) stays within 0.02 of them, in a space of its own, each vector within cosine 0.98 of the float one', async () => {
    const quantised = await embedder.embed(published, 'passage');
    expectPublished(quantised, 0.02);
    expect(embedder.space).toEqual({ provider: 'local', model: 'all-MiniLM-L6-v2-int8', dimensions: 384 });
    const exact = await float.embed(published, 'passage');
    for (const [i, vector] of quantised.entries()) expect(cosine(vector, exact[i]!)).toBeGreaterThan(0.98);
  });

  it('puts a paraphrase closer than an unrelated sentence', async () => {
    const [question, paraphrase, unrelated] = await embedder.embed(
      ['How do I reset my password?', 'Steps to recover access when you forget your login credentials', 'The quarterly revenue grew by 12 percent'],
      'passage',
    );
    expect(cosine(question!, paraphrase!)).toBeGreaterThan(cosine(question!, unrelated!) + 0.1);
  });

  it('gives the same vector alone, in a batch, and as a query (no prefixes for this model)', async () => {
    const texts = ['A short one.', 'A considerably longer sentence, so that a batch of these needs padding to one length.', ''];
    const batch = await embedder.embed(texts, 'passage');
    for (const [i, text] of texts.entries()) {
      const [alone] = await embedder.embed([text], 'query');
      expect(cosine(alone!, batch[i]!)).toBeGreaterThan(0.99999);
    }
    expect(embedder.prefixes).toEqual({ query: '', passage: '' });
    // int8 runs one text at a time whatever runBatch says: its activation scale is per run.
    const wide = createMiniLmEmbedder({ cacheDir, runBatch: 8 });
    const again = await wide.embed(texts, 'passage');
    texts.forEach((_, i) => expect(cosine(again[i]!, batch[i]!)).toBeGreaterThan(0.99999));
    await wide.close?.();
    // Float weights do run 8 at a time, padded: the same vectors as one by one.
    const floatWide = createMiniLmEmbedder({ cacheDir, runBatch: 8, precision: 'fp32' });
    const padded = await floatWide.embed(texts, 'passage');
    for (const [i, text] of texts.entries()) expect(cosine(padded[i]!, (await float.embed([text], 'passage'))[0]!)).toBeGreaterThan(0.99999);
    await floatWide.close?.();
  });

  it('keeps the event loop free while it embeds 64 passages', async () => {
    const passage = (i: number) =>
      `Passage ${i}. ` +
      'Quarry splits every uploaded document into heading-aware passages, embeds each passage and indexes it for hybrid search, '.repeat(6);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      const vectors = await embedder.embed(
        Array.from({ length: 64 }, (_, i) => passage(i)),
        'passage',
      );
      expect(vectors).toHaveLength(64);
    } finally {
      clearInterval(timer);
    }
    // 64 passages of ~150 word pieces take seconds of CPU; had they run on this thread, the interval could
    // not have fired in between. It fired many times, so the work ran elsewhere.
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  it('rejects an aborted call and stays usable', async () => {
    const controller = new AbortController();
    const pending = embedder.embed(Array.from({ length: 32 }, (_, i) => `text ${i}`), 'passage', controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await expect(embedder.embed(['x'], 'passage', AbortSignal.abort())).rejects.toThrow();
    expect(await embedder.embed(['still works'], 'query')).toHaveLength(1);
  });

  it('embeds a long call (more slices than Node allows listeners by default) without a leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const vectors = await embedder.embed(Array.from({ length: 120 }, (_, i) => `short passage ${i}`), 'passage', controller.signal);
      expect(vectors).toHaveLength(120);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('reads a query up to 128 word pieces and a passage up to 256', async () => {
    // 150 pieces in common, then different tails: a query stops inside the common part, a passage does not.
    const common = Array.from({ length: 150 }, (_, i) => ['river', 'stone', 'bridge', 'lamp', 'harbour'][i % 5]).join(' ');
    const a = `${common} the ledger records grain shipments to the northern granaries`;
    const b = `${common} quantum chromodynamics describes gluons binding quarks`;
    expect(await embedder.countTokens!(common)).toBeGreaterThan(MINILM_QUERY_MAX_TOKENS);
    const [qa, qb] = await embedder.embed([a, b], 'query');
    expect(cosine(qa!, qb!)).toBeGreaterThan(0.99999);
    const [pa, pb] = await embedder.embed([a, b], 'passage');
    expect(cosine(pa!, pb!)).toBeLessThan(0.999);
  });

  it('counts tokens with the model tokenizer, and knows its limit', async () => {
    expect(embedder.maxTokens).toBe(256);
    expect(await embedder.countTokens!('This is an example sentence')).toBe(7); // [CLS] this is an example sentence [SEP]
  });
});

describe('MiniLM token counter (tokenizer only)', () => {
  const counter = createMiniLmTokenCounter();

  it('counts word pieces including [CLS] and [SEP]', () => {
    expect(counter.maxTokens).toBe(MINILM_MAX_TOKENS);
    expect(counter.count('This is an example sentence')).toBe(7);
    expect(counter.count('unaffable')).toBe(5); // [CLS] una ##ffa ##ble [SEP]
    expect(counter.count('Hello, World!')).toBe(6); // [CLS] hello , world ! [SEP]
    expect(counter.count('')).toBe(2);
    expect(counter.count('word '.repeat(300))).toBe(302);
  });
});

describe('offline, reproducible installs', () => {
  const require = createRequire(import.meta.url);

  it('never touches the network: building the graph, loading and embedding with fetch and sockets disabled', async () => {
    const fetchBefore = globalThis.fetch;
    const connectBefore = net.Socket.prototype.connect;
    const forbidden = () => {
      throw new Error('network access attempted');
    };
    globalThis.fetch = forbidden as typeof fetch;
    net.Socket.prototype.connect = forbidden as typeof net.Socket.prototype.connect;
    try {
      // The thread's whole path, in this thread (where the stubs apply): a fresh build, session, embedding.
      const session = await openMiniLmSession({ cacheDir: scratch, threads: 1, runBatch: 1, precision: 'int8' });
      expect(session.info.built).toBe(true);
      const inThread = await session.embed(['offline embedding']);
      await session.release();
      // And through the embedder (the main-thread side: queue, messages).
      const [viaWorker] = await embedder.embed(['offline embedding'], 'passage');
      expect(cosine(inThread, viaWorker!)).toBeGreaterThan(0.99999);
    } finally {
      globalThis.fetch = fetchBefore;
      net.Socket.prototype.connect = connectBefore;
    }
  });

  it('caches the built graph, verifies it, and rebuilds a corrupt file', () => {
    expect(minilmOnnxPath(scratch, 'int8')).not.toBe(minilmOnnxPath(scratch, 'fp32'));
    const file = minilmOnnxPath(scratch, 'int8');
    expect(existsSync(file)).toBe(true);
    expect(ensureMiniLmOnnx(scratch, 'int8').built).toBe(false);
    truncateSync(file, 1000);
    expect(ensureMiniLmOnnx(scratch, 'int8').built).toBe(true);
    expect(ensureMiniLmOnnx(scratch, 'int8').built).toBe(false);
  });

  it('installs onnxruntime-node without its download step, and its bundled CPU binary loads', () => {
    expect(readFileSync(path.join(root, '.npmrc'), 'utf8')).toMatch(/^onnxruntime-node-install=skip$/m);
    expect(readFileSync(path.join(root, '.ci/run'), 'utf8')).toMatch(/^export ONNXRUNTIME_NODE_INSTALL=skip$/m);
    expect(readFileSync(path.join(root, 'Dockerfile'), 'utf8').match(/^ENV ONNXRUNTIME_NODE_INSTALL=skip$/gm)).toHaveLength(2);
    const binding = path.join(path.dirname(require.resolve('onnxruntime-node')), '../bin/napi-v6/linux/x64/onnxruntime_binding.node');
    expect(existsSync(binding)).toBe(true);
    expect(typeof (require(binding) as { InferenceSession?: unknown }).InferenceSession).toBe('function');
    const lock = readFileSync(path.join(root, 'package-lock.json'), 'utf8');
    expect(lock).not.toMatch(/"resolved":\s*"https?:/);
  });
});

describe('embedder choice', () => {
  it('defaults to all-MiniLM-L6-v2, and falls back to the hashed embedder only with a stated reason', async () => {
    const chosen = await createEmbedder({ timeoutMs: 1_000, modelCacheDir: cacheDir });
    expect(chosen.space).toEqual({ provider: 'local', model: 'all-MiniLM-L6-v2-int8', dimensions: 384 });
    const exact = await createEmbedder({ timeoutMs: 1_000, modelCacheDir: cacheDir, embeddingPrecision: 'fp32' });
    expect(exact.space).toEqual({ provider: 'local', model: 'all-MiniLM-L6-v2', dimensions: 384 });
    const fallback = await createEmbedder({ timeoutMs: 1_000 }, { miniLmUnavailable: () => 'simulated: no native add-on' });
    expect(fallback.space).toEqual({ provider: 'local', model: 'hashed-ngrams-v1', dimensions: 384 });
    expect(fallback.status).toMatchObject({ runtime: 'hashed', fallbackReason: expect.stringContaining('simulated: no native add-on') });
  });

  it('serves every local space: the model at either precision (whatever is configured now), and the hashed one', () => {
    const ai = { timeoutMs: 1_000, modelCacheDir: cacheDir };
    expect(createEmbedderForSpace(ai, { provider: 'local', model: 'all-MiniLM-L6-v2', dimensions: 384 })?.space.model).toBe('all-MiniLM-L6-v2');
    expect(createEmbedderForSpace({ ...ai, embeddingPrecision: 'fp32' }, { provider: 'local', model: 'all-MiniLM-L6-v2-int8', dimensions: 384 })?.space.model).toBe(
      'all-MiniLM-L6-v2-int8',
    );
    expect(createEmbedderForSpace(ai, { provider: 'local', model: 'hashed-ngrams-v1', dimensions: 384 })?.status?.runtime).toBe('hashed');
    expect(createEmbedderForSpace(ai, { provider: 'local', model: 'all-MiniLM-L6-v2', dimensions: 128 })).toBeUndefined();
    expect(createEmbedderForSpace(ai, { provider: 'local', model: 'all-MiniLM-L6-v2', dimensions: 384 }, { miniLmUnavailable: () => 'no' })).toBeUndefined();
  });
});
