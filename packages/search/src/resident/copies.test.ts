/** The pieces the in-memory copies are made of, against the definitions they replace. */
import { describe, expect, it } from 'vitest';
import { KeywordIndex, KeywordIndexBuilder } from './keyword-index.js';
import { topK } from './top-k.js';
import { forEachLexeme } from './tsvector-text.js';
import { UuidColumn } from './uuid-column.js';

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

describe('uuid column', () => {
  it('gives back every id as PostgreSQL prints it, and refuses what is not a UUID', () => {
    const column = new UuidColumn(1); // grows
    const ids = ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f506'];
    for (const id of ids) column.push(id);
    column.push('0192F3A4-5B6C-7D8E-9FA0-B1C2D3E4F507');
    column.trim();
    expect([0, 1, 2, 3].map((i) => column.get(i))).toEqual([...ids, '0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f507']);
    expect(() => column.get(4)).toThrow(RangeError);
    for (const bad of ['', 'not-a-uuid', '0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5zz', '0192f3a4_5b6c-7d8e-9fa0-b1c2d3e4f506']) {
      expect(() => column.push(bad)).toThrow(/not a UUID/);
    }
  });
});

describe('keyword index', () => {
  const uuid = (i: number) => `00000000-0000-0000-0000-${i.toString(16).padStart(12, '0')}`;
  // Passage i holds 'common' once, 'rare' when i % 7 === 0, and i % 3 + 1 copies of 'tf'.
  const rows = Array.from({ length: 200 }, (_, i) => ({
    id: uuid(i),
    documentId: uuid(1000 + (i % 10)),
    tsv: `'common':1 'tf':${Array.from({ length: (i % 3) + 1 }, (_, k) => k + 2).join(',')}${i % 7 === 0 ? " 'rare':9" : ''}`,
    lexemeCount: 2 + (i % 3) + (i % 7 === 0 ? 1 : 0) + (i % 5),
  }));
  const options = { k1: 1.2, b: 0.75 };
  const everything = () => true;

  /** BM25 over the rows directly: the definition the index must reproduce. */
  const reference = (weighted: Array<{ term: string; w: number }>, visible: (d: string) => boolean, required: string[] = []) => {
    const avgdl = rows.reduce((s, r) => s + r.lexemeCount, 0) / rows.length;
    const tfOf = (tsv: string, term: string) => {
      let n = 0;
      forEachLexeme(tsv, (l, o) => {
        if (l === term) n = o;
      });
      return n;
    };
    return rows
      .map((r, index) => {
        let score = 0;
        for (const { term, w } of weighted) {
          const tf = tfOf(r.tsv, term);
          if (tf > 0) score += (w * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * r.lexemeCount) / avgdl));
        }
        return { index, score, ok: score > 0 && visible(r.documentId) && required.every((t) => tfOf(r.tsv, t) > 0) };
      })
      .filter((x) => x.ok)
      .map(({ index, score }) => ({ index, score }))
      .sort((a, b) => b.score - a.score || a.index - b.index);
  };

  it('ranks as BM25 over the passages, ties by id, query after query (the scratch space is reset)', () => {
    const index = KeywordIndex.build(rows);
    expect(index.passageCount).toBe(200);
    expect(index.df('rare')).toBe(29);
    expect(index.idOf(7)).toBe(uuid(7));
    expect(index.documentIdOf(13)).toBe(uuid(1003));
    const queries = [
      [{ term: 'rare', w: 2 }],
      [
        { term: 'tf', w: 0.5 },
        { term: 'rare', w: 2 },
      ],
      [{ term: 'common', w: 1 }], // every passage: ties everywhere
      [{ term: 'absent', w: 1 }],
    ];
    for (let round = 0; round < 2; round++) {
      for (const weighted of queries) {
        const got = index.rank({ weighted, required: [], excluded: [] }, options, everything, 25);
        const want = reference(weighted, everything).slice(0, 25);
        expect(got.map((g) => g.index)).toEqual(want.map((w) => w.index));
        got.forEach((g, i) => expect(g.score).toBeCloseTo(want[i]!.score, 10));
      }
    }
    const hidden = (d: string) => d !== uuid(1000);
    const filtered = index.rank({ weighted: [{ term: 'rare', w: 1 }], required: ['tf'], excluded: [] }, options, hidden, 100);
    expect(filtered.map((g) => g.index)).toEqual(reference([{ term: 'rare', w: 1 }], hidden, ['tf']).map((w) => w.index));
    expect(filtered.every((g) => g.index % 10 !== 0)).toBe(true);
    const excluded = index.rank({ weighted: [{ term: 'common', w: 1 }], required: [], excluded: ['rare'] }, options, everything, 500);
    expect(excluded).toHaveLength(200 - 29);
  });

  it('built in slices (the event loop handed back between them), ranks as built at once', async () => {
    const builder = new KeywordIndexBuilder(4); // grows
    for (const row of rows) builder.add(row);
    const sliced = await builder.finishInSlices(7);
    const whole = KeywordIndex.build(rows);
    const match = { weighted: [{ term: 'tf', w: 1 }, { term: 'rare', w: 3 }], required: [], excluded: [] };
    expect(sliced.rank(match, options, everything, 200)).toEqual(whole.rank(match, options, everything, 200));
    expect(sliced.byteSize).toBeGreaterThan(0);
  });

  it('refuses passages out of id order (ties would break differently from SQL)', () => {
    const builder = new KeywordIndexBuilder(2);
    builder.add(rows[1]!);
    expect(() => builder.add(rows[0]!)).toThrow(/ascending id order/);
  });
});
