/**
 * Which sentences answer the question. Each candidate gets a relevance: its
 * embedding's cosine similarity to the question's (when the model can give
 * one) plus a weight times the share of the question's terms it contains
 * (rarer terms weigh more). Sentences are then taken greedily by maximal
 * marginal relevance, so a second sentence that repeats the first is passed
 * over, and only while they stay close to the best one: a weak extra sentence
 * usually comes from a passage that is not about the question, and would make
 * it a source. Below the floor nothing is chosen: the documents do not cover
 * the question.
 */
import type { CandidateSentence } from './sentences.js';
import { terms } from './terms.js';

export interface SelectionOptions {
  maxSentences: number;
  /** Weight of term coverage (0–1) added to the cosine similarity. */
  coverageWeight: number;
  /** Relevance lost per rank of the sentence's passage in retrieval (hybrid rank is evidence too). */
  rankPenalty: number;
  /** A further sentence must reach this share of the best sentence's relevance. */
  keepRatio: number;
  /** MMR trade-off: 1 ranks by relevance alone, lower penalises resemblance to sentences already chosen. */
  lambda: number;
  /** Two sentences this similar (cosine, or word overlap without vectors) are the same sentence. */
  duplicate: number;
  /** The relevance floor: a best sentence below it means the documents do not cover the question. */
  floor: number;
  /** Without a calibrated floor for the embedder (or without vectors), the best sentence must cover this share of the question's terms. */
  minCoverage: number;
  /** Whether `floor` was calibrated for this embedder; if not, `minCoverage` decides instead. */
  calibrated: boolean;
}

export interface ScoredSentence extends CandidateSentence {
  relevance: number;
  coverage: number;
  similarity: number | null;
}

export interface Selection {
  /** Chosen sentences, best first (the caller orders them for reading). */
  chosen: ScoredSentence[];
  /** Every candidate, scored, best first (closest matches come from these). */
  ranked: ScoredSentence[];
  covered: boolean;
}

export function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const t of a) if (b.has(t)) shared += 1;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}

/**
 * @param vectors the question's vector and one per candidate, L2-normalised (as `Embedder.embed` returns) and in
 *   one space; undefined when there are none (term coverage alone then ranks)
 */
export function selectSentences(
  question: string,
  candidates: CandidateSentence[],
  options: SelectionOptions,
  vectors?: { question: number[]; sentences: number[][] },
): Selection {
  const questionTerms = [...new Set(terms(question))];
  const sets = candidates.map((c) => new Set(terms(c.text)));
  // Terms that appear in fewer sentences say more about which sentence answers.
  const df = new Map<string, number>();
  for (const set of sets) for (const t of questionTerms) if (set.has(t)) df.set(t, (df.get(t) ?? 0) + 1);
  const weight = (t: string) => Math.log(1 + (candidates.length + 1) / ((df.get(t) ?? 0) + 0.5));
  const total = questionTerms.reduce((sum, t) => sum + weight(t), 0);
  const scored: ScoredSentence[] = candidates.map((c, i) => {
    const coverage =
      total === 0 ? 0 : questionTerms.reduce((sum, t) => sum + (sets[i]!.has(t) ? weight(t) : 0), 0) / total;
    const similarity = vectors ? dot(vectors.question, vectors.sentences[i]!) : null;
    const base = (similarity ?? 0) + options.coverageWeight * coverage;
    // Long sentences cover more words by length alone.
    const relevance = base * (1 - options.rankPenalty * c.passage) * (c.text.length > 400 ? 0.85 : 1);
    return { ...c, coverage, similarity, relevance };
  });
  const order = scored.map((_, i) => i).sort((a, b) => scored[b]!.relevance - scored[a]!.relevance || a - b);
  const ranked = order.map((i) => scored[i]!);
  const best = ranked[0];
  const covered =
    best !== undefined &&
    (options.calibrated && vectors
      ? best.relevance >= options.floor
      : Math.max(...scored.map((s) => s.coverage)) >= options.minCoverage);
  if (!covered) return { chosen: [], ranked, covered: false };

  const resemblance = (a: number, b: number) =>
    vectors ? dot(vectors.sentences[a]!, vectors.sentences[b]!) : jaccard(sets[a]!, sets[b]!);
  // Word overlap runs lower than cosine for the same resemblance.
  const duplicate = vectors ? options.duplicate : Math.min(options.duplicate, 0.7);
  const chosen: number[] = [];
  const threshold = best.relevance * options.keepRatio;
  const pool = order.filter(
    (i) => scored[i]!.relevance >= threshold && (vectors || scored[i]!.coverage >= options.minCoverage),
  );
  while (chosen.length < options.maxSentences) {
    let pick = -1;
    let pickScore = Number.NEGATIVE_INFINITY;
    for (const i of pool) {
      if (chosen.includes(i)) continue;
      const closest = chosen.reduce((m, j) => Math.max(m, resemblance(i, j)), 0);
      if (closest >= duplicate || chosen.some((j) => scored[j]!.text === scored[i]!.text)) continue;
      const mmr = options.lambda * scored[i]!.relevance - (1 - options.lambda) * closest;
      if (mmr > pickScore) {
        pick = i;
        pickScore = mmr;
      }
    }
    if (pick < 0) break;
    chosen.push(pick);
  }
  return { chosen: chosen.map((i) => scored[i]!), ranked, covered: true };
}
