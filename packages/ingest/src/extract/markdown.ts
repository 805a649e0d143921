/**
 * Markdown, parsed as CommonMark with the GFM extensions (tables, task lists,
 * strikethrough, footnotes, autolink literals) and YAML/TOML front matter by
 * micromark (mdast-util-from-markdown), then mapped onto Quarry's blocks:
 * headings (ATX and setext) become heading blocks, the first level-1 heading
 * is the title; paragraphs, block quotes and footnotes become paragraphs with
 * inline syntax reduced to its text; fenced and indented code, GFM tables
 * (`cell | cell` rows, header first) and top-level lists (`- ` / `1. ` lines,
 * nested items indented) stay whole; front matter, definitions, thematic
 * breaks and HTML comments are dropped, other HTML keeps its text.
 *
 * micromark is not linear on every input: its inline resolution costs time
 * quadratic in the number of delimiters (`*`, `_`, `[`, `` ` ``…) in one
 * paragraph; each open container (`>`, list item) costs a stack frame and a
 * check on every later line, and each closed one a splice into the event
 * list, quadratic in their number. Inputs past the bounds in `parseable`
 * go to the linear line-based extractor (markdown-plain.ts) instead, which
 * is what Quarry used before (docs/security.md, issue 14 item 1).
 */
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfm } from 'micromark-extension-gfm';
import { extractPlainMarkdown, stripTags } from './markdown-plain.js';
import { decodeText } from './text.js';
import type { Block, Extracted } from './types.js';

type Root = ReturnType<typeof fromMarkdown>;
type Node = Root | Root['children'][number];
type Of<T extends Node['type']> = Extract<Node, { type: T }>;

/**
 * Larger inputs go to the linear extractor. micromark is linear on the inputs
 * the other bounds admit but slow: 128 KiB of one-line list items, table rows
 * or short paragraphs took 4–7 s on a loaded 2-core machine (the line-based
 * extractor: under 0.2 s), against a 300 s default ingest deadline.
 */
export const MAX_PARSED_CHARS = 128 * 1024;
/**
 * Containers (`>`, list items) one line may open at most, as `nesting` counts
 * them. Each open container is checked again on every later line, and
 * thousands overflow micromark's stack; a page nests a handful.
 */
export const MAX_NESTING = 16;
/**
 * Container markers (`nesting` summed over the lines) one document may hold
 * at most. Every container micromark closes is spliced into its event list,
 * so the cost grows with their number times the document: 128 KiB of lines
 * each opening ten nested list items took 95 s, of flat list items 4–6 s.
 */
export const MAX_CONTAINER_MARKERS = 4_000;
/** Inline delimiters one blank-line-separated run of lines may hold at most: their resolution is quadratic in their number. */
export const MAX_DELIMITERS_PER_PARAGRAPH = 2_000;

const isBlank = (c: number) => c === 0x20 || c === 0x09;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * The containers `line` could open, over-estimated: every `>` and list
 * marker before its first text, plus one per two columns of indentation when
 * a marker follows it (a nested list item sits at least two columns right of
 * its parent's marker).
 */
function nesting(line: string): number {
  let markers = 0;
  let columns = 0;
  let i = 0;
  for (;;) {
    const c = line.charCodeAt(i);
    if (isBlank(c)) {
      columns += c === 0x09 ? 4 : 1;
      i++;
    } else if (c === 0x3e /* > */) {
      markers++;
      i++;
    } else if ((c === 0x2d || c === 0x2a || c === 0x2b) /* - * + */ && (i + 1 === line.length || isBlank(line.charCodeAt(i + 1)))) {
      markers++;
      i++;
    } else if (isDigit(c)) {
      let j = i;
      while (j < line.length && j - i < 9 && isDigit(line.charCodeAt(j))) j++;
      const d = line.charCodeAt(j);
      if ((d !== 0x2e && d !== 0x29) /* . ) */ || !(j + 1 === line.length || isBlank(line.charCodeAt(j + 1)))) break;
      markers++;
      i = j + 1;
    } else break;
  }
  return markers === 0 ? 0 : markers + Math.floor(columns / 2);
}

/** Whether micromark can take `text` in bounded time and stack: one pass over it. */
export function parseable(text: string): boolean {
  if (text.length > MAX_PARSED_CHARS) return false;
  let delimiters = 0;
  let containers = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      delimiters = 0;
      continue;
    }
    const depth = nesting(line);
    containers += depth;
    if (depth > MAX_NESTING || containers > MAX_CONTAINER_MARKERS) return false;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      // * _ ~ [ ] `
      if (c === 0x2a || c === 0x5f || c === 0x7e || c === 0x5b || c === 0x5d || c === 0x60) delimiters++;
    }
    if (delimiters > MAX_DELIMITERS_PER_PARAGRAPH) return false;
  }
  return true;
}

/** HTML blocks whose text is not prose a reader sees. */
const INVISIBLE_HTML = /^<(!--|script|style|textarea|\?|!\[CDATA\[|![a-zA-Z])/i;

/**
 * Inline content as plain text. A loop over an explicit stack: emphasis can
 * nest as deep as it has delimiters, deeper than the call stack allows.
 */
function plain(node: Node): string {
  let out = '';
  const todo: Node[] = [node];
  for (let n = todo.pop(); n !== undefined; n = todo.pop()) {
    switch (n.type) {
      case 'text':
      case 'inlineCode':
        out += n.value;
        break;
      case 'break':
        out += '\n';
        break;
      case 'image':
      case 'imageReference':
        out += n.alt ?? '';
        break;
      case 'html':
        // Inline tags go; the text between an opening and a closing tag is its own node and stays.
        if (!INVISIBLE_HTML.test(n.value)) out += stripTags(n.value);
        break;
      case 'footnoteReference':
        break;
      default:
        if ('children' in n) for (let i = n.children.length - 1; i >= 0; i--) todo.push(n.children[i]!);
    }
  }
  return out;
}

const text = (node: Node) => plain(node).trim();

/** A list's lines: `- ` or `1. ` markers, `[x] ` for task items, nested content indented under its item. */
function listLines(list: Of<'list'>, indent: string, out: string[]): void {
  list.children.forEach((item, i) => {
    const marker = (list.ordered ? `${(list.start ?? 1) + i}. ` : '- ') + (item.checked === true ? '[x] ' : item.checked === false ? '[ ] ' : '');
    const inner = indent + ' '.repeat(marker.length);
    let first = true;
    const line = (s: string) => {
      out.push((first ? indent + marker : inner) + s);
      first = false;
    };
    for (const child of item.children) {
      if (child.type === 'list') {
        if (first) line('');
        listLines(child, inner, out);
        continue;
      }
      const blocks: Block[] = [];
      walk(child, blocks, { title: undefined });
      for (const b of blocks) for (const l of b.text.split('\n')) line(l);
    }
    if (first) line('');
  });
}

function walk(node: Node, blocks: Block[], doc: { title: string | undefined }): void {
  switch (node.type) {
    case 'root':
    case 'blockquote':
    case 'footnoteDefinition':
      for (const child of node.children) walk(child, blocks, doc);
      return;
    case 'heading': {
      const t = text(node);
      if (!t) return;
      if (node.depth === 1) doc.title ??= t;
      blocks.push({ kind: 'heading', level: node.depth, text: t });
      return;
    }
    case 'paragraph': {
      const t = text(node);
      if (t) blocks.push({ kind: 'paragraph', text: t });
      return;
    }
    case 'code':
      if (node.value.trim()) blocks.push({ kind: 'code', text: node.value });
      return;
    case 'table': {
      const rows = node.children.map((row) => row.children.map((cell) => text(cell)).join(' | '));
      if (rows.some((r) => r.replaceAll('|', '').trim())) blocks.push({ kind: 'table', text: rows.join('\n') });
      return;
    }
    case 'list': {
      const lines: string[] = [];
      listLines(node, '', lines);
      const t = lines.map((l) => l.trimEnd()).join('\n');
      if (t.trim()) blocks.push({ kind: 'list', text: t });
      return;
    }
    case 'html': {
      if (INVISIBLE_HTML.test(node.value.trimStart())) return;
      const t = stripTags(node.value).trim();
      if (t) blocks.push({ kind: 'paragraph', text: t });
      return;
    }
    default:
      // thematicBreak, definition, yaml, toml: nothing a reader reads.
      return;
  }
}

export function extractMarkdown(bytes: Uint8Array): Extracted {
  const source = decodeText(bytes);
  if (!parseable(source)) return extractPlainMarkdown(source);
  const tree = fromMarkdown(source, {
    extensions: [gfm(), frontmatter(['yaml', 'toml'])],
    mdastExtensions: [gfmFromMarkdown(), frontmatterFromMarkdown(['yaml', 'toml'])],
  });
  const blocks: Block[] = [];
  const doc = { title: undefined as string | undefined };
  walk(tree, blocks, doc);
  return { blocks, title: doc.title };
}
