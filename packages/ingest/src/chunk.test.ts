import { describe, expect, it } from 'vitest';
import { chunkBlocks, countTokens } from './chunk.js';
import type { Block } from './extract/types.js';

const words = (n: number, prefix = 'w') => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ');
const sentencesOf = (n: number, len = 10) =>
  Array.from({ length: n }, (_, i) => `${Array.from({ length: len - 1 }, (_, j) => `s${i}x${j}`).join(' ')} end.`).join(' ');

describe('chunkBlocks', () => {
  it('keeps a short document without headings as one passage', () => {
    const blocks: Block[] = [
      { kind: 'paragraph', text: 'First paragraph.' },
      { kind: 'paragraph', text: 'Second paragraph.' },
    ];
    expect(chunkBlocks(blocks, { maxTokens: 100, overlap: 0.15 })).toEqual([
      { ordinal: 0, text: 'First paragraph.\n\nSecond paragraph.', headingPath: [], page: null, tokenCount: 6 },
    ]);
  });

  it('splits one giant paragraph at sentences, within the limit, with overlap', () => {
    const passages = chunkBlocks([{ kind: 'paragraph', text: sentencesOf(100) }], { maxTokens: 100, overlap: 0.2 });
    expect(passages.length).toBeGreaterThan(10);
    for (const p of passages) expect(p.tokenCount).toBeLessThanOrEqual(100);
    // Each passage after the first starts with the end of the one before it.
    for (let i = 1; i < passages.length; i++) {
      const firstSentence = passages[i]!.text.split(' end.')[0]!;
      expect(passages[i - 1]!.text).toContain(firstSentence);
    }
    // Every sentence survives.
    const all = passages.map((p) => p.text).join(' ');
    for (let i = 0; i < 100; i++) expect(all).toContain(`s${i}x0`);
  });

  it('cuts a paragraph with no sentence ends into token windows', () => {
    const passages = chunkBlocks([{ kind: 'paragraph', text: words(1000) }], { maxTokens: 200, overlap: 0 });
    expect(passages.map((p) => p.tokenCount)).toEqual([200, 200, 200, 200, 200]);
    expect(passages[4]!.text.endsWith('w999')).toBe(true);
  });

  it('is heading-aware: sections never mix, paths nest', () => {
    const blocks: Block[] = [
      { kind: 'heading', level: 1, text: 'Guide' },
      { kind: 'paragraph', text: 'Intro text.' },
      { kind: 'heading', level: 2, text: 'Install' },
      { kind: 'paragraph', text: 'Run the installer.' },
      { kind: 'heading', level: 2, text: 'Configure' },
      { kind: 'paragraph', text: 'Edit the file.' },
      { kind: 'heading', level: 1, text: 'Appendix' },
      { kind: 'paragraph', text: 'More.' },
    ];
    const passages = chunkBlocks(blocks, { maxTokens: 800, overlap: 0.15 });
    expect(passages.map((p) => [p.headingPath, p.text])).toEqual([
      [['Guide'], 'Guide\n\nIntro text.'],
      [['Guide', 'Install'], 'Install\n\nRun the installer.'],
      [['Guide', 'Configure'], 'Configure\n\nEdit the file.'],
      [['Appendix'], 'Appendix\n\nMore.'],
    ]);
  });

  it('keeps PDF pages apart and numbered', () => {
    const blocks: Block[] = [1, 2, 3].map((page) => ({ kind: 'paragraph' as const, text: `Text of page ${page}.`, page }));
    expect(chunkBlocks(blocks, { maxTokens: 800, overlap: 0.15 }).map((p) => p.page)).toEqual([1, 2, 3]);
  });

  it('splits tables between rows, never inside one', () => {
    const rows = Array.from({ length: 60 }, (_, i) => `row${i} | value ${i} | note`).join('\n');
    const passages = chunkBlocks([{ kind: 'table', text: rows }], { maxTokens: 60, overlap: 0 });
    expect(passages.length).toBeGreaterThan(1);
    for (const p of passages) for (const line of p.text.split('\n')) expect(line).toMatch(/^row\d+ \| value \d+ \| note$/);
  });

  it('counts and splits CJK text per character, joining without spaces', () => {
    const sentence = '向量数据库能够快速检索相似的段落。';
    expect(countTokens(sentence)).toBe(17);
    const passages = chunkBlocks([{ kind: 'paragraph', text: sentence.repeat(30) }], { maxTokens: 60, overlap: 0.15 });
    expect(passages.length).toBeGreaterThan(5);
    for (const p of passages) {
      expect(p.tokenCount).toBeLessThanOrEqual(60);
      expect(p.text).not.toMatch(/ /);
    }
  });

  it('is deterministic', () => {
    const blocks: Block[] = [{ kind: 'heading', level: 1, text: 'A' }, { kind: 'paragraph', text: sentencesOf(40) }];
    expect(chunkBlocks(blocks, { maxTokens: 50, overlap: 0.15 })).toEqual(chunkBlocks(blocks, { maxTokens: 50, overlap: 0.15 }));
  });
});
