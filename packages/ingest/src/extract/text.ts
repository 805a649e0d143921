/** Plain text: paragraphs separated by blank lines. */
import type { Block, Extracted } from './types.js';

export function decodeText(bytes: Uint8Array): string {
  let text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.replace(/\r\n?/g, '\n');
}

export function paragraphs(text: string, extra: Partial<Block> = {}): Block[] {
  const out: Block[] = [];
  for (const part of text.split(/\n[ \t]*\n+/)) {
    const trimmed = part.replace(/[ \t]+\n/g, '\n').trim();
    if (trimmed) out.push({ kind: 'paragraph', text: trimmed, ...extra });
  }
  return out;
}

export function extractPlainText(bytes: Uint8Array): Extracted {
  return { blocks: paragraphs(decodeText(bytes)) };
}
