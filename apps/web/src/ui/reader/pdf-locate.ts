/**
 * Finds a passage's text among a PDF page's text items (pdf.js getTextContent),
 * the same items the extractor read the page from. The extractor re-joined
 * words hyphenated across lines and collapsed whitespace, so both sides are
 * compared without whitespace and hyphens; each compared character remembers
 * the item it came from, and the items a match covers are what is highlighted.
 * Pure, so it is tested without a browser.
 */

/** Characters ignored when comparing: whitespace, hyphens and soft hyphens. */
const IGNORED = /[\s\-\u00ad\u2010\u2011]/u;

function normalize(items: ReadonlyArray<{ str?: string }>): { text: string; itemOf: number[] } {
  let text = '';
  const itemOf: number[] = [];
  items.forEach((item, index) => {
    for (const ch of item.str ?? '') {
      if (IGNORED.test(ch)) continue;
      const lower = ch.toLowerCase();
      text += lower;
      for (let k = 0; k < lower.length; k++) itemOf.push(index);
    }
  });
  return { text, itemOf };
}

const squash = (s: string) =>
  [...s]
    .filter((ch) => !IGNORED.test(ch))
    .join('')
    .toLowerCase();

/**
 * The indices of the items the passage covers (first to last, in order), or
 * null when its text is not on the page (text recognised by OCR has no text
 * layer to find it in). A passage whose whole text is not found verbatim is
 * located by its opening and closing words.
 */
export function locatePassage(items: ReadonlyArray<{ str?: string }>, passage: string): number[] | null {
  const page = normalize(items);
  const wanted = squash(passage);
  if (!wanted || !page.text) return null;
  let start = page.text.indexOf(wanted);
  let end = start + wanted.length;
  if (start === -1) {
    const edge = Math.min(48, Math.floor(wanted.length / 2));
    if (edge < 8) return null;
    start = page.text.indexOf(wanted.slice(0, edge));
    if (start === -1) return null;
    const tail = page.text.indexOf(wanted.slice(-edge), start);
    end = tail === -1 ? start + edge : tail + edge;
  }
  const first = page.itemOf[start]!;
  const last = page.itemOf[end - 1]!;
  const covered: number[] = [];
  for (let i = first; i <= last; i++) if ((items[i]?.str ?? '').trim() !== '') covered.push(i);
  return covered;
}
