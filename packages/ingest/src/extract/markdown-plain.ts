/**
 * The line-based Markdown extractor that preceded the CommonMark parser
 * (markdown.ts), kept for the inputs that parser cannot take in bounded time:
 * ATX and setext headings become heading blocks; fenced code, tables and lists
 * stay whole; link and emphasis syntax is reduced to text.
 *
 * Every pattern on document text runs in time linear in the text: the ones
 * that backtrack (rescanning to the end from each opener with no closer) are
 * written as single passes below (docs/security.md, issue 14 item 1).
 */
import type { Block, Extracted } from './types.js';

/**
 * Next index of `ch` at or after `from`, remembered: queries must not go
 * backwards. Each scan resumes where the last one found nothing to pass,
 * so finding the closer for every opener costs one pass over the text.
 */
function finder(s: string, ch: string): (from: number) => number {
  let at = -2; // not searched yet
  return (from) => {
    if (at === -1) return -1;
    if (at < from) at = s.indexOf(ch, from);
    return at;
  };
}

/**
 * `![alt](url)` → alt (`image`) or `[text](url)` → text: what
 * `/!\[([^\]]*)\]\([^)]*\)/g` and `/\[([^\]]+)\]\([^)]*\)/g` replace, found
 * with one pass instead of a regular expression that rescans to the end of
 * the text from every `[` with no closer (quadratic on `[[[[`).
 */
function replaceLinks(s: string, image: boolean): string {
  const close = finder(s, ']');
  const paren = finder(s, ')');
  const open = image ? '![' : '[';
  let out = '';
  let copied = 0;
  for (let i = s.indexOf(open); i !== -1; ) {
    const start = i + open.length;
    const j = close(start);
    if (j === -1) break; // no ']' after this point: no later opener can close either
    const k = s.charCodeAt(j + 1) === 0x28 /* ( */ && (image || j > start) ? paren(j + 2) : -1;
    if (k === -1) {
      i = s.indexOf(open, i + 1);
      continue;
    }
    out += s.slice(copied, i) + s.slice(start, j);
    copied = k + 1;
    i = s.indexOf(open, copied);
  }
  return copied === 0 ? s : out + s.slice(copied);
}

const isAsciiLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** Drops `<tag …>` and `</tag>` as `/<\/?[a-zA-Z][^>]*>/g` does, in one pass (that pattern is quadratic on `<a<a<a`). */
export function stripTags(s: string): string {
  const gt = finder(s, '>');
  let out = '';
  let copied = 0;
  for (let i = s.indexOf('<'); i !== -1; ) {
    const letter = s.charCodeAt(i + 1) === 0x2f /* / */ ? i + 2 : i + 1;
    if (!isAsciiLetter(s.charCodeAt(letter))) {
      i = s.indexOf('<', i + 1);
      continue;
    }
    const k = gt(letter + 1);
    if (k === -1) break;
    out += s.slice(copied, i);
    copied = k + 1;
    i = s.indexOf('<', copied);
  }
  return copied === 0 ? s : out + s.slice(copied);
}

const isSpace = (ch: string | undefined) => ch !== undefined && /\s/.test(ch);

/**
 * `**strong**` / `__strong__` → strong, as `/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g`
 * does: the closer is the first later delimiter with a non-space before it.
 * One pass: once no closer follows, none follows any later opener either
 * (the pattern itself is quadratic on `**a **a **a`).
 */
function stripStrong(s: string): string {
  let out = '';
  let copied = 0;
  const exhausted = { '**': false, __: false };
  for (let i = 0; i < s.length - 1; i++) {
    const d = s.startsWith('**', i) ? '**' : s.startsWith('__', i) ? '__' : undefined;
    if (!d || exhausted[d] || isSpace(s[i + 2]) || i + 2 >= s.length) continue;
    let m = s.indexOf(d, i + 3);
    while (m !== -1 && isSpace(s[m - 1])) m = s.indexOf(d, m + 1);
    if (m === -1) {
      exhausted[d] = true;
      continue;
    }
    out += s.slice(copied, i) + s.slice(i + 2, m);
    copied = m + 2;
    i = copied - 1;
  }
  return copied === 0 ? s : out + s.slice(copied);
}

/** Link, image, tag, emphasis and code syntax reduced to text, in time linear in the text. */
export function inline(text: string): string {
  // `[^`\n]+` stops at the next backtick or line end, so this one is linear as it stands.
  return stripStrong(stripTags(replaceLinks(replaceLinks(text, true), false))).replace(/`([^`\n]+)`/g, '$1');
}

/** An ATX heading's text without its closing `#`s, as `/\s+#+\s*$/` removes them (that pattern is quadratic on long runs of spaces). */
export function withoutClosingHashes(text: string): string {
  const t = text.trimEnd();
  let e = t.length;
  while (e > 0 && t.charCodeAt(e - 1) === 0x23 /* # */) e--;
  if (e === t.length || e === 0 || !isSpace(t[e - 1])) return text;
  return t.slice(0, e).trimEnd();
}

/** The `|---|:---:|` row under a table's header, as `/^\s*\|?\s*:?-{3,}/` matches it (that pattern is quadratic on spaces before a `|`). */
export function isTableSeparator(line: string): boolean {
  let i = 0;
  const skipSpace = () => {
    while (i < line.length && isSpace(line[i])) i++;
  };
  skipSpace();
  if (line[i] === '|') i++;
  skipSpace();
  if (line[i] === ':') i++;
  return line.startsWith('---', i);
}

export function extractPlainMarkdown(text: string): Extracted {
  let lines = text.split('\n');
  // YAML front matter.
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((l, i) => i > 0 && (l.trim() === '---' || l.trim() === '...'));
    if (end > 0 && end < 200) lines = lines.slice(end + 1);
  }
  const blocks: Block[] = [];
  let para: string[] = [];
  let paraKind: Block['kind'] = 'paragraph';
  let title: string | undefined;
  const flush = () => {
    const text = para.join('\n').trim();
    if (text) blocks.push({ kind: paraKind, text: paraKind === 'code' || paraKind === 'table' ? text : inline(text) });
    para = [];
    paraKind = 'paragraph';
  };
  const heading = (level: number, text: string) => {
    flush();
    const clean = inline(withoutClosingHashes(text).trim());
    if (!clean) return;
    title ??= level === 1 ? clean : undefined;
    blocks.push({ kind: 'heading', level, text: clean });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      flush();
      const closer = fence[1]!;
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(closer); i++) code.push(lines[i]!);
      if (code.join('').trim()) blocks.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    const atx = /^\s{0,3}(#{1,6})[ \t]+(.*)$/.exec(line);
    if (atx) {
      heading(atx[1]!.length, atx[2]!);
      continue;
    }
    const next = lines[i + 1];
    if (para.length === 0 && line.trim() && next !== undefined && /^\s{0,3}(=+|-+)\s*$/.test(next) && !/^\s*[-*+]\s/.test(line)) {
      heading(next.trim().startsWith('=') ? 1 : 2, line.trim());
      i++;
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    const isTable = /^\s*\|/.test(line);
    const isList = /^\s*([-*+]|\d+[.)])\s+/.test(line);
    if (isTable && paraKind !== 'table') {
      flush();
      paraKind = 'table';
    } else if (!isTable && paraKind === 'table') {
      flush();
    }
    if (isTable && isTableSeparator(line)) continue; // the |---|---| separator row
    if (isList && para.length === 0) paraKind = 'list';
    para.push(isTable ? line.trim().replace(/^\||\|$/g, '').split('|').map((c) => inline(c.trim())).join(' | ') : line);
  }
  flush();
  return { blocks, title };
}
