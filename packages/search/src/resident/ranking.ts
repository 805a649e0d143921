/**
 * Ranking from the in-memory copies (`resident-indexes.ts`): the same
 * candidates, scores and tie order as the SQL in `keyword.ts` and
 * `semantic.ts`, with the caller's filters applied through the documents copy.
 */
import { bm25Idf, type KeywordOptions, type KeywordQuery } from '../keyword.js';
import type { Candidate, SearchFilters } from '../types.js';
import type { DocumentTable } from './document-table.js';
import type { KeywordIndex } from './keyword-index.js';
import type { VectorIndex } from './vector-index.js';

/** BM25 over the copy; undefined when the query needs positions (a phrase of several words): SQL ranks it. */
export function residentKeywordCandidates(
  index: KeywordIndex,
  documents: DocumentTable,
  query: KeywordQuery,
  filters: SearchFilters,
  depth: number,
  options: KeywordOptions,
): Candidate[] | undefined {
  const constraints = query.lexemeConstraints;
  if (constraints === undefined) return undefined;
  const weighted = query.terms
    .map((t) => ({ term: t.term, df: index.df(t.term), qtf: t.qtf }))
    .filter((t) => t.df > 0)
    .map((t) => ({ term: t.term, w: bm25Idf(index.passageCount, t.df) * t.qtf }));
  if (weighted.length === 0) return [];
  const k1 = Math.max(0, options.k1);
  const b = Math.min(1, Math.max(0, options.b));
  const visible = documents.visibility(filters);
  const rankWith = (required: string[]) =>
    index
      .rank({ weighted, required, excluded: constraints.excluded }, { k1, b }, visible, Math.max(1, Math.trunc(depth)))
      .map((r) => ({ passageId: index.idOf(r.index), score: r.score, documentId: index.documentIdOf(r.index) }));
  const strict = rankWith(constraints.required);
  // As in SQL: quoted words no passage holds as written are ranked as words (exclusions still hold).
  return strict.length === 0 && constraints.required.length > 0 ? rankWith([]) : strict;
}

/** The exact cosine scan over the copy. */
export function residentSemanticCandidates(
  index: VectorIndex,
  documents: DocumentTable,
  vector: number[],
  filters: SearchFilters,
  depth: number,
): Candidate[] {
  return index
    .rank(vector, documents.visibility(filters), Math.max(1, Math.trunc(depth)))
    .map((r) => ({ passageId: index.ids[r.index]!, score: r.score, documentId: index.documentIdOf(r.index) }));
}
