/** The reader's layout from passages, and finding a passage on a PDF page's text items. */
import { describe, expect, it } from 'vitest';
import type { ReaderPassage } from '../api/contract.js';
import { layOut, markTerms, segmentsOf, tableOf } from './layout.js';
import { locatePassage } from './pdf-locate.js';

const p = (
  ordinal: number,
  text: string,
  headingPath: string[] = [],
  page: number | null = null,
  overlap = 0,
): ReaderPassage => ({
  id: `id-${ordinal}`,
  ordinal,
  page,
  headingPath,
  text,
  overlap,
});

describe('reader layout', () => {
  it('opens each new heading once, at its depth, and drops the heading text the passage starts with', () => {
    const out = layOut([
      p(0, 'Guide\n\nIntro text.', ['Guide']),
      p(1, 'Tides\n\nSpring tides.', ['Guide', 'Tides']),
      p(2, 'Spring tides. Neap tides.', ['Guide', 'Tides'], null, 'Spring tides.'.length),
      p(3, 'History\n\nLit in 1851.', ['Guide', 'Light', 'History']),
    ]);
    expect(out.map((o) => o.headings)).toEqual([
      [{ level: 1, text: 'Guide' }],
      [{ level: 2, text: 'Tides' }],
      [],
      [
        { level: 2, text: 'Light' },
        { level: 3, text: 'History' },
      ],
    ]);
    expect(out[0]!.segments).toEqual([{ kind: 'paragraph', text: 'Intro text.' }]);
    // The overlap with the passage before is shown once.
    expect(out[2]!.segments).toEqual([{ kind: 'paragraph', text: 'Neap tides.' }]);
  });

  it('marks a page break where the page changes', () => {
    const out = layOut([p(0, 'a', [], 1), p(1, 'b', [], 1), p(2, 'c', [], 2)]);
    expect(out.map((o) => o.pageBreak)).toEqual([1, undefined, 2]);
  });

  it('reads extractor tables (" | ") and Markdown tables as rows and cells, and leaves prose alone', () => {
    expect(tableOf('Berth | Length\nA1 | 12 m')).toEqual([
      ['Berth', 'Length'],
      ['A1', '12 m'],
    ]);
    expect(tableOf('| a | b |\n|---|---|\n| 1 | 2 |')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(tableOf('Either this|that, said once.')).toBeUndefined();
    expect(segmentsOf('Text.\n\nx | y\n1 | 2').map((s) => s.kind)).toEqual(['paragraph', 'table']);
  });

  it('marks words that start with a lexeme, case-insensitively, not inside other words', () => {
    const parts = markTerms('Lighthouses and the lighthouse; a searchlight.', ['lighthous', 'light']);
    expect(parts.filter((x) => x.mark).map((x) => x.text)).toEqual(['Lighthouses', 'lighthouse']);
    expect(markTerms('plain', [])).toEqual([{ text: 'plain', mark: false }]);
  });
});

describe('locating a passage on a PDF page', () => {
  const items = [
    { str: 'Basalt. The hexagonal ba' },
    { str: '' },
    { str: 'salt columns formed when a thick lava' },
    { str: 'Shingle ridges' },
  ];
  it('finds it across items, ignoring whitespace and hyphenation', () => {
    expect(locatePassage(items, 'The hexagonal basalt columns formed')).toEqual([0, 2]);
    expect(locatePassage([{ str: 'water-' }, { str: 'proof boots' }], 'waterproof boots')).toEqual([0, 1]);
  });
  it('says null when the text is not on the page', () => {
    expect(locatePassage(items, 'Something entirely different here')).toBeNull();
    expect(locatePassage([], 'anything')).toBeNull();
  });
});
