/**
 * Chooses the embedder from configuration: an OpenAI-compatible model when
 * `EMBEDDING_MODEL` is set, otherwise the offline `local` embedder.
 */
import type { Embedder, EmbeddingSpaceIdentity } from '../types.js';
import { createLocalEmbedder, LOCAL_EMBEDDER_DIMENSIONS } from './local.js';
import { createOpenAIEmbedder, KNOWN_EMBEDDING_DIMENSIONS, probeEmbeddingDimensions } from './openai.js';

export * from './local.js';
export * from './openai.js';

/** The subset of `config.ai` the embedders read. */
export interface EmbedderConfig {
  openai?: { apiKey?: string; baseUrl: string };
  embeddingModel?: string;
  embeddingDimensions?: number;
  timeoutMs: number;
}

export interface EmbedderTuning {
  retryBaseMs?: number;
  maxRetries?: number;
  batchSize?: number;
  fetch?: typeof fetch;
}

/**
 * The configured embedder. For an OpenAI-compatible model of unknown
 * dimensions (not in the table, no EMBEDDING_DIMENSIONS) it asks the server once.
 */
export async function createEmbedder(ai: EmbedderConfig, tuning: EmbedderTuning = {}): Promise<Embedder> {
  if (!ai.embeddingModel || !ai.openai) {
    return createLocalEmbedder({ dimensions: ai.embeddingModel ? undefined : (ai.embeddingDimensions ?? LOCAL_EMBEDDER_DIMENSIONS) });
  }
  const base = { baseUrl: ai.openai.baseUrl, apiKey: ai.openai.apiKey, model: ai.embeddingModel, timeoutMs: ai.timeoutMs, ...tuning };
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
  if (space.provider === 'local') return createLocalEmbedder({ dimensions: space.dimensions });
  if (space.provider === 'openai' && ai.openai) {
    return createOpenAIEmbedder({
      baseUrl: ai.openai.baseUrl,
      apiKey: ai.openai.apiKey,
      model: space.model,
      dimensions: space.dimensions,
      requestDimensions: space.model.startsWith('text-embedding-3') && KNOWN_EMBEDDING_DIMENSIONS[space.model] !== space.dimensions,
      timeoutMs: ai.timeoutMs,
      ...tuning,
    });
  }
  return undefined;
}
