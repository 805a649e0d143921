/**
 * Chooses the embedder from configuration: an OpenAI-compatible model when
 * `EMBEDDING_MODEL` is set, otherwise the offline all-MiniLM-L6-v2 model
 * (falling back to the hashed n-gram embedder, and saying so, only when the
 * model cannot run in this process).
 */
import os from 'node:os';
import path from 'node:path';
import type { Embedder, EmbeddingSpaceIdentity } from '../types.js';
import { createLocalEmbedder, LOCAL_EMBEDDER_MODEL } from './local.js';
import { createMiniLmEmbedder, miniLmUnavailableReason, type MiniLmEmbedderOptions } from './minilm/embedder.js';
import type { WeightPrecision } from './minilm/build-graph.js';
import { isMiniLmModel, MINILM_DIMENSIONS, MINILM_INT8_MODEL, MINILM_MODEL } from './minilm/model-files.js';
import { createOpenAIEmbedder, KNOWN_EMBEDDING_DIMENSIONS, probeEmbeddingDimensions } from './openai.js';

export * from './local.js';
export * from './openai.js';
export { approximateTokenCount } from './tokens.js';
export { createMiniLmEmbedder, miniLmUnavailableReason, type MiniLmEmbedderOptions } from './minilm/embedder.js';
export { createMiniLmTokenCounter, type TokenCounter } from './minilm/tokenizer.js';
export {
  isMiniLmModel,
  MINILM_DIMENSIONS,
  MINILM_INT8_MODEL,
  MINILM_MAX_TOKENS,
  MINILM_MODEL,
  MINILM_QUERY_MAX_TOKENS,
} from './minilm/model-files.js';
export type { WeightPrecision } from './minilm/build-graph.js';

/** The subset of `config.ai` the embedders read. */
export interface EmbedderConfig {
  /** The OpenAI-compatible embedding server (EMBEDDING_BASE_URL / EMBEDDING_API_KEY, else the OPENAI_* pair). */
  embedding?: { apiKey?: string; baseUrl: string };
  embeddingModel?: string;
  embeddingDimensions?: number;
  timeoutMs: number;
  /** Where the local model's built ONNX file is cached (config MODEL_CACHE_DIR); default `<os tmpdir>/quarry-models`. */
  modelCacheDir?: string;
  /** The local model's ONNX Runtime threads (config EMBEDDING_THREADS); default: 2, or 1 on one core. */
  embeddingThreads?: number;
  /** The local model's dense-layer weights (config EMBEDDING_PRECISION); default int8. */
  embeddingPrecision?: WeightPrecision;
}

export interface EmbedderTuning {
  retryBaseMs?: number;
  maxRetries?: number;
  batchSize?: number;
  fetch?: typeof fetch;
  /** Options of the local model's thread (threads, run batch, slice size). */
  miniLm?: Omit<MiniLmEmbedderOptions, 'cacheDir'>;
  /** Why the local model cannot run, or undefined when it can (default: `miniLmUnavailableReason`; tests replace it). */
  miniLmUnavailable?: () => string | undefined;
}

const defaultModelCacheDir = () => path.join(os.tmpdir(), 'quarry-models');

function miniLm(ai: EmbedderConfig, tuning: EmbedderTuning, precision = ai.embeddingPrecision): Embedder {
  return createMiniLmEmbedder({
    cacheDir: ai.modelCacheDir ?? defaultModelCacheDir(),
    threads: ai.embeddingThreads,
    ...(precision ? { precision } : {}),
    ...tuning.miniLm,
  });
}

/**
 * The configured embedder. For an OpenAI-compatible model of unknown
 * dimensions (not in the table, no EMBEDDING_DIMENSIONS) it asks the server once.
 * Without EMBEDDING_MODEL: all-MiniLM-L6-v2 (space local / all-MiniLM-L6-v2 / 384;
 * EMBEDDING_DIMENSIONS does not apply), or — only when this process cannot run it —
 * the hashed embedder, whose `status.fallbackReason` says why.
 */
export async function createEmbedder(ai: EmbedderConfig, tuning: EmbedderTuning = {}): Promise<Embedder> {
  if (!ai.embeddingModel || !ai.embedding) {
    const unavailable = (tuning.miniLmUnavailable ?? miniLmUnavailableReason)();
    if (unavailable === undefined) return miniLm(ai, tuning);
    return createLocalEmbedder({ fallbackReason: `${MINILM_MODEL} cannot run here: ${unavailable}` });
  }
  const base = { baseUrl: ai.embedding.baseUrl, apiKey: ai.embedding.apiKey, model: ai.embeddingModel, timeoutMs: ai.timeoutMs, ...tuning };
  const dimensions =
    ai.embeddingDimensions ?? KNOWN_EMBEDDING_DIMENSIONS[ai.embeddingModel] ?? (await probeEmbeddingDimensions(base));
  return createOpenAIEmbedder({
    ...base,
    dimensions,
    requestDimensions: ai.embeddingDimensions !== undefined && ai.embeddingModel.startsWith('text-embedding-3'),
  });
}

/**
 * An embedder for an existing space (e.g. the still-active old space while a
 * new model re-embeds), or undefined when this configuration cannot produce it.
 * Queries must be embedded in the space they are compared with.
 */
export function createEmbedderForSpace(ai: EmbedderConfig, space: EmbeddingSpaceIdentity, tuning: EmbedderTuning = {}): Embedder | undefined {
  if (space.provider === 'local') {
    if (isMiniLmModel(space.model)) {
      if (space.dimensions !== MINILM_DIMENSIONS) return undefined;
      const precision: WeightPrecision = space.model === MINILM_INT8_MODEL ? 'int8' : 'fp32';
      return (tuning.miniLmUnavailable ?? miniLmUnavailableReason)() === undefined ? miniLm(ai, tuning, precision) : undefined;
    }
    if (space.model === LOCAL_EMBEDDER_MODEL) return createLocalEmbedder({ dimensions: space.dimensions });
    return undefined;
  }
  if (space.provider === 'openai' && ai.embedding) {
    return createOpenAIEmbedder({
      baseUrl: ai.embedding.baseUrl,
      apiKey: ai.embedding.apiKey,
      model: space.model,
      dimensions: space.dimensions,
      requestDimensions: space.model.startsWith('text-embedding-3') && KNOWN_EMBEDDING_DIMENSIONS[space.model] !== space.dimensions,
      timeoutMs: ai.timeoutMs,
      ...tuning,
    });
  }
  return undefined;
}
