/**
 * A workspace's vectors of one embedding space held in memory for the exact
 * scan: what `semantic.ts` asks PGlite to do for small workspaces, without
 * reading and decoding every vector on each query. Vectors are stored
 * normalised, so the cosine similarity is one dot product.
 */
import { topK } from './top-k.js';

export class VectorIndex {
  private constructor(
    readonly ids: string[],
    private readonly documentOf: Int32Array,
    private readonly documentIds: string[],
    private readonly vectors: Float32Array,
    readonly dimensions: number,
  ) {}

  get vectorCount(): number {
    return this.ids.length;
  }

  /** `rows` in passage id order (the order ties are broken in); `embedding` as pgvector prints it. */
  static build(rows: Array<{ id: string; documentId: string; embedding: string }>, dimensions: number): VectorIndex {
    const vectors = new Float32Array(rows.length * dimensions);
    rows.forEach((row, i) => {
      const values = JSON.parse(row.embedding) as number[];
      if (values.length !== dimensions) throw new Error(`a vector has ${values.length} dimensions, the space ${dimensions}`);
      let norm = 0;
      for (const v of values) norm += v * v;
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let d = 0; d < dimensions; d++) vectors[i * dimensions + d] = values[d]! * scale;
    });
    const documents = new Map<string, number>();
    const documentOf = Int32Array.from(rows, (r) => {
      let d = documents.get(r.documentId);
      if (d === undefined) documents.set(r.documentId, (d = documents.size));
      return d;
    });
    return new VectorIndex(
      rows.map((r) => r.id),
      documentOf,
      [...documents.keys()],
      vectors,
      dimensions,
    );
  }

  /** The `limit` vectors most similar to `query` by cosine, best first (ties by passage id). */
  /** The document of the passage at `index` (as `rank` returns it). */
  documentIdOf(index: number): string {
    return this.documentIds[this.documentOf[index]!]!;
  }

  rank(query: number[], visible: (documentId: string) => boolean, limit: number): Array<{ index: number; score: number }> {
    const dims = this.dimensions;
    if (query.length !== dims) throw new Error(`query vector has ${query.length} dimensions, the space ${dims}`);
    let norm = 0;
    for (const v of query) norm += v * v;
    const q = Float64Array.from(query, (v) => (norm > 0 ? v / Math.sqrt(norm) : 0));
    const vs = this.vectors;
    const seen = new Int8Array(this.documentIds.length); // 0 unknown, 1 visible, -1 hidden
    return topK(
      this.ids.length,
      (i) => {
        const doc = this.documentOf[i]!;
        if (seen[doc] === 0) seen[doc] = visible(this.documentIds[doc]!) ? 1 : -1;
        if (seen[doc] === -1) return Number.NaN;
        let dot = 0;
        for (let d = 0, base = i * dims; d < dims; d++) dot += q[d]! * vs[base + d]!;
        return dot;
      },
      limit,
    );
  }
}
