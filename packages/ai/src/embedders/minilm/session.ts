/**
 * The model itself: tokenizer + ONNX Runtime session over the cached graph.
 * Runs wherever it is called — in production only inside the embedding
 * thread (worker-entry.ts); tests also call it directly.
 */
import * as ort from 'onnxruntime-node';
import type { WeightPrecision } from './build-graph.js';
import { MINILM_DIMENSIONS } from './model-files.js';
import { ensureMiniLmOnnx } from './onnx-cache.js';
import type { ReadyInfo } from './protocol.js';
import { loadMiniLmTokenizer } from './tokenizer.js';

export interface MiniLmSession {
  info: ReadyInfo;
  /**
   * Embeddings of `texts`, row after row ([texts.length × 384], L2-normalised), in input order;
   * each text read up to `maxTokens` word pieces (default: the model's 256).
   */
  embed(texts: string[], maxTokens?: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function openMiniLmSession(options: {
  cacheDir: string;
  threads: number;
  runBatch: number;
  precision?: WeightPrecision;
}): Promise<MiniLmSession> {
  const tokenizer = loadMiniLmTokenizer();
  // int8 quantises each run's activations with one scale for the whole run, so a text's vector would
  // depend on the texts (and padding) beside it: int8 runs one text at a time, which is fastest on CPU anyway.
  const runBatch = options.precision === 'int8' ? 1 : Math.max(1, options.runBatch);
  const onnx = ensureMiniLmOnnx(options.cacheDir, options.precision);
  const started = performance.now();
  const session = await ort.InferenceSession.create(onnx.path, {
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const info: ReadyInfo = { onnxPath: onnx.path, built: onnx.built, prepareMs: onnx.ms, sessionMs: performance.now() - started };

  const run = async (ids: number[][]): Promise<Float32Array> => {
    const batch = ids.length;
    const seq = Math.max(...ids.map((x) => x.length));
    const inputIds = new BigInt64Array(batch * seq);
    const mask = new BigInt64Array(batch * seq);
    ids.forEach((row, b) => {
      for (let i = 0; i < row.length; i++) {
        inputIds[b * seq + i] = BigInt(row[i]!);
        mask[b * seq + i] = 1n;
      }
    });
    const out = await session.run({
      input_ids: new ort.Tensor('int64', inputIds, [batch, seq]),
      attention_mask: new ort.Tensor('int64', mask, [batch, seq]),
    });
    return out.sentence_embedding!.data as Float32Array;
  };

  return {
    info,
    async embed(texts, maxTokens) {
      const encoded = texts.map((t) => tokenizer.encode(t, maxTokens));
      // Group by length so a run pads as little as possible; results go back in input order.
      const order = encoded.map((_, i) => i).sort((a, b) => encoded[a]!.length - encoded[b]!.length);
      const vectors = new Float32Array(texts.length * MINILM_DIMENSIONS);
      for (let start = 0; start < order.length; start += runBatch) {
        const group = order.slice(start, start + runBatch);
        const data = await run(group.map((i) => encoded[i]!));
        group.forEach((index, k) =>
          vectors.set(data.subarray(k * MINILM_DIMENSIONS, (k + 1) * MINILM_DIMENSIONS), index * MINILM_DIMENSIONS),
        );
      }
      return vectors;
    },
    release: () => session.release(),
  };
}
