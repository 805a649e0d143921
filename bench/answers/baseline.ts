/**
 * The extractive answerer as it was before sentence embeddings, furniture
 * filters and the relevance floor (commit 448f530), frozen here so
 * `npm run bench:answers` can compare against it in the same run. Not used
 * by the product.
 */
import type { RetrievedPassage } from '@quarry/search';

const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have how i if in into is it its me my of on or our ' +
    'should so than that the their them then there these they this to was we were what when where which who whom why will with ' +
    'would you your about after any all also am before being between both each few further here more most no nor not only other ' +
    'out over own same she he her his him some such too under until up very via tell explain describe please know'
  ).split(' '),
);

/** Lower-case word stems: enough to match "indexes"/"indexing" with "index". */
function terms(text: string): string[] {
  const words =
    text
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((w) => !STOP_WORDS.has(w) && (w.length > 1 || /\d/.test(w))).map(stem);
}

function stem(word: string): string {
  if (word.length <= 4) return word;
  return word.replace(/(ations?|ingly|ings?|edly|ies|ied|ed|es|s|ly)$/, (m) => (m === 'ies' || m === 'ied' ? 'y' : ''));
}

function splitSentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=[\p{Lu}\p{N}"'(])/u)
    .map((s) => s.trim())
    .filter((s) => s.length >= 12);
}

interface ExtractedSentence {
  /** 1-based source number. */
  n: number;
  sentence: string;
  score: number;
}

interface ExtractiveOptions {
  maxSentences: number;
  /** Share of the question's (weighted) terms a sentence must cover to count as an answer. */
  minCoverage: number;
}

const defaultExtractiveOptions: ExtractiveOptions = { maxSentences: 3, minCoverage: 0.34 };

function extractSentences(
  question: string,
  passages: RetrievedPassage[],
  options = defaultExtractiveOptions,
): ExtractedSentence[] {
  const questionTerms = [...new Set(terms(question))];
  if (questionTerms.length === 0) return [];
  const candidates = passages.flatMap((p, i) =>
    splitSentences(p.text).map((sentence, position) => ({
      n: i + 1,
      sentence,
      position,
      set: new Set(terms(sentence)),
    })),
  );
  // Terms that appear in fewer sentences say more about which sentence answers.
  const df = new Map<string, number>();
  for (const c of candidates) for (const t of questionTerms) if (c.set.has(t)) df.set(t, (df.get(t) ?? 0) + 1);
  const weight = (t: string) => Math.log(1 + (candidates.length + 1) / ((df.get(t) ?? 0) + 0.5));
  const total = questionTerms.reduce((sum, t) => sum + weight(t), 0);
  const scored = candidates
    .map((c) => {
      const covered = questionTerms.reduce((sum, t) => sum + (c.set.has(t) ? weight(t) : 0), 0) / total;
      // Prefer higher-ranked passages slightly, and not overly long sentences.
      const score = covered * (1 - 0.03 * (c.n - 1)) * (c.sentence.length > 400 ? 0.85 : 1);
      return { ...c, covered, score };
    })
    .filter((c) => c.covered >= options.minCoverage)
    .sort((a, b) => b.score - a.score || a.n - b.n || a.position - b.position);
  const chosen: typeof scored = [];
  for (const c of scored) {
    if (chosen.length >= options.maxSentences) break;
    if (chosen.some((x) => x.sentence === c.sentence)) continue;
    chosen.push(c);
  }
  // Read in source order, as written.
  return chosen
    .sort((a, b) => a.n - b.n || a.position - b.position)
    .map((c) => ({ n: c.n, sentence: c.sentence, score: Math.round(c.score * 1000) / 1000 }));
}

/** What the old answer marked as [n] (passage indexes, 0-based) and listed as Sources (every retrieved passage). */
export function baselineAnswer(
  question: string,
  passages: RetrievedPassage[],
): { cited: number[]; sources: number[]; declined: boolean; answer: string } {
  const sentences = extractSentences(question, passages);
  const cited = [...new Set(sentences.map((s) => s.n - 1))];
  const answer = sentences.map((s) => `${s.sentence} [${s.n}]`).join(' ');
  return { cited, sources: passages.map((_, i) => i), declined: sentences.length === 0, answer };
}
