import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from './fusion.js';
import { MARK_END, MARK_START, renderSnippet } from './snippets.js';

describe('renderSnippet', () => {
  it('escapes everything and marks only the sentinel pairs', () => {
    const out = renderSnippet(`\uE002img src=x onerror=alert(1)\uE003 ${MARK_START}fox${MARK_END} & "dogs" ${MARK_END}stray`);
    expect(out).toBe('&lt;img src=x onerror=alert(1)&gt; <mark>fox</mark> &amp; &quot;dogs&quot; stray');
  });

  it('closes an unbalanced mark and drops empty ones', () => {
    expect(renderSnippet(`${MARK_START}${MARK_END}a ${MARK_START}b`)).toBe('a <mark>b</mark>');
  });
});

describe('reciprocalRankFusion', () => {
  it('rewards agreement between the lists and keeps single-list hits', () => {
    const fused = reciprocalRankFusion(
      [{ passageId: 'a', score: 9 }, { passageId: 'b', score: 5 }],
      [{ passageId: 'b', score: 0.9 }, { passageId: 'c', score: 0.8 }],
      { k: 60, keywordWeight: 1, semanticWeight: 1 },
    );
    expect(fused.map((c) => c.passageId)).toEqual(['b', 'a', 'c']);
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 10);
  });
});
