/**
 * What search filters a workspace's documents by — visibility (`ready`), type
 * and creation time — held in memory beside the index copies, at the
 * workspace's `document_generation`. `visible` is `documentConditions`
 * (filters.ts) in JavaScript; a test holds the two to the same answers.
 */
import { mimeTypesOf } from '../filters.js';
import type { SearchFilters } from '../types.js';

export interface DocumentRow {
  id: string;
  status: string;
  mimeType: string;
  /** Microseconds since the epoch, as PostgreSQL stores it. */
  createdAtMicros: bigint;
}

export class DocumentTable {
  private constructor(private readonly rows: Map<string, DocumentRow>) {}

  static build(rows: DocumentRow[]): DocumentTable {
    return new DocumentTable(new Map(rows.map((r) => [r.id, r])));
  }

  get size(): number {
    return this.rows.size;
  }

  /** A predicate over document ids for these filters (validated as SQL would: a wrong type throws). */
  visibility(filters: SearchFilters): (documentId: string) => boolean {
    const ids = filters.documentIds !== undefined && filters.documentIds.length > 0 ? new Set(filters.documentIds.map((id) => id.toLowerCase())) : undefined;
    const mimes = filters.types !== undefined && filters.types.length > 0 ? new Set(mimeTypesOf(filters.types)) : undefined;
    const from = filters.createdFrom === undefined ? undefined : BigInt(filters.createdFrom.getTime()) * 1000n;
    const before = filters.createdBefore === undefined ? undefined : BigInt(filters.createdBefore.getTime()) * 1000n;
    return (documentId) => {
      const d = this.rows.get(documentId);
      if (d === undefined || d.status !== 'ready') return false;
      if (ids !== undefined && !ids.has(documentId)) return false;
      if (mimes !== undefined && !mimes.has(d.mimeType)) return false;
      if (from !== undefined && d.createdAtMicros < from) return false;
      if (before !== undefined && d.createdAtMicros >= before) return false;
      return true;
    };
  }
}
