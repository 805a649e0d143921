/**
 * Running headers and footers of a PDF: the lines at the top or bottom of
 * most pages that say the same thing on each ("ACME Ltd — Confidential",
 * "Page 3 of 40"). They would otherwise be indexed once per page, match every
 * search for their words, and split sentences that run across pages.
 *
 * A short line is compared with digits ignored (page numbers differ), among the two
 * first and two last non-blank lines of each page; one found there on at least
 * half of the pages (and on three or more) is removed from those places only.
 * Linear in the text: one pass to count, one to remove.
 */

/** Lines looked at, at each end of a page. */
const EDGE_LINES = 2;
/** Lines longer than this are body text, never a running header. */
const MAX_RUNNING_CHARS = 200;

/** Up to this length digits are ignored ("Page 3 of 40"); a longer line must repeat exactly to count as running. */
const NUMBERED_CHARS = 40;

const keyOf = (line: string) => {
  const t = line.replace(/\s+/g, ' ').trim().toLowerCase();
  return t.length <= NUMBERED_CHARS ? t.replace(/\d+/g, '#') : t;
};

/** Indexes of the first and last EDGE_LINES non-blank lines. */
function edgeIndexes(lines: string[]): number[] {
  const filled: number[] = [];
  for (let i = 0; i < lines.length && filled.length < EDGE_LINES; i++) if (lines[i]!.trim()) filled.push(i);
  const tail: number[] = [];
  for (let i = lines.length - 1; i >= 0 && tail.length < EDGE_LINES; i--) if (lines[i]!.trim()) tail.push(i);
  return [...new Set([...filled, ...tail])];
}

/** The pages' texts without their running headers and footers (unchanged when there are fewer than 3 pages). */
export function removeRunningLines(pages: string[]): string[] {
  if (pages.length < 3) return pages;
  const split = pages.map((p) => p.split('\n'));
  const edges = split.map(edgeIndexes);
  const counts = new Map<string, number>();
  split.forEach((lines, p) => {
    const seen = new Set<string>();
    for (const i of edges[p]!) {
      const key = keyOf(lines[i]!);
      if (key && key.length <= MAX_RUNNING_CHARS) seen.add(key);
    }
    for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  const threshold = Math.max(3, Math.ceil(pages.length / 2));
  const running = new Set([...counts].filter(([, n]) => n >= threshold).map(([key]) => key));
  if (running.size === 0) return pages;
  return split.map((lines, p) => {
    const drop = new Set(edges[p]!.filter((i) => running.has(keyOf(lines[i]!))));
    const kept = drop.size ? lines.filter((_, i) => !drop.has(i)) : lines;
    // A page that would be left empty keeps its lines (its only text repeats elsewhere, but it is its text).
    return drop.size && kept.some((l) => l.trim()) ? kept.join('\n') : pages[p]!;
  });
}
