/**
 * The answer without a chat model: the retrieved passages' sentences that are
 * closest to the question (`selection.ts`), minus what is not prose
 * (`sentences.ts`), read in document order and each cited. Sources are the
 * passages cited, numbered as they first appear. When the best sentence is
 * below the relevance floor the answer says the documents do not cover the
 * question and offers the nearest passages as closest matches, not sources.
 */
import type { Embedder, EmbeddingSpaceIdentity } from '@quarry/ai';
import type { RetrievedPassage } from '../service.js';
import { excerpt } from '../snippets.js';
import { selectionForSpace } from './calibration.js';
import { NO_ANSWER_SENTENCE } from './prompt.js';
import { selectSentences, type ScoredSentence, type Selection, type SelectionOptions } from './selection.js';
import { candidateSentences, type CandidateSentence } from './sentences.js';

export interface Citation {
  n: number;
  documentId: string;
  documentTitle: string;
  passageId: string;
  page: number | null;
  /** Plain text (not HTML) from the passage. */
  quote: string;
}

/** A passage near the question that does not answer it: shown apart from sources. */
export type ClosestMatch = Omit<Citation, 'n'>;

export interface ExtractiveAnswer {
  /** The answer in the pieces it is streamed in (joined, the answer). */
  pieces: string[];
  citations: Citation[];
  closestMatches: ClosestMatch[];
  covered: boolean;
}

/** The question's vector and the embedder of the active space (`SearchService.questionEmbedding`). */
export interface QuestionEmbedding {
  space: EmbeddingSpaceIdentity;
  embedder: Embedder;
  vector: number[];
}

export const NO_PASSAGES = 'No passages in this workspace match the question, so there is nothing to answer from.';
export const NOT_COVERED = `${NO_ANSWER_SENTENCE} The closest matches are listed below; they do not answer it.`;
const CLOSEST_MATCHES = 3;
/** Sentences embedded per answer at most (the best by term coverage beyond that), so the cost stays bounded. */
const MAX_EMBEDDED = 96;

/** Candidates and their vectors: the costly half, separate so the benchmark can score many settings once. */
export async function prepareCandidates(
  passages: RetrievedPassage[],
  embedding: QuestionEmbedding | undefined,
  signal?: AbortSignal,
): Promise<{ candidates: CandidateSentence[]; vectors?: { question: number[]; sentences: number[][] } }> {
  const candidates = candidateSentences(passages.map((p) => p.text)).slice(0, MAX_EMBEDDED);
  if (embedding === undefined || candidates.length === 0) return { candidates };
  try {
    const sentences = await embedding.embedder.embed(
      candidates.map((c) => c.text),
      'passage',
      signal,
    );
    if (sentences.length !== candidates.length) return { candidates };
    return { candidates, vectors: { question: embedding.vector, sentences } };
  } catch (error) {
    if (signal?.aborted) throw error;
    // The embedder failed (a remote model's outage): term coverage alone still gives an answer.
    return { candidates };
  }
}

export async function extractiveAnswer(
  question: string,
  passages: RetrievedPassage[],
  embedding: QuestionEmbedding | undefined,
  options?: Partial<SelectionOptions>,
  signal?: AbortSignal,
): Promise<ExtractiveAnswer> {
  if (passages.length === 0) return { pieces: [NO_PASSAGES], citations: [], closestMatches: [], covered: false };
  const { candidates, vectors } = await prepareCandidates(passages, embedding, signal);
  const selection = selectSentences(
    question,
    candidates,
    { ...selectionForSpace(embedding?.space), ...options },
    vectors,
  );
  return composeAnswer(passages, selection);
}

/** Orders the chosen sentences for reading, numbers the cited passages, or lists closest matches. */
export function composeAnswer(passages: RetrievedPassage[], selection: Selection): ExtractiveAnswer {
  if (!selection.covered || selection.chosen.length === 0) {
    return {
      pieces: [NOT_COVERED],
      citations: [],
      closestMatches: closestMatches(passages, selection.ranked),
      covered: false,
    };
  }
  const reading = readingOrder(passages, selection.chosen);
  const numbers = new Map<number, number>();
  const quotes = new Map<number, string[]>();
  for (const s of reading) {
    if (!numbers.has(s.passage)) numbers.set(s.passage, numbers.size + 1);
    quotes.set(s.passage, [...(quotes.get(s.passage) ?? []), s.text]);
  }
  const pieces = reading.map((s, i) => `${i === 0 ? '' : ' '}${s.text} [${numbers.get(s.passage)!}]`);
  const citations = [...numbers].map(([index, n]) => ({
    n,
    ...reference(passages[index]!, quotes.get(index)!.join(' ')),
  }));
  return { pieces, citations, closestMatches: [], covered: true };
}

/**
 * Documents in the order of their best sentence, and within a document the
 * sentences as written (passage ordinal, then position): a reader meets the
 * best source first and each source's sentences in their own order.
 */
function readingOrder(passages: RetrievedPassage[], chosen: ScoredSentence[]): ScoredSentence[] {
  const documentRank = new Map<string, number>();
  for (const s of chosen) {
    const id = passages[s.passage]!.documentId;
    if (!documentRank.has(id)) documentRank.set(id, documentRank.size);
  }
  const key = (s: ScoredSentence) => {
    const p = passages[s.passage]!;
    return [documentRank.get(p.documentId)!, p.ordinal ?? s.passage, s.passage, s.position];
  };
  return [...chosen].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
    return 0;
  });
}

function closestMatches(passages: RetrievedPassage[], ranked: ScoredSentence[]): ClosestMatch[] {
  const out: ClosestMatch[] = [];
  const seen = new Set<number>();
  for (const s of ranked) {
    if (out.length >= CLOSEST_MATCHES) break;
    if (seen.has(s.passage)) continue;
    seen.add(s.passage);
    out.push(reference(passages[s.passage]!, s.text));
  }
  // Passages with no quotable sentence still are near: retrieval ranked them.
  for (let i = 0; i < passages.length && out.length < CLOSEST_MATCHES; i++) {
    if (seen.has(i)) continue;
    seen.add(i);
    out.push(reference(passages[i]!, excerpt(passages[i]!.text, 300)));
  }
  return out;
}

function reference(p: RetrievedPassage, quote: string): ClosestMatch {
  return { documentId: p.documentId, documentTitle: p.documentTitle, passageId: p.passageId, page: p.page, quote };
}
