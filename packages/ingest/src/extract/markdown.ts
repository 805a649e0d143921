/**
 * Markdown: ATX and setext headings become heading blocks; fenced code,
 * tables and lists stay whole; link and emphasis syntax is reduced to text.
 */
import { decodeText } from './text.js';
import type { Block, Extracted } from './types.js';

function inline(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/<\/?[a-zA-Z][^>]*>/g, '')
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
    .replace(/`([^`\n]+)`/g, '$1');
}

export function extractMarkdown(bytes: Uint8Array): Extracted {
  let lines = decodeText(bytes).split('\n');
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
    const clean = inline(text.replace(/\s+#+\s*$/, '').trim());
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
    if (isTable && /^\s*\|?\s*:?-{3,}/.test(line)) continue; // the |---|---| separator row
    if (isList && para.length === 0) paraKind = 'list';
    para.push(isTable ? line.trim().replace(/^\||\|$/g, '').split('|').map((c) => inline(c.trim())).join(' | ') : line);
  }
  flush();
  return { blocks, title };
}
