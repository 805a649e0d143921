/**
 * How the reader lays out a document from its passages (pure, unit-tested):
 * a page break where the page changes, the headings a passage opens, its own
 * text without what repeats the previous passage (`overlap`), paragraphs and
 * tables. The extractor joins a table's rows with line breaks and its cells
 * with " | " (HTML, DOCX), Markdown keeps its own `| a | b |` rows; both
 * become rows and cells here.
 */
import type { ReaderPassage } from '../api/contract.js';

export type Segment = { kind: 'paragraph'; text: string } | { kind: 'table'; rows: string[][] };

export interface LaidOutPassage {
  passage: ReaderPassage;
  /** Set when this passage starts a new page (PDF page, slide, sheet). */
  pageBreak?: number;
  /** Headings this passage opens, outermost first; level 1 is the document's top level. */
  headings: Array<{ level: number; text: string }>;
  segments: Segment[];
}

const isSeparatorRow = (line: string) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line);

function cellsOf(line: string): string[] {
  let cells = line.split('|').map((c) => c.trim());
  // Markdown's leading and trailing pipes leave empty cells at the ends.
  if (line.trim().startsWith('|')) cells = cells.slice(1);
  if (line.trim().endsWith('|')) cells = cells.slice(0, -1);
  return cells;
}

/** A block is a table when every line has a cell separator and the rows agree on at least two cells. */
export function tableOf(block: string): string[][] | undefined {
  const lines = block.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0 || !lines.every((l) => l.includes('|'))) return undefined;
  const rows = lines.filter((l) => !isSeparatorRow(l)).map(cellsOf);
  if (rows.length === 0 || rows.some((r) => r.length < 2)) return undefined;
  if (lines.length === 1 && !/ \| /.test(lines[0]!)) return undefined;
  return rows;
}

export function segmentsOf(text: string): Segment[] {
  const out: Segment[] = [];
  for (const block of text.split(/\n{2,}/)) {
    const trimmed = block.trim();
    if (!trimmed) continue;
    const rows = tableOf(trimmed);
    if (rows) {
      const last = out[out.length - 1];
      // A table the chunker split at a row boundary continues the one before it.
      if (last?.kind === 'table' && last.rows[0]?.length === rows[0]?.length) last.rows.push(...rows);
      else out.push({ kind: 'table', rows });
    } else out.push({ kind: 'paragraph', text: trimmed });
  }
  return out;
}

/** Lays out consecutive passages; `before` is the passage just before the first one, when known. */
export function layOut(passages: ReaderPassage[], before?: ReaderPassage): LaidOutPassage[] {
  const out: LaidOutPassage[] = [];
  let prev = before;
  for (const passage of passages) {
    const contiguous = prev !== undefined && prev.ordinal === passage.ordinal - 1;
    const pageBreak = passage.page !== null && (!prev || prev.page !== passage.page) ? passage.page : undefined;
    const path = passage.headingPath;
    const prevPath = contiguous ? prev!.headingPath : [];
    let shared = 0;
    while (shared < path.length && shared < prevPath.length && path[shared] === prevPath[shared]) shared++;
    // A path that only got shorter (the next section of a parent) opens no heading of its own.
    const headings = path.slice(shared).map((text, i) => ({ level: shared + i + 1, text }));
    let text = passage.text.slice(passage.overlap).replace(/^\s+/, '');
    // A passage that opens a section starts with the heading's own text: it is shown as the heading.
    const opened = headings[headings.length - 1]?.text;
    if (opened && (text === opened || text.startsWith(`${opened}\n`)))
      text = text.slice(opened.length).replace(/^\s+/, '');
    out.push({ passage, ...(pageBreak !== undefined ? { pageBreak } : {}), headings, segments: segmentsOf(text) });
    prev = passage;
  }
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Splits text into plain and marked parts for the query's lexemes: a word is
 * marked when it starts with a lexeme (the stem "lighthous" marks
 * "lighthouses"), case-insensitively.
 */
export function markTerms(text: string, terms: string[]): Array<{ text: string; mark: boolean }> {
  const usable = terms.filter((t) => /[\p{L}\p{N}]/u.test(t)).slice(0, 32);
  if (usable.length === 0) return [{ text, mark: false }];
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${usable.map(escapeRegExp).join('|')})[\\p{L}\\p{N}]*`, 'giu');
  const parts: Array<{ text: string; mark: boolean }> = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) parts.push({ text: text.slice(last, m.index), mark: false });
    parts.push({ text: m[0], mark: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), mark: false });
  return parts;
}

/** What a document's numbered parts are called: pages of a PDF, slides, sheets. */
export function pageWord(mimeType: string): string {
  if (/presentation|powerpoint/i.test(mimeType)) return 'Slide';
  if (/spreadsheet|excel/i.test(mimeType)) return 'Sheet';
  return 'Page';
}
