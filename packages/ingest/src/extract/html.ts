/**
 * HTML (and DOCX, via mammoth's HTML; EPUB chapters; e-mail bodies): scripts,
 * styles and other non-content elements are dropped, and so are navigation,
 * sidebars and the page's header and footer (see FURNITURE); headings, paragraphs, lists and tables are kept as
 * blocks. htmlparser2 is a streaming parser with no DOM, linear in the
 * document as long as the nesting depth is bounded (`MAX_HTML_DEPTH`).
 */
import { Parser } from 'htmlparser2';
import { ExtractionError, type Block, type Extracted } from './types.js';

/**
 * Deepest element nesting accepted (browsers stop nesting at 512 too). htmlparser2 keeps its open elements
 * in an array it `unshift`s, so each tag costs time proportional to the depth: unbounded, 200k nested
 * `<div>`s took 13 s; bounded, parsing stays linear in the document.
 */
export const MAX_HTML_DEPTH = 512;

const SKIP = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'canvas', 'head', 'select', 'button']);
const BLOCK = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'footer', 'aside', 'nav', 'blockquote', 'figure', 'figcaption',
  'dl', 'dt', 'dd', 'address', 'form', 'fieldset', 'details', 'summary', 'hr', 'body', 'html', 'center',
]);

/** `/^\n+|\s+$/` without the regular expression (`\s+$` is quadratic on a long run of spaces inside the text). */
function withoutLeadingNewlines(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) === 0x0a) i++;
  return i === 0 ? s : s.slice(i);
}

/**
 * The readability pass: page furniture that repeats on every page of a site and answers no question — navigation,
 * sidebars, and the page's own header and footer — is left out. A `<header>`/`<footer>` inside `<article>` or
 * `<main>` is the article's (its title, its byline) and stays. If leaving them out leaves no text at all, the page
 * is read whole (a page that is nothing but a footer is still that page).
 */
const FURNITURE = new Set(['nav', 'aside']);
const PAGE_FRAME = new Set(['header', 'footer']);
const FURNITURE_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search']);

export function extractHtml(html: string): Extracted {
  const read = extractHtmlBlocks(html, true);
  return read.blocks.some((b) => b.text.trim()) ? read : extractHtmlBlocks(html, false);
}

function extractHtmlBlocks(html: string, readability: boolean): Extracted {
  const blocks: Block[] = [];
  let text = '';
  let skipDepth = 0;
  let inTitle = false;
  let title = '';
  let pre = 0;
  let heading: number | undefined;
  let listDepth = 0;
  let table: { rows: string[][]; row: string[] | undefined; cell: string | undefined } | undefined;
  let tableDepth = 0;
  let depth = 0;
  // How many open <article>/<main> elements enclose the current one (their header and footer are content).
  let inArticle = 0;

  // Linear: after the first replace no two spaces are adjacent, so ` *` takes at most one.
  const collapse = (s: string) => s.replace(/[ \t\r\f\v]+/g, ' ').replace(/ *\n */g, '\n').trim();
  const flush = (kind: Block['kind'] = 'paragraph') => {
    const t = pre > 0 ? withoutLeadingNewlines(text).trimEnd() : collapse(text);
    text = '';
    if (!t) return;
    if (kind === 'heading' && heading !== undefined) blocks.push({ kind, level: heading, text: t.replace(/\s+/g, ' ') });
    else blocks.push({ kind: pre > 0 ? 'code' : kind, text: t });
  };

  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (++depth > MAX_HTML_DEPTH) throw new ExtractionError(`the HTML nests elements more than ${MAX_HTML_DEPTH} deep`);
        if (name === 'title') {
          inTitle = true;
          return;
        }
        if (skipDepth === 0 && (name === 'article' || name === 'main')) inArticle++;
        const furniture =
          readability && (FURNITURE.has(name) || FURNITURE_ROLES.has(attrs.role ?? '') || (PAGE_FRAME.has(name) && inArticle === 0));
        if (skipDepth > 0 || SKIP.has(name) || furniture) {
          skipDepth++;
          return;
        }
        if (table) {
          if (name === 'table') tableDepth++;
          else if (name === 'tr') table.row = [];
          else if (name === 'td' || name === 'th') table.cell = '';
          else if (name === 'br' && table.cell !== undefined) table.cell += ' ';
          return;
        }
        if (name === 'table') {
          flush();
          table = { rows: [], row: undefined, cell: undefined };
          tableDepth = 1;
          return;
        }
        const h = /^h([1-6])$/.exec(name);
        if (h) {
          flush();
          heading = Number(h[1]);
        } else if (name === 'pre') {
          flush();
          pre++;
        } else if (name === 'li') {
          flush(listDepth > 0 ? 'list' : 'paragraph');
          text = '- ';
        } else if (name === 'ul' || name === 'ol') {
          flush();
          listDepth++;
        } else if (name === 'br') {
          text += '\n';
        } else if (BLOCK.has(name)) {
          flush(listDepth > 0 ? 'list' : 'paragraph');
        }
      },
      ontext(data) {
        if (inTitle) {
          title += data;
          return;
        }
        if (skipDepth > 0) return;
        if (table) {
          if (table.cell !== undefined) table.cell += data;
          return;
        }
        text += data;
      },
      onclosetag(name) {
        depth--;
        if (name === 'title') {
          inTitle = false;
          return;
        }
        if (skipDepth > 0) {
          skipDepth--;
          return;
        }
        if (name === 'article' || name === 'main') inArticle = Math.max(0, inArticle - 1);
        if (table) {
          if (name === 'td' || name === 'th') {
            if (table.cell !== undefined) table.row?.push(table.cell.replace(/\s+/g, ' ').trim());
            table.cell = undefined;
          } else if (name === 'tr') {
            if (table.row?.some((c) => c)) table.rows.push(table.row);
            table.row = undefined;
          } else if (name === 'table' && --tableDepth === 0) {
            const t = table.rows.map((r) => r.join(' | ')).join('\n');
            table = undefined;
            if (t.trim()) blocks.push({ kind: 'table', text: t });
          }
          return;
        }
        if (/^h[1-6]$/.test(name)) {
          flush('heading');
          heading = undefined;
        } else if (name === 'pre') {
          flush();
          pre = Math.max(0, pre - 1);
        } else if (name === 'ul' || name === 'ol') {
          flush('list');
          listDepth = Math.max(0, listDepth - 1);
        } else if (name === 'li') {
          flush('list');
        } else if (BLOCK.has(name)) {
          flush(listDepth > 0 ? 'list' : 'paragraph');
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  flush();
  // Consecutive list items become one list block.
  const merged: Block[] = [];
  for (const b of blocks) {
    const last = merged[merged.length - 1];
    if (b.kind === 'list' && last?.kind === 'list') last.text += `\n${b.text}`;
    else merged.push({ ...b });
  }
  return { blocks: merged, title: title.replace(/\s+/g, ' ').trim() || undefined };
}
