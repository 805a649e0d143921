/**
 * The offline embedder: no model weights, no network. Each text becomes a
 * bag of hashed features — words, word bigrams and character trigrams —
 * projected into a fixed number of dimensions with signed feature hashing,
 * then L2-normalised.
 *
 * What it is: lexical and fuzzy. Texts sharing words, word pairs or spelling
 * fragments end up close (it tolerates inflections and typos: "indexing" is
 * near "indexed"). What it is not: semantic. It does not know that "car" and
 * "automobile" mean the same thing. The default embedder is the
 * all-MiniLM-L6-v2 model (./minilm); this one remains for existing
 * `hashed-ngrams-v1` spaces, for tests that need speed, and as the explicit
 * fallback when the model cannot run (`fallbackReason` then says why).
 */
import type { Embedder, EmbeddingSpaceIdentity } from '../types.js';
import { approximateTokenCount } from './tokens.js';

export const LOCAL_EMBEDDER_MODEL = 'hashed-ngrams-v1';
export const LOCAL_EMBEDDER_DIMENSIONS = 384;

/** 32-bit FNV-1a with a seed, over UTF-16 code units (deterministic across platforms). */
function fnv1a(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const WORD = /[\p{L}\p{N}]+/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Lower-case, compatibility-normalised, accents folded. */
export function normalizeForFeatures(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

const WEIGHTS = { word: 1.0, bigram: 0.7, trigram: 0.45 } as const;

/** Features are hashed from any length of text; this only bounds what callers should send. */
export const LOCAL_EMBEDDER_MAX_TOKENS = 8192;

export function createLocalEmbedder(options: { dimensions?: number; fallbackReason?: string } = {}): Embedder {
  const dimensions = options.dimensions ?? LOCAL_EMBEDDER_DIMENSIONS;
  const space: EmbeddingSpaceIdentity = { provider: 'local', model: LOCAL_EMBEDDER_MODEL, dimensions };

  const add = (vec: Float64Array, feature: string, weight: number) => {
    const h = fnv1a(feature, 0x9e3779b9);
    const sign = fnv1a(feature, 0x85ebca6b) & 1 ? 1 : -1;
    vec[h % dimensions]! += sign * weight;
  };

  const embedOne = (text: string): number[] => {
    const vec = new Float64Array(dimensions);
    const words = normalizeForFeatures(text).match(WORD) ?? [];
    // Count features first, then damp repeats (log tf) so one repeated word cannot dominate.
    const counts = new Map<string, number>();
    const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
    let previous: string | undefined;
    for (const raw of words) {
      // CJK runs have no spaces: treat each character as a word, its neighbours as bigrams.
      const tokens = CJK.test(raw) ? Array.from(raw) : [raw];
      for (const word of tokens) {
        bump(`w:${word}`);
        if (previous !== undefined) bump(`b:${previous} ${word}`);
        previous = word;
        const padded = `<${word}>`;
        if (padded.length > 4) for (let i = 0; i + 3 <= padded.length; i++) bump(`t:${padded.slice(i, i + 3)}`);
      }
    }
    for (const [feature, count] of counts) {
      const kind = feature[0] === 'w' ? WEIGHTS.word : feature[0] === 'b' ? WEIGHTS.bigram : WEIGHTS.trigram;
      add(vec, feature, kind * (1 + Math.log(count)));
    }
    let norm = 0;
    for (let i = 0; i < dimensions; i++) norm += vec[i]! * vec[i]!;
    norm = Math.sqrt(norm);
    const out = new Array<number>(dimensions);
    for (let i = 0; i < dimensions; i++) out[i] = norm > 0 ? Math.round((vec[i]! / norm) * 1e6) / 1e6 : 0;
    // An empty text has no features; give it a fixed unit vector so it is still a valid cosine operand.
    if (norm === 0) out[0] = 1;
    return out;
  };

  return {
    space,
    maxTokens: LOCAL_EMBEDDER_MAX_TOKENS,
    countTokens: approximateTokenCount,
    prefixes: { query: '', passage: '' },
    status: { ...space, runtime: 'hashed', ...(options.fallbackReason ? { fallbackReason: options.fallbackReason } : {}) },
    async embed(texts, _purpose, signal) {
      const out: number[][] = [];
      for (const text of texts) {
        signal?.throwIfAborted();
        out.push(embedOne(text));
      }
      return out;
    },
  };
}
