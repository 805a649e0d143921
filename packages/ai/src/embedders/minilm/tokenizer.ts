/**
 * all-MiniLM-L6-v2's own WordPiece tokenizer (BERT uncased: lower-cased,
 * accents stripped, CJK characters split), pure JavaScript. No ONNX runtime:
 * cheap enough to use inside any worker thread for sizing passages.
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { sha256Hex } from './safetensors.js';
import { locateMiniLmFiles, MINILM_MAX_TOKENS, MINILM_TOKENIZER_SHA256 } from './model-files.js';

const CLS = 101;
const SEP = 102;

export interface MiniLmTokenizer {
  /** Word-piece ids with [CLS] … [SEP], truncated to `limit` (default `maxTokens`) like sentence-transformers does. */
  encode(text: string, limit?: number): number[];
  /** Word pieces of `text` including [CLS] and [SEP], not truncated. */
  count(text: string): number;
  readonly maxTokens: number;
}

let shared: MiniLmTokenizer | undefined;

/** One tokenizer per thread, built on first use (~100 ms, ~10 MB). */
export function loadMiniLmTokenizer(): MiniLmTokenizer {
  if (shared) return shared;
  const file = locateMiniLmFiles().tokenizer;
  const bytes = readFileSync(file);
  const actual = sha256Hex(bytes);
  if (actual !== MINILM_TOKENIZER_SHA256) throw new Error(`${file} has SHA-256 ${actual}; expected ${MINILM_TOKENIZER_SHA256} (reinstall: npm ci)`);
  // tokenizer.json carries everything WordPiece needs; no tokenizer_config.json is required.
  const tokenizer = new Tokenizer(JSON.parse(bytes.toString('utf8')) as object, {});
  const maxTokens = MINILM_MAX_TOKENS;
  shared = {
    maxTokens,
    count: (text) => tokenizer.encode(text).ids.length,
    encode: (text, limit = maxTokens) => {
      const ids = tokenizer.encode(text).ids;
      const keep = Math.max(2, Math.min(limit, maxTokens));
      if (ids.length <= keep) return ids;
      const kept = ids.slice(0, keep - 1);
      kept[0] = CLS;
      kept.push(SEP);
      return kept;
    },
  };
  return shared;
}

export interface TokenCounter {
  /** Tokens `text` takes in the model's input, including [CLS] and [SEP]; compare with `maxTokens`. */
  count(text: string): number;
  /** The longest input the model reads; longer texts are truncated when embedded. */
  readonly maxTokens: number;
}

/**
 * A standalone token counter for all-MiniLM-L6-v2: tokenizer only, no model
 * weights or ONNX runtime, safe to create in any thread (the tokenizer is
 * loaded on the first `count`, once per thread).
 */
export function createMiniLmTokenCounter(): TokenCounter {
  return {
    maxTokens: MINILM_MAX_TOKENS,
    count: (text) => loadMiniLmTokenizer().count(text),
  };
}
