/**
 * Keyword retrieval: PostgreSQL full text search over `passages.tsv` (GIN).
 * `websearch_to_tsquery` gives users quotes, `or` and `-exclusions`. Passages
 * matching every term rank first (by `ts_rank_cd`); when a plain query (no
 * operators) has fewer such matches than asked for, passages matching some of
 * the terms follow — natural-language questions rarely match every word.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '@quarry/db';
import { documentConditions } from './filters.js';
import type { Candidate, SearchFilters } from './types.js';

export interface KeywordQuery {
  /** `websearch_to_tsquery` of the text, as tsquery text ('' when only stop words). */
  all: string;
  /** The text's lexemes OR-ed together ('' when none); also used to highlight snippets. */
  any: string;
  /** The user wrote quotes, `or` or a `-exclusion`: honour them strictly. */
  hasOperators: boolean;
}

export async function parseKeywordQuery(db: Database, language: string, text: string): Promise<KeywordQuery> {
  const [row] = await queryRows<{ all: string | null; any: string | null }>(
    db,
    sql`SELECT websearch_to_tsquery(${language}::regconfig, ${text})::text AS "all",
      (SELECT string_agg(quote_literal(l), ' | ' ORDER BY l)
         FROM unnest(tsvector_to_array(to_tsvector(${language}::regconfig, ${text}))) AS l) AS "any"`,
  );
  return {
    all: row?.all ?? '',
    any: row?.any ?? '',
    hasOperators: /["]|(^|\s)-\S|\sor\s/i.test(text),
  };
}

export interface KeywordOptions {
  /** Follow passages matching all terms with those matching some (plain queries only). */
  partialMatches: boolean;
  /** `ts_rank_cd` normalisation bits (1: divide by 1 + log(length); 32: rank/(rank+1)). */
  normalization: number;
}

export const defaultKeywordOptions: KeywordOptions = { partialMatches: true, normalization: 1 };

export async function keywordCandidates(
  db: Database,
  workspaceId: string,
  query: KeywordQuery,
  filters: SearchFilters,
  depth: number,
  options: KeywordOptions = defaultKeywordOptions,
): Promise<Candidate[]> {
  if (query.all === '') return [];
  const norm = Math.trunc(options.normalization);
  const where = documentConditions(workspaceId, filters);
  const strict = await queryRows<Candidate>(
    db,
    sql`SELECT p.id AS "passageId", ts_rank_cd(p.tsv, ${query.all}::tsquery, ${norm}) AS score
      FROM passages p JOIN documents d ON d.id = p.document_id
      WHERE p.workspace_id = ${workspaceId}::uuid AND ${where} AND p.tsv @@ ${query.all}::tsquery
      ORDER BY score DESC, p.id
      LIMIT ${depth}`,
  );
  const all = strict.map((c) => ({ passageId: c.passageId, score: 1 + Number(c.score) }));
  if (!options.partialMatches || query.hasOperators || query.any === '' || all.length >= depth) return all;
  const partial = await queryRows<Candidate>(
    db,
    sql`SELECT p.id AS "passageId", ts_rank_cd(p.tsv, ${query.any}::tsquery, ${norm}) AS score
      FROM passages p JOIN documents d ON d.id = p.document_id
      WHERE p.workspace_id = ${workspaceId}::uuid AND ${where} AND p.tsv @@ ${query.any}::tsquery
        AND NOT (p.tsv @@ ${query.all}::tsquery)
      ORDER BY score DESC, p.id
      LIMIT ${depth - all.length}`,
  );
  // Partial matches score below 1, full matches above: one comparable scale.
  return all.concat(partial.map((c) => ({ passageId: c.passageId, score: Math.min(0.999, Number(c.score)) })));
}
