/**
 * Rows of a spreadsheet or CSV as table blocks: a heading with the sheet's
 * name, then tables of a few rows each, every one starting with the sheet's
 * header row, so a passage about row 4,000 still says what its columns are.
 * Rows beyond `maxRows` are left out, and a closing paragraph says how many.
 */
import type { Block } from './types.js';

/** Data rows per table block: small enough that a passage holds whole rows, with the header repeated in each. */
const ROWS_PER_BLOCK = 15;
/** A cell longer than this is cut (a cell holding a whole report would make one row a passage of its own). */
const MAX_CELL_CHARS = 2_000;

const cell = (v: string) => {
  const t = v.replace(/\s+/g, ' ').trim();
  return t.length > MAX_CELL_CHARS ? `${t.slice(0, MAX_CELL_CHARS)}…` : t;
};

export interface SheetRows {
  name: string;
  /** 1-based sheet number: the passage's "page". */
  page: number;
  rows: string[][];
  /** Rows in the sheet, including those not read. */
  totalRows: number;
}

export function sheetBlocks(sheet: SheetRows, options: { heading: boolean }): Block[] {
  const { page } = sheet;
  const blocks: Block[] = [];
  if (options.heading) blocks.push({ kind: 'heading', level: 1, text: sheet.name, page });
  const rows = sheet.rows.map((r) => r.map(cell)).filter((r) => r.some((c) => c !== ''));
  if (rows.length === 0) return blocks;
  const [header, ...data] = rows;
  const head = header!.join(' | ');
  if (data.length === 0) blocks.push({ kind: 'table', text: head, page });
  for (let i = 0; i < data.length; i += ROWS_PER_BLOCK) {
    const slice = data.slice(i, i + ROWS_PER_BLOCK).map((r) => r.join(' | '));
    blocks.push({ kind: 'table', text: [head, ...slice].join('\n'), page });
  }
  if (sheet.totalRows > sheet.rows.length) {
    blocks.push({
      kind: 'paragraph',
      text: `Only the first ${sheet.rows.length.toLocaleString('en')} of ${sheet.totalRows.toLocaleString('en')} rows of ${sheet.name} are indexed.`,
      page,
    });
  }
  return blocks;
}
