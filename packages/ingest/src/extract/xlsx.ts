/**
 * Excel (XLSX): every sheet in workbook order as a heading (its name) and
 * tables of rows (see sheet.ts); the sheet number is the passage's "page".
 * Cell values are shown as stored: text, numbers, booleans, formulas' cached
 * results (dates are Excel serial numbers: number formats are not applied).
 * Rows past `maxRows` per sheet and columns past MAX_COLUMNS are not read.
 */
import { sheetBlocks } from './sheet.js';
import { readZipParts, relationships, walkXml } from './zip.js';
import { ExtractionError, type Block, type Extracted, type ExtractLimits } from './types.js';

const WHAT = 'the spreadsheet';
/** Columns read per row (a cell reference may say XFD: 16,384 columns of nothing). */
export const MAX_COLUMNS = 200;

function sharedStrings(xml: Buffer | undefined): string[] {
  const out: string[] = [];
  if (!xml) return out;
  let current: string | undefined;
  let inText = false;
  let phonetic = 0;
  walkXml(
    xml,
    {
      open(name) {
        if (name === 'si') current = '';
        else if (name === 'rPh') phonetic++;
        else if (name === 't') inText = true;
      },
      text(t) {
        if (inText && phonetic === 0 && current !== undefined) current += t;
      },
      close(name) {
        if (name === 't') inText = false;
        else if (name === 'rPh') phonetic--;
        else if (name === 'si') {
          out.push(current ?? '');
          current = undefined;
        }
      },
    },
    WHAT,
  );
  return out;
}

/** `B12` → 1 (0-based column). */
function columnOf(ref: string | undefined): number | undefined {
  if (!ref) return undefined;
  let n = 0;
  let i = 0;
  for (; i < ref.length && i < 4; i++) {
    const c = ref.charCodeAt(i);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
  }
  return i === 0 ? undefined : n - 1;
}

function sheetRows(xml: Buffer, strings: string[], maxRows: number): { rows: string[][]; totalRows: number } {
  const rows: string[][] = [];
  let totalRows = 0;
  let row: string[] | undefined;
  let cellType = '';
  let column = 0;
  let value: string | undefined;
  let inValue = false;
  walkXml(
    xml,
    {
      open(name, attrs) {
        if (name === 'row') {
          totalRows++;
          row = totalRows <= maxRows ? [] : undefined;
        } else if (name === 'c' && row) {
          cellType = attrs.t ?? 'n';
          column = columnOf(attrs.r) ?? row.length;
          value = '';
        } else if ((name === 'v' || name === 't') && value !== undefined) inValue = true;
      },
      text(t) {
        if (inValue && value !== undefined) value += t;
      },
      close(name) {
        if (name === 'v' || name === 't') inValue = false;
        else if (name === 'c' && row && value !== undefined) {
          let shown = value;
          if (cellType === 's') shown = strings[Number.parseInt(value, 10)] ?? '';
          else if (cellType === 'b') shown = value === '1' ? 'TRUE' : 'FALSE';
          if (column < MAX_COLUMNS && shown !== '') {
            while (row.length < column) row.push('');
            row[column] = shown;
          }
          value = undefined;
        } else if (name === 'row' && row) {
          rows.push(row);
          row = undefined;
        }
      },
    },
    WHAT,
  );
  return { rows, totalRows };
}

export async function extractXlsx(bytes: Uint8Array, limits: ExtractLimits): Promise<Extracted> {
  const parts = await readZipParts(bytes, limits, WHAT, (name) => name.startsWith('xl/') && /\.(xml|rels)$/.test(name) && !name.startsWith('xl/media/'));
  const workbook = parts.get('xl/workbook.xml');
  if (!workbook) throw new ExtractionError('the zip archive is not an Excel workbook (no xl/workbook.xml)');
  const rels = relationships(parts.get('xl/_rels/workbook.xml.rels'), 'xl');
  const sheets: Array<{ name: string; path: string }> = [];
  walkXml(
    workbook,
    {
      open(name, attrs) {
        const target = name === 'sheet' ? rels.get(attrs['r:id'] ?? '')?.target : undefined;
        if (target) sheets.push({ name: attrs.name?.trim() || `Sheet ${sheets.length + 1}`, path: target });
      },
    },
    WHAT,
  );
  if (sheets.length > limits.maxPages) throw new ExtractionError(`the workbook has ${sheets.length} sheets; at most ${limits.maxPages} are indexed`);
  const strings = sharedStrings(parts.get('xl/sharedStrings.xml'));
  const blocks: Block[] = [];
  for (const [i, sheet] of sheets.entries()) {
    const xml = parts.get(sheet.path);
    if (!xml) continue;
    const { rows, totalRows } = sheetRows(xml, strings, limits.maxRows);
    blocks.push(...sheetBlocks({ name: sheet.name, page: i + 1, rows, totalRows }, { heading: true }));
  }
  return { blocks, pageCount: sheets.length };
}
