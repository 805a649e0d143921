/**
 * OpenDocument text, spreadsheets and presentations (ODT, ODS, ODP), from
 * their content.xml: headings (`text:h` with its outline level), paragraphs,
 * lists and tables for text; each `table:table` as a sheet for spreadsheets;
 * each `draw:page` as a slide ("page") with its notes for presentations.
 * Repeated empty cells and rows (`number-columns-repeated`, often a million
 * in files saved by LibreOffice) are never expanded beyond what holds text.
 */
import { sheetBlocks } from './sheet.js';
import { readZipParts, walkXml } from './zip.js';
import { ExtractionError, type Block, type Extracted, type ExtractLimits } from './types.js';
import { MAX_COLUMNS } from './xlsx.js';

type Kind = 'text' | 'spreadsheet' | 'presentation';
const WHAT: Record<Kind, string> = { text: 'the OpenDocument text', spreadsheet: 'the OpenDocument spreadsheet', presentation: 'the OpenDocument presentation' };

/** Repeats honoured for a cell or row that holds text (a repeated empty one adds nothing). */
const MAX_REPEAT = 100;

export async function extractOdf(bytes: Uint8Array, kind: Kind, limits: ExtractLimits): Promise<Extracted> {
  const what = WHAT[kind];
  const parts = await readZipParts(bytes, limits, what, (name) => name === 'content.xml' || name === 'meta.xml');
  const content = parts.get('content.xml');
  if (!content) throw new ExtractionError(`${what} has no content.xml`);
  const blocks: Block[] = [];
  let title: string | undefined;
  const meta = parts.get('meta.xml');
  if (meta) {
    let inTitle = false;
    walkXml(meta, { open: (n) => void (inTitle = n === 'dc:title'), text: (t) => void (inTitle && (title = (title ?? '') + t)), close: () => void (inTitle = false) }, what);
    title = title?.trim() || undefined;
  }

  let page = 0; // slide or sheet number
  let text: string | undefined; // the paragraph or heading being read
  let heading: number | undefined;
  let listDepth = 0;
  let inNotes = false;
  let notesHeaded = false;
  // Tables (the spreadsheet's sheets, or a table in a text).
  let table: { name: string; rows: string[][]; row: string[] | undefined; cell: string | undefined; repeat: number; rowRepeat: number; totalRows: number } | undefined;
  const where = () => (kind === 'text' ? {} : { page });
  const push = (block: Block) => blocks.push({ ...block, ...where() });

  walkXml(
    content,
    {
      open(name, attrs) {
        if (name === 'draw:page') {
          page++;
          push({ kind: 'heading', level: 1, text: attrs['draw:name'] && !/^page\d+$/i.test(attrs['draw:name']) ? `Slide ${page}: ${attrs['draw:name']}` : `Slide ${page}` });
          notesHeaded = false;
        } else if (name === 'presentation:notes') inNotes = true;
        else if (name === 'table:table') {
          if (kind === 'spreadsheet') page++;
          table = { name: attrs['table:name'] ?? `Sheet ${page}`, rows: [], row: undefined, cell: undefined, repeat: 1, rowRepeat: 1, totalRows: 0 };
        } else if (table && name === 'table:table-row') {
          table.rowRepeat = Math.max(1, Number.parseInt(attrs['table:number-rows-repeated'] ?? '1', 10) || 1);
          table.row = [];
        } else if (table?.row && (name === 'table:table-cell' || name === 'table:covered-table-cell')) {
          table.repeat = Math.max(1, Number.parseInt(attrs['table:number-columns-repeated'] ?? '1', 10) || 1);
          table.cell = '';
        } else if (name === 'text:h') {
          heading = Math.min(6, Math.max(1, Number.parseInt(attrs['text:outline-level'] ?? '1', 10) || 1));
          text = '';
        } else if (name === 'text:p') {
          if (table?.cell !== undefined) table.cell += table.cell ? ' ' : '';
          else text = '';
        } else if (name === 'text:list') listDepth++;
        else if (name === 'text:s') {
          if (table?.cell !== undefined) table.cell += ' ';
          else if (text !== undefined) text += ' ';
        } else if (name === 'text:tab' || name === 'text:line-break') {
          if (text !== undefined) text += ' ';
        }
      },
      text(t) {
        if (table?.cell !== undefined) table.cell += t;
        else if (text !== undefined) text += t;
      },
      close(name) {
        if (table && (name === 'table:table-cell' || name === 'table:covered-table-cell')) {
          const value = (table.cell ?? '').replace(/\s+/g, ' ').trim();
          // Never past MAX_COLUMNS: the million empty cells closing a LibreOffice row cost nothing (and trailing ones are dropped).
          const times = Math.min(value ? Math.min(table.repeat, MAX_REPEAT) : table.repeat, MAX_COLUMNS - (table.row?.length ?? MAX_COLUMNS));
          for (let i = 0; i < times; i++) table.row!.push(value);
          table.cell = undefined;
        } else if (table && name === 'table:table-row') {
          const row = table.row ?? [];
          while (row.length > 0 && row[row.length - 1] === '') row.pop();
          if (row.length > 0) {
            for (let i = 0; i < Math.min(table.rowRepeat, MAX_REPEAT); i++) {
              table.totalRows++;
              if (table.rows.length < limits.maxRows) table.rows.push(row);
            }
          }
          table.row = undefined;
        } else if (table && name === 'table:table') {
          const t = table;
          table = undefined;
          if (kind === 'spreadsheet') blocks.push(...sheetBlocks({ name: t.name, page, rows: t.rows, totalRows: t.totalRows }, { heading: true }));
          else if (t.rows.length > 0) push({ kind: 'table', text: t.rows.map((r) => r.join(' | ')).join('\n') });
        } else if (name === 'text:h' || name === 'text:p') {
          if (table?.cell !== undefined || text === undefined) return;
          const t = text.replace(/\s+/g, ' ').trim();
          text = undefined;
          if (!t) return;
          if (inNotes && !notesHeaded) {
            push({ kind: 'heading', level: 2, text: 'Speaker notes' });
            notesHeaded = true;
          }
          if (name === 'text:h' && heading !== undefined) push({ kind: 'heading', level: heading, text: t });
          else push({ kind: listDepth > 0 ? 'list' : 'paragraph', text: listDepth > 0 ? `- ${t}` : t });
          heading = undefined;
        } else if (name === 'text:list') listDepth = Math.max(0, listDepth - 1);
        else if (name === 'presentation:notes') inNotes = false;
      },
    },
    what,
  );
  // Consecutive list items become one list block (as in HTML).
  const merged: Block[] = [];
  for (const b of blocks) {
    const last = merged[merged.length - 1];
    if (b.kind === 'list' && last?.kind === 'list' && last.page === b.page) last.text += `\n${b.text}`;
    else merged.push({ ...b });
  }
  return { blocks: merged, title, ...(kind === 'text' ? {} : { pageCount: page }) };
}
