/**
 * CSV (and TSV): rows as tables with the header row kept in every block (see
 * sheet.ts), parsed by csv-parse (quoted fields, embedded line breaks, a BOM).
 * The delimiter is the one of `,` `;` tab that the first line holds most of.
 * At most `maxRows` rows are read: csv-parse stops there, whatever the file's size.
 */
import { parse } from 'csv-parse/sync';
import { sheetBlocks } from './sheet.js';
import { decodeText } from './text.js';
import { ExtractionError, type Extracted, type ExtractLimits } from './types.js';
import { MAX_COLUMNS } from './xlsx.js';

function delimiterOf(text: string): string {
  const end = text.indexOf('\n');
  const first = text.slice(0, end === -1 ? Math.min(text.length, 65_536) : Math.min(end, 65_536));
  let best = ',';
  let most = 0;
  for (const d of [',', ';', '\t']) {
    const n = first.split(d).length - 1;
    if (n > most) {
      most = n;
      best = d;
    }
  }
  return best;
}

/** Line breaks in the text: an upper bound on its rows (quoted fields may span lines), counted without a regular expression. */
function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

export function extractCsv(bytes: Uint8Array, limits: ExtractLimits): Extracted {
  const text = decodeText(bytes);
  let rows: string[][];
  try {
    rows = parse(text, {
      delimiter: delimiterOf(text),
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      to_line: limits.maxRows,
    }) as string[][];
  } catch (error) {
    throw new ExtractionError(`the CSV file cannot be read (${(error as Error).message.slice(0, 120)})`);
  }
  rows = rows.map((r) => (r.length > MAX_COLUMNS ? r.slice(0, MAX_COLUMNS) : r));
  const totalRows = rows.length < limits.maxRows ? rows.length : Math.max(rows.length, lineCount(text));
  return { blocks: sheetBlocks({ name: 'CSV', page: 1, rows, totalRows }, { heading: false }), pageCount: 1 };
}
