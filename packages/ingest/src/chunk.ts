/**
 * Splits extracted blocks into passages: heading-aware (a passage never spans
 * two sections or two PDF pages, and carries its heading path), sized to
 * `maxTokens` with `overlap` (a fraction) repeated from the previous passage
 * of the same section. Paragraphs split at sentence ends, then at token
 * windows; table rows are never cut unless a single row is too long.
 * Deterministic: the same blocks always give the same passages.
 *
 * Tokens are counted with the embedding model's own tokenizer when it has one
 * here (`tokenizer: 'minilm'`: word pieces, so no passage is longer than the
 * model embeds), otherwise approximately: a word, a number, a punctuation mark,
 * or one CJK character each count as one.
 */
import { createMiniLmTokenCounter } from '@quarry/ai';
import type { Block } from './extract/types.js';

export interface ChunkOptions {
  /** Largest passage, in the tokenizer's tokens (for MiniLM: word pieces, [CLS] and [SEP] excluded). */
  maxTokens: number;
  /** Fraction of maxTokens repeated at the start of the next passage in a section (0–0.5). */
  overlap: number;
  /** Whose tokens `maxTokens` counts (plain data: the options cross into the extraction process). */
  tokenizer?: 'approximate' | 'minilm';
}

type Count = (text: string) => number;

let miniLm: Count | undefined;
function counterFor(tokenizer: ChunkOptions['tokenizer']): Count {
  if (tokenizer !== 'minilm') return countTokens;
  if (!miniLm) {
    const counter = createMiniLmTokenCounter();
    // BERT tokenizes each whitespace-separated piece on its own (normalising, splitting punctuation
    // and CJK characters, then word pieces), so a text's count is the sum of its pieces' counts:
    // exact, and with the pieces' counts cached, ~50× cheaper than tokenizing every sentence again.
    const cache = new Map<string, number>();
    const piece = (word: string) => {
      let n = cache.get(word);
      if (n === undefined) {
        n = Math.max(0, counter.count(word) - 2); // without [CLS] and [SEP]
        if (cache.size >= 200_000) cache.clear();
        cache.set(word, n);
      }
      return n;
    };
    miniLm = (text) => {
      let total = 0;
      for (const word of text.split(/\s+/)) if (word !== '') total += piece(word);
      return total;
    };
  }
  return miniLm;
}

export interface Passage {
  ordinal: number;
  text: string;
  headingPath: string[];
  page: number | null;
  tokenCount: number;
}

const TOKEN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{N}_'’]+|[^\s\p{L}\p{N}]/gu;
const CJK_END = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}。！？、，]$/u;

export function countTokens(text: string): number {
  let n = 0;
  TOKEN.lastIndex = 0;
  while (TOKEN.exec(text)) n++;
  return n;
}

interface Unit {
  text: string;
  tokens: number;
  /** What joins this unit to the one before it in a passage. */
  sep: string;
}

/**
 * Cuts text into pieces of at most `max` tokens at word boundaries, keeping the original spacing.
 * A word is one approximate token but may be several of a model's: a window that counts too many
 * is shrunk in proportion and counted again (a few rounds at most, so the cost stays linear).
 */
function tokenWindows(text: string, max: number, count: Count = countTokens): string[] {
  const ends: number[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(text))) ends.push(m.index + m[0].length);
  const out: string[] = [];
  let start = 0;
  let first = 0; // index in `ends` of the window's first token
  while (first < ends.length) {
    let n = Math.min(max, ends.length - first);
    let piece = text.slice(start, ends[first + n - 1]);
    if (count !== countTokens) {
      for (let round = 0; round < 8 && n > 1; round++) {
        const c = count(piece);
        if (c <= max) break;
        n = Math.max(1, Math.min(n - 1, Math.floor((n * max) / c)));
        piece = text.slice(start, ends[first + n - 1]);
      }
    }
    if (piece.trim()) out.push(piece.trim());
    start = ends[first + n - 1]!;
    first += n;
  }
  const rest = text.slice(start).trim();
  if (rest) out.push(rest);
  return out.filter(Boolean);
}

function sentences(text: string): string[] {
  // After . ! ? followed by space, or after CJK full stops (no space in CJK text).
  return text.split(/(?<=[.!?;:])\s+(?=\S)|(?<=[。！？；])/u).filter((s) => s.trim() !== '');
}

const sepFor = (prev: string, next: string, within: string) => (within === ' ' && CJK_END.test(prev) && /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u.test(next) ? '' : within);

/** A block as units of at most `max` tokens. */
function unitsOf(block: Block, max: number, countTokens: Count): Unit[] {
  const units: Unit[] = [];
  const push = (text: string, sep: string) => {
    const prev = units[units.length - 1];
    units.push({ text, tokens: countTokens(text), sep: prev ? sepFor(prev.text, text, sep) : '\n\n' });
  };
  const whole = countTokens(block.text);
  if (whole <= max) {
    units.push({ text: block.text, tokens: whole, sep: '\n\n' });
    return units;
  }
  if (block.kind === 'table' || block.kind === 'code' || block.kind === 'list') {
    for (const line of block.text.split('\n')) {
      if (!line.trim()) continue;
      for (const piece of countTokens(line) <= max ? [line] : tokenWindows(line, max, countTokens)) push(piece, '\n');
    }
    return units;
  }
  for (const sentence of sentences(block.text)) {
    for (const piece of countTokens(sentence) <= max ? [sentence] : tokenWindows(sentence, max, countTokens)) push(piece.trim(), ' ');
  }
  return units;
}

export function chunkBlocks(blocks: Block[], options: ChunkOptions): Passage[] {
  // Shadows the approximate counter: every count below is in the chosen tokenizer's tokens.
  const countTokens = counterFor(options.tokenizer);
  const max = Math.max(16, Math.floor(options.maxTokens));
  const overlapTokens = Math.floor(max * Math.min(0.5, Math.max(0, options.overlap)));
  const passages: Passage[] = [];
  const headings: Array<{ level: number; text: string }> = [];
  let path: string[] = [];
  let page: number | null = null;
  let current: Unit[] = [];
  let currentTokens = 0;
  /** Units repeated from the previous passage: not worth emitting alone. */
  let carried = 0;
  let hasBody = false;

  const emit = () => {
    if (current.length > carried && hasBody) {
      const text = current.map((u, i) => (i === 0 ? u.text : u.sep + u.text)).join('').trim();
      if (text) passages.push({ ordinal: passages.length, text, headingPath: [...path], page, tokenCount: countTokens(text) });
    }
  };
  const startSection = () => {
    emit();
    current = [];
    currentTokens = 0;
    carried = 0;
    hasBody = false;
  };
  const overlapFrom = (units: Unit[]): Unit[] => {
    if (overlapTokens === 0) return [];
    const out: Unit[] = [];
    let sum = 0;
    for (let i = units.length - 1; i >= 0; i--) {
      const u = units[i]!;
      if (sum + u.tokens > overlapTokens) {
        if (out.length === 0) {
          // The last unit alone is too long: repeat its tail.
          const windows = tokenWindows(u.text, overlapTokens, countTokens);
          const tail = windows[windows.length - 1];
          if (tail) out.unshift({ text: tail, tokens: countTokens(tail), sep: u.sep });
        }
        break;
      }
      out.unshift(u);
      sum += u.tokens;
    }
    return out;
  };

  for (const block of blocks) {
    const blockPage = block.page ?? null;
    if (blockPage !== page) {
      startSection();
      page = blockPage;
    }
    if (block.kind === 'heading') {
      const level = block.level ?? 1;
      while (headings.length && headings[headings.length - 1]!.level >= level) headings.pop();
      headings.push({ level, text: block.text });
      startSection();
      path = headings.map((h) => h.text);
      const text = countTokens(block.text) <= max ? block.text : tokenWindows(block.text, max, countTokens)[0]!;
      current = [{ text, tokens: countTokens(text), sep: '\n\n' }];
      currentTokens = current[0]!.tokens;
      continue;
    }
    for (const unit of unitsOf(block, max, countTokens)) {
      if (currentTokens + unit.tokens > max && current.length > carried && hasBody) {
        emit();
        const overlap = overlapFrom(current);
        // Keep the overlap only if the next unit still fits beside it.
        current = overlap.reduce((s, u) => s + u.tokens, 0) + unit.tokens <= max ? overlap : [];
        carried = current.length;
        currentTokens = current.reduce((s, u) => s + u.tokens, 0);
      } else if (currentTokens + unit.tokens > max) {
        // Only a heading (or carried text) so far: drop it rather than overflow.
        current = [];
        currentTokens = 0;
        carried = 0;
      }
      current.push(current.length === 0 ? { ...unit, sep: '\n\n' } : unit);
      currentTokens += unit.tokens;
      hasBody = true;
    }
  }
  emit();
  return passages;
}
