/**
 * Plain text: paragraphs separated by blank lines. Every pattern here runs in
 * time linear in the text (see docs/security.md, issue 14 item 1).
 */
import type { Block, Extracted } from './types.js';

export function decodeText(bytes: Uint8Array): string {
  let text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.replace(/\r\n?/g, '\n');
}

/** `line` without its trailing spaces and tabs (a loop: `/[ \t]+\n/` backtracks quadratically over a long run of spaces). */
export function trimBlanksEnd(line: string): string {
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 0x20 || line.charCodeAt(end - 1) === 0x09)) end--;
  return end === line.length ? line : line.slice(0, end);
}

export function paragraphs(text: string, extra: Partial<Block> = {}): Block[] {
  const out: Block[] = [];
  // Linear: each newline scans only the blanks up to the next non-blank.
  for (const part of text.split(/\n[ \t]*\n+/)) {
    const trimmed = (part.includes('\n') ? part.split('\n').map(trimBlanksEnd).join('\n') : part).trim();
    if (trimmed) out.push({ kind: 'paragraph', text: trimmed, ...extra });
  }
  return out;
}

export function extractPlainText(bytes: Uint8Array): Extracted {
  return { blocks: paragraphs(decodeText(bytes)) };
}
