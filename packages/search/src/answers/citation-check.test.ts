import { describe, expect, it } from 'vitest';
import { checkCitations, createCitationCheck } from './citation-check.js';

describe('citation check', () => {
  it('keeps citations of given passages and removes the others, even split across stream pieces', () => {
    const check = createCitationCheck(3);
    const pieces = ['Encodes [', '1', '] values [4', '].', ' See [2, 8] and [sic] or [a-z].'];
    const shown = pieces.map((p) => check.push(p)).join('') + check.flush();
    expect(shown).toBe('Encodes [1] values . See [2] and [sic] or [a-z].');
    expect(check.removed).toEqual([4, 8]);
  });

  it('never holds back more than a citation could be, and flushes an unfinished bracket', () => {
    const check = createCitationCheck(2);
    expect(check.push('a [1 2 3 4 5 6 7 8 9 10 11 12 13')).toBe('a [1 2 3 4 5 6 7 8 9 10 11 12 13');
    expect(check.push('tail [')).toBe('tail ');
    expect(check.flush()).toBe('[');
  });

  it('checks a finished text the same way, tidying the space a removed citation leaves', () => {
    expect(checkCitations('One [1]. Two [0]. Three [3].', 2)).toEqual({ text: 'One [1]. Two. Three.', removed: [0, 3] });
  });
});
