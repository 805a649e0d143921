/**
 * Candidate sentences for an extractive answer. A passage's text is what the
 * extractor saw, so besides prose it holds headings, table-of-contents lines
 * with dot leaders, running headers and footers repeated on every page, and
 * table rows flattened into text. Quoted, those read as nonsense — and they
 * share the question's words often enough to win on term overlap — so they
 * are dropped here, before any scoring.
 */
import { STOP_WORDS, words } from './terms.js';

export interface CandidateSentence {
  /** Index of the passage in the retrieved list. */
  passage: number;
  /** Position of the sentence in its passage. */
  position: number;
  text: string;
}

/** Dot (or underscore, or ellipsis) leaders: ". . . . ." / "......" / "____" — a table of contents or a form. */
const LEADERS = /(?:\.\s?){4,}|…{2,}|(?:…\s?){2,}|_{4,}|(?:·\s?){3,}/u;
/** "3.2 Invoking asn1Coding 12", "Chapter 4 Results 37": a numbered heading followed by its page number. */
const TOC_ENTRY = /^(?:(?:chapter|section|part|appendix)\s+)?[\dIVXivx]+(?:\.\d+)*\.?\s+\S.{0,100}?\s+\d{1,4}$/iu;
/** Page furniture whatever the document: "Page 3", "Page 3 of 10", "- 12 -", "12". */
const PAGE_MARK = /^(?:page\s+\d+(?:\s+of\s+\d+)?|-?\s*\d{1,4}\s*-?|\d+\s*\/\s*\d+)$/iu;
const TERMINAL = /[.!?:;]["'’”)\]]*$/u;

/** Whether a line is a table-of-contents entry (dot leaders, or a numbered heading ending in a page number). */
export function isTocLine(line: string): boolean {
  const s = line.trim();
  return LEADERS.test(s) || (!TERMINAL.test(s) && TOC_ENTRY.test(s));
}

/**
 * Whether a line is a flattened table row: cell separators, columns of
 * spaces, mostly numbers, or many words with almost no function words.
 */
export function isTableFragment(line: string): boolean {
  const s = line.trim();
  if ((s.match(/\|/g) ?? []).length >= 2 || (s.match(/\t/g) ?? []).length >= 2) return true;
  if ((s.match(/\S {3,}(?=\S)/g) ?? []).length >= 2) return true;
  const ws = words(s);
  if (ws.length >= 4 && ws.filter((w) => /^\d+([.,]\d+)?$/.test(w)).length / ws.length > 0.4) return true;
  // Prose of ten words or more has function words; a row of cells ("Noun Verb Adjective …") has almost none.
  if (ws.length >= 10 && ws.filter((w) => STOP_WORDS.has(w)).length / ws.length < 0.1) return true;
  return false;
}

/** A key under which a running header or footer is the same on every page: case, digits and punctuation ignored. */
export function furnitureKey(line: string): string {
  return line
    .toLowerCase()
    .replace(/\d+/g, '#')
    .replace(/[^\p{L}#]+/gu, ' ')
    .trim();
}

/**
 * Short lines that recur across the given passages (in two passages or twice
 * in one), ignoring page numbers: running headers and footers. Sentences
 * repeated by chunk overlap are prose with an end stop and are not counted.
 */
export function findFurniture(texts: string[]): Set<string> {
  const seen = new Map<string, { passages: Set<number>; count: number }>();
  texts.forEach((text, i) => {
    for (const line of linesOf(text)) {
      if (TERMINAL.test(line) || words(line).length > 12) continue;
      const key = furnitureKey(line);
      if (key.replace(/[#\s]/g, '').length < 3) continue;
      const entry = seen.get(key) ?? { passages: new Set(), count: 0 };
      entry.passages.add(i);
      entry.count += 1;
      seen.set(key, entry);
    }
  });
  return new Set([...seen].filter(([, e]) => e.passages.size >= 2 || e.count >= 2).map(([key]) => key));
}

function linesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Whether a piece reads as a sentence (or a list item long enough to be one), not a heading or label. */
function readsAsSentence(s: string): boolean {
  const n = words(s).length;
  if (n < 4 || s.length < 20) return false;
  if (!/\p{L}{2}/u.test(s)) return false;
  return TERMINAL.test(s) || n >= 8;
}

/** Splits prose into sentences (after ., ! or ? followed by a capital, a digit or an opening quote). */
export function splitSentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?]["'’”)\]]*)\s+(?=[\p{Lu}\p{N}"'(“‘])/u)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The sentences of the passages worth quoting, furniture, contents lines and table rows removed. */
export function candidateSentences(texts: string[]): CandidateSentence[] {
  const furniture = findFurniture(texts);
  const out: CandidateSentence[] = [];
  texts.forEach((text, passage) => {
    let position = 0;
    for (const line of linesOf(text)) {
      if (furniture.has(furnitureKey(line)) || PAGE_MARK.test(line) || isTocLine(line) || isTableFragment(line))
        continue;
      const bullet = line.replace(/^(?:[-*•◦▪]|\d{1,2}[.)])\s+/u, '');
      for (const sentence of splitSentences(bullet)) {
        if (isTocLine(sentence) || isTableFragment(sentence) || !readsAsSentence(sentence)) continue;
        out.push({ passage, position: position++, text: sentence });
      }
    }
  });
  return out;
}
