/**
 * A workspace's keyword postings held in memory: the same BM25 that
 * `keyword.ts` computes in SQL, over the same statistics (every passage of the
 * workspace, as `search_terms` and `search_stats` count them), in a few
 * milliseconds instead of tens. Postings are compressed rows (CSR) in typed
 * arrays: about 6 bytes per (passage, lexeme) pair.
 *
 * It is only ever used at the generation it was read at (`residentIndexes`
 * checks), and what it ranks is still checked against the documents table
 * before anything is shown, so it can be stale or missing without being wrong.
 */
import type { KeywordOptions } from '../keyword.js';
import { topK } from './top-k.js';
import { forEachLexeme } from './tsvector-text.js';

export interface PassageRow {
  id: string;
  documentId: string;
  tsv: string;
  lexemeCount: number;
}

export interface KeywordMatch {
  /** Lexemes that score, with their query weight (idf × query frequency). */
  weighted: Array<{ term: string; w: number }>;
  /** Lexemes every candidate must hold (quoted one-word phrases). */
  required: string[];
  /** Lexemes no candidate may hold (` -word`). */
  excluded: string[];
}

export class KeywordIndex {
  private constructor(
    readonly ids: string[],
    /** Each passage's document, as an index into `documentIds`. */
    private readonly documentOf: Int32Array,
    private readonly documentIds: string[],
    private readonly lengths: Float64Array,
    private readonly terms: Map<string, number>,
    private readonly offsets: Int32Array,
    private readonly postings: Int32Array,
    private readonly tfs: Uint16Array,
    readonly averageLength: number,
  ) {}

  get passageCount(): number {
    return this.ids.length;
  }

  /** Bytes held, roughly: for the cache's budget. */
  get postingCount(): number {
    return this.postings.length;
  }

  df(term: string): number {
    const t = this.terms.get(term);
    return t === undefined ? 0 : this.offsets[t + 1]! - this.offsets[t]!;
  }

  /** Builds from passages in id order (the order ties are broken in). */
  static build(rows: PassageRow[]): KeywordIndex {
    const terms = new Map<string, number>();
    const termCounts: number[] = [];
    // Forward pass: per passage, its term ids and counts, in one growing buffer.
    let forwardTerms = new Int32Array(Math.max(1024, rows.length * 64));
    let forwardTfs = new Uint16Array(forwardTerms.length);
    const forwardOffsets = new Int32Array(rows.length + 1);
    const lengths = new Float64Array(rows.length);
    let used = 0;
    let totalLength = 0;
    rows.forEach((row, p) => {
      lengths[p] = row.lexemeCount;
      totalLength += row.lexemeCount;
      forEachLexeme(row.tsv, (lexeme, occurrences) => {
        let t = terms.get(lexeme);
        if (t === undefined) {
          t = termCounts.length;
          terms.set(lexeme, t);
          termCounts.push(0);
        }
        termCounts[t]!++;
        if (used === forwardTerms.length) {
          const grownTerms = new Int32Array(used * 2);
          grownTerms.set(forwardTerms);
          forwardTerms = grownTerms;
          const grownTfs = new Uint16Array(used * 2);
          grownTfs.set(forwardTfs);
          forwardTfs = grownTfs;
        }
        forwardTerms[used] = t;
        forwardTfs[used] = Math.min(occurrences, 0xffff);
        used++;
      });
      forwardOffsets[p + 1] = used;
    });
    // Invert: postings per term, passages ascending.
    const offsets = new Int32Array(termCounts.length + 1);
    for (let t = 0; t < termCounts.length; t++) offsets[t + 1] = offsets[t]! + termCounts[t]!;
    const fill = offsets.slice(0, termCounts.length);
    const postings = new Int32Array(used);
    const tfs = new Uint16Array(used);
    for (let p = 0; p < rows.length; p++) {
      for (let k = forwardOffsets[p]!; k < forwardOffsets[p + 1]!; k++) {
        const at = fill[forwardTerms[k]!]!++;
        postings[at] = p;
        tfs[at] = forwardTfs[k]!;
      }
    }
    const documents = new Map<string, number>();
    const documentOf = Int32Array.from(rows, (r) => {
      let d = documents.get(r.documentId);
      if (d === undefined) documents.set(r.documentId, (d = documents.size));
      return d;
    });
    return new KeywordIndex(
      rows.map((r) => r.id),
      documentOf,
      [...documents.keys()],
      lengths,
      terms,
      offsets,
      postings,
      tfs,
      rows.length > 0 ? totalLength / rows.length : 0,
    );
  }

  /**
   * The `limit` best passages matching `match` (ties by passage id), with their
   * BM25 score — the ranking `keyword.ts` computes in SQL.
   */
  /** The document of the passage at `index` (as `rank` returns it). */
  documentIdOf(index: number): string {
    return this.documentIds[this.documentOf[index]!]!;
  }

  rank(
    match: KeywordMatch,
    { k1, b }: KeywordOptions,
    visible: (documentId: string) => boolean,
    limit: number,
  ): Array<{ index: number; score: number }> {
    const n = this.ids.length;
    if (n === 0 || match.weighted.length === 0) return [];
    const avgdl = Math.max(1, this.averageLength);
    const scores = new Float64Array(n);
    for (const { term, w } of match.weighted) {
      const t = this.terms.get(term);
      if (t === undefined) continue;
      for (let k = this.offsets[t]!; k < this.offsets[t + 1]!; k++) {
        const p = this.postings[k]!;
        const tf = this.tfs[k]!;
        // A matching passage always ends above 0, so 0 means "holds no query term" (SQL never sees it).
        scores[p] = scores[p]! + ((w * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * this.lengths[p]!) / avgdl)) || Number.MIN_VALUE);
      }
    }
    const seen = new Int8Array(this.documentIds.length); // 0 unknown, 1 visible, -1 hidden
    const shown = (p: number) => {
      const d = this.documentOf[p]!;
      if (seen[d] === 0) seen[d] = visible(this.documentIds[d]!) ? 1 : -1;
      return seen[d] === 1;
    };
    const keep = (p: number) =>
      shown(p) && match.required.every((term) => this.holds(term, p)) && !match.excluded.some((term) => this.holds(term, p));
    // Scanning every passage keeps ties in passage-id order, as SQL breaks them.
    return topK(n, (p) => (scores[p]! > 0 && keep(p) ? scores[p]! : Number.NaN), limit);
  }

  private holds(term: string, passage: number): boolean {
    const t = this.terms.get(term);
    if (t === undefined) return false;
    // Postings are ascending: binary search.
    let lo = this.offsets[t]!;
    let hi = this.offsets[t + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.postings[mid]!;
      if (v === passage) return true;
      if (v < passage) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}
