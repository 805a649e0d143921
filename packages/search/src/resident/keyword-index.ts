/**
 * A workspace's keyword postings held in memory: the same BM25 that
 * `keyword.ts` computes in SQL, over the same statistics (every passage of the
 * workspace, as `search_terms` and `search_stats` count them), in a few
 * milliseconds instead of tens. Postings are compressed rows (CSR) in typed
 * arrays: about 6 bytes per (passage, lexeme) pair, and ids 16 bytes per
 * passage. A query touches only the postings of its terms: the cost grows with
 * how many passages hold them, not with the workspace.
 *
 * It is only ever used at the generation it was read at (`residentIndexes`
 * checks), and what it ranks is still checked against the documents table
 * before anything is shown, so it can be stale or missing without being wrong.
 */
import type { KeywordOptions } from '../keyword.js';
import { topK } from './top-k.js';
import { forEachLexeme } from './tsvector-text.js';
import { UuidColumn } from './uuid-column.js';

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

/**
 * Reads passages one at a time (in id order: the order ties are broken in), so
 * a build never holds every passage's tsvector text at once.
 */
export class KeywordIndexBuilder {
  private readonly ids: UuidColumn;
  private readonly terms = new Map<string, number>();
  private readonly termCounts: number[] = [];
  private readonly documents = new Map<string, number>();
  private documentOf: Int32Array;
  private lengths: Uint32Array;
  private forwardOffsets: Int32Array;
  private forwardTerms: Int32Array;
  private forwardTfs: Uint16Array;
  private used = 0;
  private totalLength = 0;
  private lastId = '';

  constructor(expectedPassages = 1024) {
    const capacity = Math.max(16, expectedPassages);
    this.ids = new UuidColumn(capacity);
    this.documentOf = new Int32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.forwardOffsets = new Int32Array(capacity + 1);
    this.forwardTerms = new Int32Array(capacity * 32);
    this.forwardTfs = new Uint16Array(this.forwardTerms.length);
  }

  add(row: PassageRow): void {
    // Ranking breaks ties by position, which must be id order, as in SQL.
    if (row.id <= this.lastId) throw new Error('passages must be added in ascending id order');
    this.lastId = row.id;
    const p = this.ids.length;
    if (p + 1 >= this.documentOf.length) this.growPassages();
    this.ids.push(row.id);
    let d = this.documents.get(row.documentId);
    if (d === undefined) this.documents.set(row.documentId, (d = this.documents.size));
    this.documentOf[p] = d;
    this.lengths[p] = row.lexemeCount;
    this.totalLength += row.lexemeCount;
    forEachLexeme(row.tsv, (lexeme, occurrences) => {
      let t = this.terms.get(lexeme);
      if (t === undefined) {
        t = this.termCounts.length;
        this.terms.set(lexeme, t);
        this.termCounts.push(0);
      }
      this.termCounts[t]!++;
      if (this.used === this.forwardTerms.length) this.growForward();
      this.forwardTerms[this.used] = t;
      this.forwardTfs[this.used] = Math.min(occurrences, 0xffff);
      this.used++;
    });
    this.forwardOffsets[p + 1] = this.used;
  }

  /** Inverts what was added into postings per term, passages ascending. */
  finish(): KeywordIndex {
    const inversion = this.invert(Number.POSITIVE_INFINITY);
    for (;;) {
      const step = inversion.next();
      if (step.done) return step.value;
    }
  }

  /**
   * `finish`, handing the event loop back every `passagesPerSlice` passages: inverting a million
   * passages' postings takes about a second, which requests must not wait behind.
   */
  async finishInSlices(passagesPerSlice = 20_000): Promise<KeywordIndex> {
    const inversion = this.invert(passagesPerSlice);
    for (;;) {
      const step = inversion.next();
      if (step.done) return step.value;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private *invert(passagesPerSlice: number): Generator<void, KeywordIndex> {
    const n = this.ids.length;
    const termCount = this.termCounts.length;
    const offsets = new Int32Array(termCount + 1);
    for (let t = 0; t < termCount; t++) offsets[t + 1] = offsets[t]! + this.termCounts[t]!;
    const fill = offsets.slice(0, termCount);
    const postings = new Int32Array(this.used);
    const tfs = new Uint16Array(this.used);
    for (let p = 0; p < n; p++) {
      for (let k = this.forwardOffsets[p]!; k < this.forwardOffsets[p + 1]!; k++) {
        const at = fill[this.forwardTerms[k]!]!++;
        postings[at] = p;
        tfs[at] = this.forwardTfs[k]!;
      }
      if ((p + 1) % passagesPerSlice === 0) yield;
    }
    this.ids.trim();
    return new KeywordIndex(
      this.ids,
      this.documentOf.slice(0, n),
      [...this.documents.keys()],
      this.lengths.slice(0, n),
      this.terms,
      offsets,
      postings,
      tfs,
      n > 0 ? this.totalLength / n : 0,
    );
  }

  private growPassages(): void {
    const size = this.documentOf.length * 2;
    const documentOf = new Int32Array(size);
    documentOf.set(this.documentOf);
    this.documentOf = documentOf;
    const lengths = new Uint32Array(size);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const offsets = new Int32Array(size + 1);
    offsets.set(this.forwardOffsets);
    this.forwardOffsets = offsets;
  }

  private growForward(): void {
    const terms = new Int32Array(this.used * 2);
    terms.set(this.forwardTerms);
    this.forwardTerms = terms;
    const tfs = new Uint16Array(this.used * 2);
    tfs.set(this.forwardTfs);
    this.forwardTfs = tfs;
  }
}

export class KeywordIndex {
  /** Per-query scratch, reused: zero everywhere between queries (ranking is synchronous). */
  private scores: Float64Array | undefined;
  private touched: Int32Array | undefined;

  constructor(
    private readonly ids: UuidColumn,
    /** Each passage's document, as an index into `documentIds`. */
    private readonly documentOf: Int32Array,
    private readonly documentIds: string[],
    private readonly lengths: Uint32Array,
    private readonly terms: Map<string, number>,
    private readonly offsets: Int32Array,
    private readonly postings: Int32Array,
    private readonly tfs: Uint16Array,
    readonly averageLength: number,
  ) {}

  get passageCount(): number {
    return this.ids.length;
  }

  get postingCount(): number {
    return this.postings.length;
  }

  /** Bytes of typed arrays held (the vocabulary's strings and map not counted), scratch included once used. */
  get byteSize(): number {
    const arrays = [this.documentOf, this.lengths, this.offsets, this.postings, this.tfs, this.scores, this.touched];
    return this.ids.length * 16 + arrays.reduce((sum, a) => sum + (a?.byteLength ?? 0), 0);
  }

  df(term: string): number {
    const t = this.terms.get(term);
    return t === undefined ? 0 : this.offsets[t + 1]! - this.offsets[t]!;
  }

  /** Builds from passages in id order (tests; the resident copy streams through the builder). */
  static build(rows: PassageRow[]): KeywordIndex {
    const builder = new KeywordIndexBuilder(rows.length);
    for (const row of rows) builder.add(row);
    return builder.finish();
  }

  /** The id of the passage at `index` (as `rank` returns it). */
  idOf(index: number): string {
    return this.ids.get(index);
  }

  /** The document of the passage at `index` (as `rank` returns it). */
  documentIdOf(index: number): string {
    return this.documentIds[this.documentOf[index]!]!;
  }

  /**
   * The `limit` best passages matching `match` (ties by passage id), with their
   * BM25 score — the ranking `keyword.ts` computes in SQL.
   */
  rank(
    match: KeywordMatch,
    { k1, b }: KeywordOptions,
    visible: (documentId: string) => boolean,
    limit: number,
  ): Array<{ index: number; score: number }> {
    const n = this.ids.length;
    if (n === 0 || match.weighted.length === 0) return [];
    const avgdl = Math.max(1, this.averageLength);
    const scores = (this.scores ??= new Float64Array(n));
    const touched = (this.touched ??= new Int32Array(n));
    let touchedCount = 0;
    try {
      for (const { term, w } of match.weighted) {
        const t = this.terms.get(term);
        if (t === undefined) continue;
        for (let k = this.offsets[t]!; k < this.offsets[t + 1]!; k++) {
          const p = this.postings[k]!;
          const tf = this.tfs[k]!;
          if (scores[p] === 0) touched[touchedCount++] = p;
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
      // topK breaks ties by the item (the passage's position, id order), as SQL does, whatever order they were touched in.
      return topK(touchedCount, (p) => (keep(p) ? scores[p]! : Number.NaN), limit, (i) => touched[i]!);
    } finally {
      for (let i = 0; i < touchedCount; i++) scores[touched[i]!] = 0;
    }
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
