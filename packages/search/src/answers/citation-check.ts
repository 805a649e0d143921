/**
 * Every `[n]` in a generated answer must name a passage the model was given.
 * The check runs on the stream itself: text from a `[` is held back until
 * its `]` (or until it cannot be a citation), so a reader never sees a
 * citation that is then taken away. `[2, 9]` with one passage given becomes
 * `[2]`; a bracket with no valid number left disappears. Brackets that are
 * not citations (`[sic]`, `[a-z]`) pass through untouched.
 */

/** Longest bracket held back; anything longer is not a citation. */
const MAX_HELD = 24;
const CITATION = /^\[(\d+(?:\s*,\s*\d+)*)\]$/;

export interface CitationCheck {
  /** Takes the next piece of the stream; returns what may be shown now. */
  push(text: string): string;
  /** The end of the stream: whatever is still held back. */
  flush(): string;
  /** Numbers cited that named no given passage, in order of first appearance. */
  readonly removed: number[];
}

export function createCitationCheck(passageCount: number): CitationCheck {
  let held = '';
  const removed: number[] = [];
  const resolve = (bracket: string): string => {
    const match = CITATION.exec(bracket);
    if (!match) return bracket;
    const numbers = match[1]!.split(',').map((s) => Number(s.trim()));
    const valid = numbers.filter((n) => n >= 1 && n <= passageCount);
    for (const n of numbers) if (!valid.includes(n) && !removed.includes(n)) removed.push(n);
    if (valid.length === numbers.length) return bracket;
    return valid.length === 0 ? '' : `[${valid.join(', ')}]`;
  };
  return {
    removed,
    push(text) {
      let out = '';
      for (const ch of text) {
        if (held === '') {
          if (ch === '[') held = ch;
          else out += ch;
          continue;
        }
        if (ch === '[') {
          // A new bracket starts: the old one was not a citation.
          out += held;
          held = ch;
          continue;
        }
        held += ch;
        if (ch === ']') {
          out += resolve(held);
          held = '';
        } else if (held.length > MAX_HELD || !/^\[[\d\s,]*$/.test(held)) {
          out += held;
          held = '';
        }
      }
      return out;
    },
    flush() {
      const rest = held;
      held = '';
      return rest;
    },
  };
}

/** The same check over a finished text (stored answers, tests). */
export function checkCitations(text: string, passageCount: number): { text: string; removed: number[] } {
  const check = createCitationCheck(passageCount);
  const out = check.push(text) + check.flush();
  return { text: out.replace(/ +([.,;:!?])/g, '$1').replace(/ {2,}/g, ' '), removed: check.removed };
}
