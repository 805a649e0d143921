/**
 * Embeddings from any OpenAI-compatible `/embeddings` endpoint (OpenAI,
 * Ollama, vLLM, text-embeddings-inference). Batches inputs, retries 429 and
 * 5xx (and network errors) with exponential back-off honouring Retry-After,
 * and bounds every request with a timeout.
 */
import type { Embedder, EmbeddingSpaceIdentity } from '../types.js';
import { sleep } from '../sleep.js';
import { approximateTokenCount } from './tokens.js';

/** OpenAI's text-embedding-* input limit; other servers' models are often smaller (set `maxTokens`). */
export const OPENAI_EMBEDDING_MAX_TOKENS = 8191;

export interface OpenAIEmbedderOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  dimensions: number;
  /** Send `dimensions` in the request (only for models that support shortening, e.g. text-embedding-3-*). */
  requestDimensions?: boolean;
  timeoutMs: number;
  /** The model's input limit in its tokens (8191 for OpenAI's text-embedding-* models, the default). */
  maxTokens?: number;
  batchSize?: number;
  /** Upper bound of characters per request, so one batch of long passages stays under server limits. */
  maxBatchChars?: number;
  maxRetries?: number;
  /** First back-off delay; doubles per retry (with jitter), capped at 30 s. */
  retryBaseMs?: number;
  fetch?: typeof fetch;
}

export class EmbeddingProviderError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** Worth retrying later (rate limit, server error, network). */
    readonly transient = false,
  ) {
    super(message);
    this.name = 'EmbeddingProviderError';
  }
}

/** Dimensions of well-known models, so no probe request is needed for them. */
export const KNOWN_EMBEDDING_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
  'nomic-embed-text': 768,
  'mxbai-embed-large': 1024,
  'all-minilm': 384,
  'bge-m3': 1024,
  'snowflake-arctic-embed': 1024,
};

function normalise(v: number[]): number[] {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return n > 0 ? v.map((x) => x / n) : v;
}

export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const space: EmbeddingSpaceIdentity = { provider: 'openai', model: options.model, dimensions: options.dimensions };
  const batchSize = options.batchSize ?? 64;
  const maxBatchChars = options.maxBatchChars ?? 200_000;
  const maxRetries = options.maxRetries ?? 5;
  const retryBase = options.retryBaseMs ?? 500;
  const doFetch = options.fetch ?? fetch;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;

  async function request(input: string[], signal?: AbortSignal): Promise<number[][]> {
    let lastError: EmbeddingProviderError | undefined;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(options.timeoutMs);
      let retryAfterMs: number | undefined;
      try {
        const response = await doFetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify({
            model: options.model,
            input,
            encoding_format: 'float',
            ...(options.requestDimensions ? { dimensions: options.dimensions } : {}),
          }),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        if (response.ok) {
          const body = (await response.json()) as { data?: Array<{ index?: number; embedding?: unknown }> };
          const data = body.data;
          if (!Array.isArray(data) || data.length !== input.length) {
            throw new EmbeddingProviderError(`embedding server returned ${Array.isArray(data) ? data.length : 'no'} vectors for ${input.length} inputs`);
          }
          const out: number[][] = new Array(input.length);
          data.forEach((item, i) => {
            const v = item.embedding;
            if (!Array.isArray(v) || v.length !== options.dimensions || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
              throw new EmbeddingProviderError(
                `embedding model ${options.model} returned a vector of ${Array.isArray(v) ? v.length : 'invalid'} dimensions; expected ${options.dimensions} (check EMBEDDING_DIMENSIONS)`,
              );
            }
            out[item.index ?? i] = normalise(v as number[]);
          });
          return out;
        }
        const transient = response.status === 429 || response.status >= 500;
        const detail = (await response.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
        lastError = new EmbeddingProviderError(
          `embedding server answered ${response.status}${detail ? `: ${detail}` : ''}`,
          response.status,
          transient,
        );
        if (!transient) throw lastError;
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = Math.min(retryAfter * 1000, 30_000);
      } catch (error) {
        if (error instanceof EmbeddingProviderError) {
          if (!error.transient) throw error;
          lastError = error;
        } else if (signal?.aborted) {
          throw signal.reason;
        } else {
          const timedOut = timeout.aborted;
          lastError = new EmbeddingProviderError(
            timedOut ? `embedding server did not answer within ${options.timeoutMs} ms` : `embedding server unreachable: ${(error as Error).message}`,
            undefined,
            true,
          );
        }
      }
      if (attempt < maxRetries) {
        const backoff = Math.min(30_000, retryBase * 2 ** attempt) * (0.75 + Math.random() * 0.5);
        await sleep(retryAfterMs ?? backoff, signal);
      }
    }
    throw lastError ?? new EmbeddingProviderError('embedding failed', undefined, true);
  }

  return {
    space,
    maxTokens: options.maxTokens ?? OPENAI_EMBEDDING_MAX_TOKENS,
    // The server's tokenizer is unknown here: an estimate (see approximateTokenCount).
    countTokens: approximateTokenCount,
    prefixes: { query: '', passage: '' },
    status: { ...space, runtime: 'http' },
    async embed(texts, _purpose, signal) {
      const out: number[][] = [];
      let batch: string[] = [];
      let chars = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        out.push(...(await request(batch, signal)));
        batch = [];
        chars = 0;
      };
      for (const text of texts) {
        // Servers reject empty inputs; a single space embeds as "nothing".
        const input = text.trim() === '' ? ' ' : text;
        if (batch.length >= batchSize || (batch.length > 0 && chars + input.length > maxBatchChars)) await flush();
        batch.push(input);
        chars += input.length;
      }
      await flush();
      return out;
    },
  };
}

/** Asks the server for one vector to learn a model's dimensions. */
export async function probeEmbeddingDimensions(options: Omit<OpenAIEmbedderOptions, 'dimensions'>): Promise<number> {
  const doFetch = options.fetch ?? fetch;
  const response = await doFetch(`${options.baseUrl.replace(/\/+$/, '')}/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
    body: JSON.stringify({ model: options.model, input: ['dimension probe'], encoding_format: 'float' }),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (!response.ok) throw new EmbeddingProviderError(`embedding server answered ${response.status} to a dimension probe`, response.status, true);
  const body = (await response.json()) as { data?: Array<{ embedding?: unknown }> };
  const v = body.data?.[0]?.embedding;
  if (!Array.isArray(v) || v.length === 0) throw new EmbeddingProviderError('embedding server returned no vector to a dimension probe');
  return v.length;
}
