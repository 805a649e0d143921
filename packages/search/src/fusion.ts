/**
 * Reciprocal rank fusion: each list contributes `weight / (k + rank)` for
 * every passage it ranks (rank starting at 1). Robust to the incomparable
 * score scales of `ts_rank_cd` and cosine distance.
 */
import { isMiniLmModel, LOCAL_EMBEDDER_MODEL } from '@quarry/ai';
import type { Candidate } from './types.js';

export interface FusionOptions {
  k: number;
  keywordWeight: number;
  semanticWeight: number;
}

/** The usual RRF constant with equal weights: untuned, for embedding models we could not measure. */
export const defaultFusion: FusionOptions = { k: 60, keywordWeight: 1, semanticWeight: 1 };

/**
 * For the offline local embedder (lexical hashed n-grams): tuned on the dev half of the labelled
 * set (`npm run eval -- --tune`, split by document) and checked on the held-out half; see
 * docs/benchmarks.md "Retrieval quality". Its vectors mostly repeat what keywords already found,
 * so they get half the weight, and a small k trusts the top of each list.
 */
export const localEmbedderFusion: FusionOptions = { k: 5, keywordWeight: 1, semanticWeight: 0.5 };

/**
 * For all-MiniLM-L6-v2 (the offline default): on CISI, the development collection, a grid over
 * k 10–100 and semantic weight 0.5–2 is flat (nDCG@10 0.433–0.456, docs/benchmarks.md), so the
 * untuned standard is kept rather than the grid's best, which would be fitting noise.
 */
export const miniLmFusion: FusionOptions = defaultFusion;

export function fusionForSpace(space: { provider: string; model?: string } | undefined): FusionOptions {
  if (space?.provider === 'local' && space.model === LOCAL_EMBEDDER_MODEL) return localEmbedderFusion;
  return isMiniLm(space) ? miniLmFusion : defaultFusion;
}

/**
 * The relevance floor: dense candidates below this cosine similarity are not matches (so gibberish
 * finds nothing). Calibrated per model on CISI: MiniLM puts made-up and off-topic queries' nearest
 * passage at 0.20–0.32 and every judged query's at 0.39 or more; 0.30 costs hybrid nothing there
 * (nDCG@10 and recall@100 unchanged). Models not measured get no floor: their similarity scales differ.
 */
export function minSimilarityForSpace(space: { provider: string; model?: string } | undefined): number {
  return isMiniLm(space) ? 0.3 : -1;
}

function isMiniLm(space: { provider: string; model?: string } | undefined): boolean {
  return space?.provider === 'local' && isMiniLmModel(space.model ?? '');
}

export function reciprocalRankFusion(keyword: Candidate[], semantic: Candidate[], options: FusionOptions = defaultFusion): Candidate[] {
  const scores = new Map<string, { score: number; best: number; documentId?: string }>();
  const add = (list: Candidate[], weight: number) => {
    list.forEach((c, i) => {
      const entry = scores.get(c.passageId) ?? { score: 0, best: Number.POSITIVE_INFINITY, ...(c.documentId !== undefined ? { documentId: c.documentId } : {}) };
      entry.score += weight / (options.k + i + 1);
      entry.best = Math.min(entry.best, i);
      scores.set(c.passageId, entry);
    });
  };
  add(keyword, options.keywordWeight);
  add(semantic, options.semanticWeight);
  return [...scores.entries()]
    .sort((a, b) => b[1].score - a[1].score || a[1].best - b[1].best || (a[0] < b[0] ? -1 : 1))
    .map(([passageId, { score, documentId }]) => ({ passageId, score, ...(documentId !== undefined ? { documentId } : {}) }));
}
