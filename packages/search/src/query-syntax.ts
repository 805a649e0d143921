/**
 * The search box's syntax. A plain question is a bag of words: no ordinary
 * word is ever an operator ("or", "and", "not" are words; PostgreSQL's
 * tsquery metacharacters are punctuation). Two things are special:
 *
 * - `"a phrase"` in balanced double quotes must appear as written;
 * - ` -word` (after whitespace, not first) excludes passages with that word,
 *   as long as some positive term remains.
 *
 * Everything here is linear in the length of the text, and nothing the user
 * typed is ever spliced into tsquery syntax: the SQL side turns each part into
 * a tsquery with `to_tsvector`, `phraseto_tsquery` and `plainto_tsquery`.
 */

export interface ParsedQuery {
  /** Every positive word, phrases included, as one plain text (the BM25 bag of words). */
  bag: string;
  /** Phrases that must match as written. */
  phrases: string[];
  /** Words whose passages are left out. */
  excluded: string[];
}

/** Bounds the work a hostile query can cause; longer queries are refused before this (SEARCH_LIMITS). */
const MAX_PARTS = 32;

// Control characters (NUL included) are never meaningful in a search: they become spaces.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

export function parseQuerySyntax(input: string): ParsedQuery {
  const text = input.replace(CONTROL, ' ');
  const phrases: string[] = [];
  const rest: string[] = [];
  // Split on double quotes: odd pieces are inside quotes. An unbalanced last quote is plain text.
  const pieces = text.split('"');
  const balanced = pieces.length % 2 === 1;
  pieces.forEach((piece, i) => {
    const quoted = i % 2 === 1 && (balanced || i < pieces.length - 1);
    if (quoted && piece.trim() !== '' && phrases.length < MAX_PARTS) phrases.push(piece.trim());
    else rest.push(piece);
  });

  const words: string[] = [];
  const excluded: string[] = [];
  const candidates: string[] = [];
  const tokens = rest.join(' " ').split(/\s+/);
  let first = true;
  for (const token of tokens) {
    if (token === '') continue;
    if (token === '"') {
      // Where a phrase stood: what follows is not the first term.
      first = false;
      continue;
    }
    if (!first && token.length > 1 && token.startsWith('-') && /[\p{L}\p{N}]/u.test(token[1]!)) {
      candidates.push(token.slice(1));
    } else {
      words.push(token);
    }
    first = false;
  }
  // Exclusion only makes sense beside something to find.
  if (words.length > 0 || phrases.length > 0) excluded.push(...candidates.slice(0, MAX_PARTS));
  else words.push(...candidates);

  return { bag: [...words, ...phrases].join(' '), phrases, excluded };
}
