/**
 * Keyword retrieval: Okapi BM25 over PostgreSQL full-text search.
 *
 * Candidates come from the GIN index on `passages.tsv` (any query term);
 * they are scored with BM25 from the workspace's own term statistics
 * (`search_terms`, `search_stats`, kept exact by triggers on `passages`), so a
 * rare word outweighs a common one and long passages do not win by length.
 * Stemming and stop words come from the text-search configuration.
 *
 * The user's text is parsed by `parseQuerySyntax` (plain words never become
 * operators); each part reaches PostgreSQL as a parameter of `to_tsvector`,
 * `phraseto_tsquery` or `plainto_tsquery`, never as tsquery syntax.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '@quarry/db';
import { documentConditions } from './filters.js';
import { parseQuerySyntax } from './query-syntax.js';
import { forEachLexeme } from './resident/tsvector-text.js';
import type { Candidate, SearchFilters } from './types.js';

export interface KeywordTerm {
  term: string;
  /** Occurrences in the query. */
  qtf: number;
}

export interface KeywordQuery {
  /** The query's lexemes (what BM25 scores), in lexeme order. */
  terms: KeywordTerm[];
  /** Passages in the workspace, and their mean length in lexeme occurrences. */
  passageCount: number;
  averageLength: number;
  /** The phrases' and exclusions' tsquery text, built by PostgreSQL (null when there are none). */
  phrases: string | null;
  excluded: string | null;
  /** The query's lexemes OR-ed together ('' when none): highlights snippets. */
  any: string;
  /** The workspace's `search_stats` generations (null: it has no passages): which in-memory copy is current. */
  generation: number | null;
  vectorGeneration: number | null;
  documentGeneration: number | null;
  /**
   * Phrases and exclusions as single lexemes, when each is one (`"retrieval"`, ` -draft`), so the
   * in-memory copy can evaluate them; undefined when one spans several words and needs positions.
   */
  lexemeConstraints?: { required: string[]; excluded: string[] };
}

export interface KeywordOptions {
  /** Term-frequency saturation. */
  k1: number;
  /** Length normalisation (0: none, 1: full). */
  b: number;
}

/**
 * The textbook defaults; on CISI (the development collection) the neighbourhood
 * k1 0.9–1.5, b 0.6–0.8 is flat within ±0.005 nDCG@10 (docs/benchmarks.md).
 */
export const defaultKeywordOptions: KeywordOptions = { k1: 1.2, b: 0.75 };

/**
 * One round trip: the query's lexemes (read from the tsvector's text), its phrases and exclusions, and
 * the workspace's size and generations. Document frequencies are looked up only when SQL ranks
 * (`keywordCandidates`); an in-memory copy has its own.
 */
export async function parseKeywordQuery(db: Database, language: string, workspaceId: string, text: string): Promise<KeywordQuery> {
  const parsed = parseQuerySyntax(text);
  const phrases = JSON.stringify(parsed.phrases);
  const excluded = JSON.stringify(parsed.excluded);
  // Phrase and exclusion lists are usually empty: their subqueries are left out then.
  const phraseColumns =
    parsed.phrases.length === 0
      ? sql`NULL::text AS phrases, '[]'::json AS phrase_lexemes`
      : sql`(SELECT string_agg('(' || q::text || ')', ' & ')
               FROM json_array_elements_text(${phrases}::json) AS p, phraseto_tsquery(${language}::regconfig, p) AS q
               WHERE q::text <> '') AS phrases,
            (SELECT json_agg(CASE WHEN numnode(q) = 1 THEN (SELECT u.lexeme FROM unnest(to_tsvector(${language}::regconfig, p)) AS u LIMIT 1) END)
               FROM json_array_elements_text(${phrases}::json) AS p, phraseto_tsquery(${language}::regconfig, p) AS q
               WHERE q::text <> '') AS phrase_lexemes`;
  const excludedColumns =
    parsed.excluded.length === 0
      ? sql`NULL::text AS excluded, '[]'::json AS excluded_lexemes`
      : sql`(SELECT string_agg('!(' || q::text || ')', ' & ')
               FROM json_array_elements_text(${excluded}::json) AS w, plainto_tsquery(${language}::regconfig, w) AS q
               WHERE q::text <> '') AS excluded,
            (SELECT json_agg(CASE WHEN numnode(q) = 1 THEN (SELECT u.lexeme FROM unnest(to_tsvector(${language}::regconfig, w)) AS u LIMIT 1) END)
               FROM json_array_elements_text(${excluded}::json) AS w, plainto_tsquery(${language}::regconfig, w) AS q
               WHERE q::text <> '') AS excluded_lexemes`;
  const [row] = await queryRows<{
    bag: string;
    n: number | string | null;
    total: number | string | null;
    phrases: string | null;
    excluded: string | null;
    phrase_lexemes: Array<string | null> | string | null;
    excluded_lexemes: Array<string | null> | string | null;
    generation: number | string | null;
    vector_generation: number | string | null;
    document_generation: number | string | null;
  }>(
    db,
    sql`SELECT to_tsvector(${language}::regconfig, ${parsed.bag})::text AS bag, ${phraseColumns}, ${excludedColumns},
          s.passages AS n, s.lexemes AS total, s.generation, s.vector_generation, s.document_generation
        FROM (SELECT 1) AS one LEFT JOIN search_stats s ON s.workspace_id = ${workspaceId}::uuid`,
  );
  const terms: KeywordTerm[] = [];
  forEachLexeme(row?.bag ?? '', (term, occurrences) => terms.push({ term, qtf: Math.max(occurrences, 1) }));
  const passageCount = Number(row?.n ?? 0);
  const lexemes = (value: Array<string | null> | string | null | undefined): Array<string | null> =>
    typeof value === 'string' ? (JSON.parse(value) as Array<string | null>) : (value ?? []);
  const required = lexemes(row?.phrase_lexemes);
  const excludedLexemes = lexemes(row?.excluded_lexemes);
  const single = (list: Array<string | null>): list is string[] => list.every((l) => l !== null);
  return {
    terms,
    passageCount,
    averageLength: passageCount > 0 ? Number(row?.total ?? 0) / passageCount : 0,
    phrases: row?.phrases ?? null,
    excluded: row?.excluded ?? null,
    any: terms.map((t) => quoteLexeme(t.term)).join(' | '),
    generation: numberOrNull(row?.generation),
    vectorGeneration: numberOrNull(row?.vector_generation),
    documentGeneration: numberOrNull(row?.document_generation),
    ...(single(required) && single(excludedLexemes) ? { lexemeConstraints: { required, excluded: excludedLexemes } } : {}),
  };
}

/** How many of the workspace's passages hold each term (`search_terms`); absent terms are left out. */
export async function documentFrequencies(db: Database, workspaceId: string, terms: string[]): Promise<Map<string, number>> {
  if (terms.length === 0) return new Map();
  const rows = await queryRows<{ term: string; df: number | string }>(
    db,
    sql`SELECT term, df FROM search_terms
        WHERE workspace_id = ${workspaceId}::uuid AND term IN (SELECT json_array_elements_text(${JSON.stringify(terms)}::json))`,
  );
  return new Map(rows.map((r) => [r.term, Number(r.df)]));
}

const numberOrNull = (value: number | string | null | undefined) => (value === null || value === undefined ? null : Number(value));

/** A lexeme as a tsquery operand: quoted, with quotes and backslashes escaped as tsquery's parser expects. */
function quoteLexeme(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Lucene's BM25 idf: never negative, so a term in most passages still counts a little. */
export function bm25Idf(passageCount: number, df: number): number {
  return Math.log(1 + (passageCount - df + 0.5) / (df + 0.5));
}

export async function keywordCandidates(
  db: Database,
  workspaceId: string,
  query: KeywordQuery,
  filters: SearchFilters,
  depth: number,
  options: KeywordOptions = defaultKeywordOptions,
): Promise<Candidate[]> {
  if (query.terms.length === 0 || query.passageCount === 0) return [];
  const df = await documentFrequencies(db, workspaceId, query.terms.map((t) => t.term));
  const weights = query.terms
    .filter((t) => (df.get(t.term) ?? 0) > 0)
    .map((t) => ({ term: t.term, w: bm25Idf(query.passageCount, df.get(t.term)!) * t.qtf }));
  if (weights.length === 0) return [];
  const any = `(${weights.map((t) => quoteLexeme(t.term)).join(' | ')})`;
  const matchOf = (phrases: boolean) => [any, ...(phrases && query.phrases ? [query.phrases] : []), ...(query.excluded ? [query.excluded] : [])].join(' & ');
  const k1 = Math.max(0, options.k1);
  const b = Math.min(1, Math.max(0, options.b));
  const avgdl = Math.max(1, query.averageLength);
  const where = documentConditions(workspaceId, filters);
  const rank = (match: string) => bm25(db, workspaceId, where, match, weights, { k1, b, avgdl }, depth);
  const strict = await rank(matchOf(true));
  // Quoted words no passage holds as written: rank the words rather than return nothing (exclusions still hold).
  return strict.length === 0 && query.phrases ? rank(matchOf(false)) : strict;
}

async function bm25(
  db: Database,
  workspaceId: string,
  where: ReturnType<typeof documentConditions>,
  match: string,
  weights: Array<{ term: string; w: number }>,
  { k1, b, avgdl }: { k1: number; b: number; avgdl: number },
  depth: number,
): Promise<Candidate[]> {
  // setweight + ts_filter cut each candidate's tsvector down to the query's lexemes before it is
  // unnested: the tf lookups stay a few rows per passage however long the passage is.
  const rows = await queryRows<Candidate>(
    db,
    sql`WITH q AS (SELECT term, w FROM json_to_recordset(${JSON.stringify(weights)}::json) AS x(term text, w float8)),
             qa AS (SELECT array_agg(term) AS terms FROM q)
        SELECT p.id AS "passageId", p.document_id AS "documentId",
               sum(q.w * cardinality(u.positions) * ${k1 + 1}::float8
                   / (cardinality(u.positions) + ${k1}::float8 * (1 - ${b}::float8 + ${b}::float8 * p.lexeme_count / ${avgdl}::float8))) AS score
        FROM passages p JOIN documents d ON d.id = p.document_id
          CROSS JOIN qa
          CROSS JOIN LATERAL unnest(ts_filter(setweight(p.tsv, 'A', qa.terms), '{a}')) AS u
          JOIN q ON q.term = u.lexeme
        WHERE p.workspace_id = ${workspaceId}::uuid AND ${where} AND p.tsv @@ ${match}::tsquery
        GROUP BY p.id, p.document_id
        ORDER BY score DESC, p.id
        LIMIT ${Math.max(1, Math.trunc(depth))}`,
  );
  return rows.map((r) => ({ passageId: r.passageId, score: Number(r.score), documentId: r.documentId }));
}
