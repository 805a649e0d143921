/**
 * The search service: validates a request, ranks passages in the caller's
 * workspace by keyword, semantic or hybrid retrieval, then presents one page
 * with highlighted snippets. Answers reuse `retrieve` for their sources.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database, type VectorSpaceRef } from '@quarry/db';
import type { Embedder, EmbeddingSpaceIdentity } from '@quarry/ai';
import { decodeSearchCursor, encodeSearchCursor, queryFingerprint } from './cursor.js';
import { documentConditions, uuidArray } from './filters.js';
import { fusionForSpace, minSimilarityForSpace, reciprocalRankFusion, type FusionOptions } from './fusion.js';
import { defaultKeywordOptions, keywordCandidates, parseKeywordQuery, type KeywordOptions, type KeywordQuery } from './keyword.js';
import { defaultSemanticOptions, semanticCandidates, type SemanticOptions } from './semantic.js';
import { createQueryVectorCache } from './query-vectors.js';
import { createResidentIndexes, defaultResidentOptions, type ResidentIndexes, type ResidentOptions } from './resident/resident-indexes.js';
import { residentKeywordCandidates, residentSemanticCandidates } from './resident/ranking.js';
import { excerpt, HEADLINE_OPTIONS, HEADLINE_TRANSLATE_FROM, HEADLINE_TRANSLATE_TO, renderSnippet } from './snippets.js';
import {
  SEARCH_LIMITS,
  SearchInputError,
  searchModes,
  SemanticUnavailableError,
  type Candidate,
  type SearchFilters,
  type SearchHit,
  type SearchMode,
  type SearchPage,
  type SearchRequest,
  type SearchStage,
  type SearchStages,
} from './types.js';

export interface ActiveSpace extends VectorSpaceRef, EmbeddingSpaceIdentity {}

export interface SearchServiceDeps {
  db: Database;
  /** A PostgreSQL text search configuration name (config.search.language). */
  language: string;
  /** The embedder that embeds queries for `space`, or undefined when this process has none for it. */
  queryEmbedder(space: EmbeddingSpaceIdentity): Embedder | undefined;
  /** Hybrid fusion; by default chosen for the active space's embedder (`fusionForSpace`). */
  fusion?: FusionOptions;
  /** Dense candidates below this cosine similarity are dropped; by default chosen per model (`minSimilarityForSpace`). */
  minSimilarity?: number;
  keyword?: KeywordOptions;
  semantic?: SemanticOptions;
  /** In-memory copies of workspaces' indexes (`resident/`); `false` ranks every query in SQL. */
  resident?: Partial<ResidentOptions> | false;
  /** Recently embedded queries kept (default 512); 0 embeds every query afresh (benchmarks of what a new query costs). */
  queryVectorCache?: number;
}

/** A retrieved passage with its full text (for answers). */
export interface RetrievedPassage {
  passageId: string;
  documentId: string;
  documentTitle: string;
  page: number | null;
  headingPath: string[];
  /** Position of the passage in its document (answers quote in reading order). */
  ordinal: number;
  text: string;
  score: number;
}

export interface PassageView {
  id: string;
  documentId: string;
  documentTitle: string;
  ordinal: number;
  page: number | null;
  headingPath: string[];
  text: string;
}

export interface RetrieveRequest extends SearchFilters {
  workspaceId: string;
  query: string;
  mode?: SearchMode;
  topK: number;
}

export interface SearchService {
  search(request: SearchRequest): Promise<SearchPage>;
  retrieve(request: RetrieveRequest): Promise<RetrievedPassage[]>;
  /** One passage of a ready document in the workspace ("open in context"), or undefined. */
  passage(workspaceId: string, passageId: string): Promise<PassageView | undefined>;
  /** The active space's embedder and the query's vector (cached from retrieval): answers rank sentences by similarity to the question. */
  questionEmbedding(query: string): Promise<{ space: EmbeddingSpaceIdentity; embedder: Embedder; vector: number[] } | undefined>;
  /** Ranked passage ids only (evaluation and benchmarks). */
  rank(request: { workspaceId: string; query: string; mode: SearchMode; depth: number } & SearchFilters): Promise<Candidate[]>;
  /** The in-memory copies, or undefined when switched off. */
  readonly resident: ResidentIndexes | undefined;
}

/** Runs `work`, adding its duration to `stages[stage]` (when stages are being recorded). */
async function timed<T>(stages: SearchStages | undefined, stage: SearchStage, work: () => Promise<T> | T): Promise<T> {
  if (stages === undefined) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    stages[stage] = (stages[stage] ?? 0) + Math.round((performance.now() - started) * 10) / 10;
  }
}

/** Hybrid fuses this many candidates of each list at least, so fusion has something to work with. */
const MIN_FUSION_DEPTH = 50;

export function createSearchService(deps: SearchServiceDeps): SearchService {
  const keywordOptions = deps.keyword ?? defaultKeywordOptions;
  const semanticOptions = deps.semantic ?? defaultSemanticOptions;
  const { db, language } = deps;
  const queryVectors = createQueryVectorCache(deps.queryVectorCache ?? 512);
  const resident = deps.resident === false ? undefined : createResidentIndexes(db, { ...defaultResidentOptions, ...deps.resident });

  async function activeSpace(): Promise<ActiveSpace | undefined> {
    const [row] = await queryRows<ActiveSpace>(
      db,
      sql`SELECT id, provider, model, dimensions FROM embedding_spaces
          WHERE status = 'active' ORDER BY activated_at DESC NULLS LAST, id DESC LIMIT 1`,
    );
    return row === undefined ? undefined : { ...row, id: Number(row.id), dimensions: Number(row.dimensions) };
  }

  async function semanticList(
    workspaceId: string,
    query: string,
    filters: SearchFilters,
    depth: number,
    space: ActiveSpace | undefined,
    parsed: Promise<KeywordQuery>,
    stages?: SearchStages,
  ): Promise<{ candidates: Candidate[]; cut: boolean }> {
    if (space === undefined) throw new SemanticUnavailableError('No embedding space is active yet: add a document first.');
    const embedder = deps.queryEmbedder(space);
    if (embedder === undefined) {
      throw new SemanticUnavailableError(`The active embedding model (${space.provider}/${space.model}) is not configured in this process.`);
    }
    const vector = await timed(stages, 'embed', () => queryVectors.embed(`${space.id}/${space.provider}/${space.model}/${space.dimensions}`, embedder, query));
    if (vector === undefined) throw new SemanticUnavailableError('The embedder returned no vector for the query.');
    const { vectorGeneration, documentGeneration } = await parsed;
    const ranked = await timed(stages, 'semantic', async () => {
      const copy = resident?.vectors(workspaceId, space, vectorGeneration);
      const documents = resident?.documents(workspaceId, documentGeneration);
      return copy && documents
        ? { candidates: residentSemanticCandidates(copy, documents, vector, filters, depth), cut: false }
        : await semanticCandidates(db, space, vector, workspaceId, filters, depth, semanticOptions);
    });
    const floor = deps.minSimilarity ?? minSimilarityForSpace(space);
    const candidates = ranked.candidates.filter((c) => c.score >= floor);
    // Sorted by similarity: a list cut short whose last passage is below the floor had nothing more to give.
    return { candidates, cut: ranked.cut && candidates.length === ranked.candidates.length };
  }

  async function keywordList(workspaceId: string, query: KeywordQuery, filters: SearchFilters, depth: number, stages?: SearchStages): Promise<Candidate[]> {
    return timed(stages, 'keyword', async () => {
      const copy = resident?.keyword(workspaceId, query.generation);
      const documents = resident?.documents(workspaceId, query.documentGeneration);
      return (
        (copy && documents && residentKeywordCandidates(copy, documents, query, filters, depth, keywordOptions)) ??
        (await keywordCandidates(db, workspaceId, query, filters, depth, keywordOptions))
      );
    });
  }

  async function rankWith(
    workspaceId: string,
    query: string,
    mode: SearchMode,
    filters: SearchFilters,
    depth: number,
    stages?: SearchStages,
  ): Promise<{ ranked: Candidate[]; keywordQuery: KeywordQuery; degraded: boolean; cut: boolean }> {
    const listDepth = mode === 'hybrid' ? Math.max(depth, MIN_FUSION_DEPTH) : depth;
    // The query is embedded off this thread while the keyword side runs: start it first.
    const space = mode === 'keyword' ? undefined : activeSpace();
    const parsed = timed(stages, 'parse', () => parseKeywordQuery(db, language, workspaceId, query));
    const semantic = space
      ?.then((s) => semanticList(workspaceId, query, filters, listDepth, s, parsed, stages))
      .catch((error: unknown) => ({ error }));
    const keywordQuery = await parsed;
    if (mode === 'keyword') {
      return { ranked: await keywordList(workspaceId, keywordQuery, filters, depth, stages), keywordQuery, degraded: false, cut: false };
    }
    if (mode === 'semantic') {
      const outcome = await semantic!;
      if ('error' in outcome) throw outcome.error;
      return { ranked: outcome.candidates, keywordQuery, degraded: false, cut: outcome.cut };
    }
    const keyword = await keywordList(workspaceId, keywordQuery, filters, listDepth, stages);
    const outcome = await semantic!;
    let dense: Candidate[] = [];
    let degraded = false;
    let cut = false;
    if ('error' in outcome) {
      if (!(outcome.error instanceof SemanticUnavailableError)) throw outcome.error;
      degraded = true;
    } else {
      dense = outcome.candidates;
      cut = outcome.cut;
    }
    const fusion = deps.fusion ?? fusionForSpace(await space!);
    const ranked = await timed(stages, 'fuse', () => reciprocalRankFusion(keyword, dense, fusion).slice(0, depth));
    return { ranked, keywordQuery, degraded, cut };
  }

  /** Distinct documents the ranked passages belong to (ranked is already scoped to the workspace and filters). */
  async function documentsAmong(ranked: Candidate[]): Promise<number> {
    if (ranked.length === 0) return 0;
    // Every ranking path says whose passage it is; the query below is for a candidate that did not.
    if (ranked.every((c) => c.documentId !== undefined)) return new Set(ranked.map((c) => c.documentId)).size;
    const [row] = await queryRows<{ n: number | string }>(
      db,
      sql`SELECT count(DISTINCT document_id) AS n FROM passages WHERE id = ANY(${uuidArray(ranked.map((c) => c.passageId), 'passageIds')}::uuid[])`,
    );
    return Number(row?.n ?? 0);
  }

  async function present(workspaceId: string, ranked: Candidate[], highlight: string): Promise<SearchHit[]> {
    if (ranked.length === 0) return [];
    const rows = await queryRows<{
      passageId: string;
      documentId: string;
      documentTitle: string;
      page: number | null;
      headingPath: string[] | null;
      headline: string | null;
      text: string;
    }>(
      db,
      sql`SELECT p.id AS "passageId", p.document_id AS "documentId", d.title AS "documentTitle", p.page,
            p.heading_path AS "headingPath",
            ts_headline(${language}::regconfig, translate(p.text, ${HEADLINE_TRANSLATE_FROM}, ${HEADLINE_TRANSLATE_TO}),
                        ${highlight === '' ? null : highlight}::tsquery, ${HEADLINE_OPTIONS}) AS headline,
            left(p.text, 600) AS text
          FROM passages p JOIN documents d ON d.id = p.document_id
          WHERE p.id = ANY(${uuidArray(ranked.map((r) => r.passageId), 'passageId')}::uuid[])
            AND p.workspace_id = ${workspaceId}::uuid AND ${documentConditions(workspaceId, {})}`,
    );
    const byId = new Map(rows.map((r) => [r.passageId, r]));
    const hits: SearchHit[] = [];
    for (const c of ranked) {
      const r = byId.get(c.passageId);
      if (r === undefined) continue; // deleted between ranking and presenting
      hits.push({
        documentId: r.documentId,
        documentTitle: r.documentTitle,
        passageId: r.passageId,
        page: r.page === null ? null : Number(r.page),
        headingPath: r.headingPath ?? [],
        snippet: r.headline !== null && r.headline.trim() !== '' ? renderSnippet(r.headline) : renderSnippet(excerpt(r.text)),
        score: Math.round(c.score * 1e6) / 1e6,
      });
    }
    return hits;
  }

  return {
    resident,

    async search(request) {
      const started = performance.now();
      const { workspaceId, query, mode, limit, filters } = validate(request);
      const fingerprint = queryFingerprint([workspaceId, query, mode, filters.documentIds, filters.types, filters.createdFrom, filters.createdBefore]);
      const offset = decodeSearchCursor(request.cursor, fingerprint, SEARCH_LIMITS.maxDepth);
      // The first page ranks as deep as paging may go, so it can say how many passages and documents match
      // (the resident indexes score every match anyway: the deeper cut costs a bigger heap, not more scoring).
      const depth = offset === 0 ? SEARCH_LIMITS.maxDepth : Math.min(SEARCH_LIMITS.maxDepth, offset + limit + 1);
      const stages: SearchStages = {};
      const { ranked, keywordQuery, degraded, cut } = await rankWith(workspaceId, query, mode, filters, depth, stages);
      const page = ranked.slice(offset, offset + limit);
      const more = ranked.length > offset + limit && offset + limit < SEARCH_LIMITS.maxDepth;
      const [items, documents] = await Promise.all([
        timed(stages, 'present', () => present(workspaceId, page, keywordQuery.any)),
        offset === 0 ? timed(stages, 'count', () => documentsAmong(ranked)) : undefined,
      ]);
      return {
        items,
        mode,
        tookMs: Math.round((performance.now() - started) * 10) / 10,
        nextCursor: more ? encodeSearchCursor(offset + limit, fingerprint) : null,
        ...(documents !== undefined ? { total: { passages: ranked.length, documents, capped: cut || ranked.length >= SEARCH_LIMITS.maxDepth } } : {}),
        ...(degraded ? { degraded } : {}),
        stages,
      };
    },

    async retrieve(request) {
      const { workspaceId, query, mode, filters } = validate({ ...request, limit: request.topK });
      const topK = Math.min(Math.max(1, Math.trunc(request.topK)), 50);
      const { ranked } = await rankWith(workspaceId, query, mode, filters, topK);
      if (ranked.length === 0) return [];
      const rows = await queryRows<Omit<RetrievedPassage, 'score'>>(
        db,
        sql`SELECT p.id AS "passageId", p.document_id AS "documentId", d.title AS "documentTitle", p.page,
              p.heading_path AS "headingPath", p.ordinal, p.text
            FROM passages p JOIN documents d ON d.id = p.document_id
            WHERE p.id = ANY(${uuidArray(ranked.map((r) => r.passageId), 'passageId')}::uuid[])
              AND p.workspace_id = ${workspaceId}::uuid AND ${documentConditions(workspaceId, {})}`,
      );
      const byId = new Map(rows.map((r) => [r.passageId, r]));
      return ranked.flatMap((c) => {
        const r = byId.get(c.passageId);
        return r === undefined
          ? []
          : [{ ...r, page: r.page === null ? null : Number(r.page), ordinal: Number(r.ordinal), headingPath: r.headingPath ?? [], score: c.score }];
      });
    },

    async passage(workspaceId, passageId) {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(passageId)) return undefined;
      const [row] = await queryRows<PassageView>(
        db,
        sql`SELECT p.id, p.document_id AS "documentId", d.title AS "documentTitle", p.ordinal, p.page, p.heading_path AS "headingPath", p.text
            FROM passages p JOIN documents d ON d.id = p.document_id
            WHERE p.id = ${passageId}::uuid AND p.workspace_id = ${workspaceId}::uuid AND ${documentConditions(workspaceId, {})}`,
      );
      return row === undefined ? undefined : { ...row, ordinal: Number(row.ordinal), page: row.page === null ? null : Number(row.page), headingPath: row.headingPath ?? [] };
    },

    async questionEmbedding(query) {
      const space = await activeSpace();
      const embedder = space === undefined ? undefined : deps.queryEmbedder(space);
      if (space === undefined || embedder === undefined) return undefined;
      const vector = await queryVectors.embed(`${space.id}/${space.provider}/${space.model}/${space.dimensions}`, embedder, query);
      return vector === undefined ? undefined : { space, embedder, vector };
    },

    async rank(request) {
      const { workspaceId, query, mode, filters } = validate({ ...request, limit: 1 });
      const { ranked } = await rankWith(workspaceId, query, mode, filters, request.depth);
      return ranked;
    },
  };
}

function validate(request: SearchRequest) {
  // Control characters (NUL among them: PostgreSQL refuses it in text) mean nothing in a search.
  // eslint-disable-next-line no-control-regex
  const query = (request.query ?? '').replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  if (query === '') throw new SearchInputError('q', 'q: enter something to search for');
  if (query.length > SEARCH_LIMITS.maxQueryChars) {
    throw new SearchInputError('q', `q: at most ${SEARCH_LIMITS.maxQueryChars} characters`);
  }
  const mode = request.mode ?? 'hybrid';
  if (!searchModes.includes(mode)) throw new SearchInputError('mode', `mode: use one of ${searchModes.join(', ')}`);
  const limit = request.limit ?? SEARCH_LIMITS.defaultLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > SEARCH_LIMITS.maxLimit) {
    throw new SearchInputError('limit', `limit: a whole number from 1 to ${SEARCH_LIMITS.maxLimit}`);
  }
  const filters: SearchFilters = {};
  if (request.documentIds !== undefined && request.documentIds.length > 0) {
    uuidArray(request.documentIds);
    filters.documentIds = [...new Set(request.documentIds.map((id) => id.toLowerCase()))].sort();
  }
  if (request.types !== undefined && request.types.length > 0) filters.types = [...request.types].sort();
  for (const key of ['createdFrom', 'createdBefore'] as const) {
    const value = request[key];
    if (value !== undefined) {
      if (Number.isNaN(value.getTime())) throw new SearchInputError(key, `${key}: not a date`);
      filters[key] = value;
    }
  }
  return { workspaceId: request.workspaceId, query, mode, limit, filters };
}
