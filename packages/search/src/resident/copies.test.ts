/** The pieces the in-memory copies are made of, against the definitions they replace. */
import { describe, expect, it } from 'vitest';
import { topK } from './top-k.js';
import { forEachLexeme } from './tsvector-text.js';

const lexemesOf = (text: string) => {
  const out: Array<[string, number]> = [];
  forEachLexeme(text, (lexeme, n) => out.push([lexeme, n]));
  return out;
};

describe('tsvector text', () => {
  it('reads lexemes with their number of positions, weights and escapes included', () => {
    expect(lexemesOf(`'fog':3,9B 'it''s':1 'back\\\\slash':2,4,6A 'plain'`)).toEqual([
      ['fog', 2],
      ["it's", 1],
      ['back\\slash', 3],
      ['plain', 0],
    ]);
    expect(lexemesOf('')).toEqual([]);
    expect(() => lexemesOf(`'open`)).toThrow(/unterminated/);
  });
});

describe('topK', () => {
  it('equals a full sort (score descending, index ascending) for every k, ties and NaN included', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const scores = Array.from({ length: 300 }, () => (random() < 0.1 ? Number.NaN : Math.round(random() * 20) / 4));
    const full = scores
      .map((score, index) => ({ index, score }))
      .filter((x) => !Number.isNaN(x.score))
      .sort((a, b) => b.score - a.score || a.index - b.index);
    for (const k of [0, 1, 5, 50, 270, 300, 1000]) {
      expect(topK(scores.length, (i) => scores[i]!, k)).toEqual(full.slice(0, k));
    }
  });
});
