/**
 * The reader: a document's passages in order, a window at a time, and where a
 * query's terms occur in it. Always scoped to a workspace the caller was
 * authorized for (the route calls `authorizeWorkspace` first); a document of
 * another workspace is "not found", exactly like one that does not exist.
 *
 * Passages of one section overlap (the chunker repeats the end of a passage at
 * the start of the next, for retrieval): each passage says how many of its
 * leading characters repeat the previous one, so the reader can show the text
 * once.
 */
import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import { documents, passages, queryRows, type Database } from '@quarry/db';
import { notFound } from '../http/errors.js';
import { isUuid } from './authorization.js';

export const READER_LIMITS = { defaultLimit: 100, maxLimit: 500, maxMatches: 2000, maxQueryChars: 2000 } as const;

export interface ReaderPassage {
  id: string;
  ordinal: number;
  page: number | null;
  headingPath: string[];
  text: string;
  /** Leading characters of `text` that repeat the end of the previous passage (0: none). */
  overlap: number;
}

export interface ReaderWindow {
  items: ReaderPassage[];
  /** Passages in the document. */
  total: number;
  hasBefore: boolean;
  hasAfter: boolean;
}

export interface DocumentMatches {
  /** The query's lexemes (stems), for marking words in the text. */
  terms: string[];
  matches: Array<{ passageId: string; ordinal: number; page: number | null }>;
}

export type WindowRequest =
  | { after?: number; before?: undefined; around?: undefined; limit?: number }
  | { before: number; after?: undefined; around?: undefined; limit?: number }
  | { around: string; after?: undefined; before?: undefined; limit?: number };

/**
 * How many leading characters of `cur` repeat the end of `prev`: the longest
 * suffix of `prev` that starts at a word boundary, is a prefix of `cur`, ends
 * at one in `cur`, and is shorter than `cur`. Linear in practice: only places
 * where `cur`'s first word occurs in `prev` are tried.
 */
export function overlapLength(prev: string, cur: string): number {
  if (!prev || !cur) return 0;
  // The overlap starts with cur's first word; only where that word stands in prev is worth a try.
  const space = cur.search(/\s/);
  if (space <= 0) return 0;
  const head = cur.slice(0, space);
  let i = prev.indexOf(head, Math.max(0, prev.length - cur.length + 1));
  for (let tries = 0; i !== -1 && tries < 10_000; tries++) {
    const n = prev.length - i;
    const atBoundary = i === 0 || /\s/.test(prev[i - 1]!);
    if (atBoundary && n < cur.length && /\s/.test(cur[n]!) && cur.startsWith(prev.slice(i))) return n;
    i = prev.indexOf(head, i + 1);
  }
  return 0;
}

const sameSection = (
  a: { page: number | null; headingPath: string[] },
  b: { page: number | null; headingPath: string[] },
) =>
  a.page === b.page &&
  a.headingPath.length === b.headingPath.length &&
  a.headingPath.every((h, i) => h === b.headingPath[i]);

export function createReaderService(db: Database, options: { language: string }) {
  const columns = {
    id: passages.id,
    ordinal: passages.ordinal,
    page: passages.page,
    headingPath: passages.headingPath,
    text: passages.text,
  };
  type Row = { id: string; ordinal: number; page: number | null; headingPath: string[]; text: string };

  async function documentOf(workspaceId: string, documentId: string) {
    if (!isUuid(documentId)) throw notFound('document');
    const [doc] = await db
      .select({ id: documents.id, passageCount: documents.passageCount })
      .from(documents)
      .where(and(eq(documents.id, documentId), eq(documents.workspaceId, workspaceId)));
    if (!doc) throw notFound('document');
    return doc;
  }

  const inDocument = (workspaceId: string, documentId: string) =>
    and(eq(passages.documentId, documentId), eq(passages.workspaceId, workspaceId));

  /** `count` passages from `fromOrdinal` on (ascending), plus the one before it for the overlap. */
  async function rowsFrom(workspaceId: string, documentId: string, fromOrdinal: number, count: number): Promise<Row[]> {
    return db
      .select(columns)
      .from(passages)
      .where(and(inDocument(workspaceId, documentId), gt(passages.ordinal, fromOrdinal - 2)))
      .orderBy(asc(passages.ordinal))
      .limit(count + 1);
  }

  return {
    async window(workspaceId: string, documentId: string, request: WindowRequest): Promise<ReaderWindow> {
      const doc = await documentOf(workspaceId, documentId);
      const limit = Math.min(Math.max(request.limit ?? READER_LIMITS.defaultLimit, 1), READER_LIMITS.maxLimit);
      let start: number;
      if (request.around !== undefined) {
        if (!isUuid(request.around)) throw notFound('passage');
        const [target] = await db
          .select({ ordinal: passages.ordinal })
          .from(passages)
          .where(and(inDocument(workspaceId, documentId), eq(passages.id, request.around)));
        if (!target) throw notFound('passage');
        // A third of the window before the passage: it opens with context above it and more below.
        start = Math.max(0, target.ordinal - Math.floor(limit / 3));
      } else if (request.before !== undefined) {
        const earlier = await db
          .select({ ordinal: passages.ordinal })
          .from(passages)
          .where(and(inDocument(workspaceId, documentId), lt(passages.ordinal, request.before)))
          .orderBy(desc(passages.ordinal))
          .limit(limit);
        start = earlier.length ? earlier[earlier.length - 1]!.ordinal : request.before;
      } else {
        start = (request.after ?? -1) + 1;
      }
      const rows = await rowsFrom(workspaceId, documentId, start, limit);
      const items: ReaderPassage[] = [];
      let previous: Row | undefined;
      for (const row of rows) {
        if (
          row.ordinal >= start &&
          items.length < limit &&
          (request.before === undefined || row.ordinal < request.before)
        ) {
          const overlap =
            previous && previous.ordinal === row.ordinal - 1 && sameSection(previous, row)
              ? overlapLength(previous.text, row.text)
              : 0;
          items.push({ ...row, overlap });
        }
        previous = row;
      }
      const first = items[0]?.ordinal;
      const last = items[items.length - 1]?.ordinal;
      const [bounds] = await db
        .select({
          min: sql<number | null>`min(${passages.ordinal})`,
          max: sql<number | null>`max(${passages.ordinal})`,
        })
        .from(passages)
        .where(inDocument(workspaceId, documentId));
      const min = bounds?.min === null || bounds?.min === undefined ? null : Number(bounds.min);
      const max = bounds?.max === null || bounds?.max === undefined ? null : Number(bounds.max);
      return {
        items,
        total: doc.passageCount,
        hasBefore: first !== undefined ? min !== null && min < first : min !== null && start > min,
        hasAfter: last !== undefined ? max !== null && max > last : false,
      };
    },

    /**
     * The passages of the document that hold any of the query's words (phrases' words
     * included, excluded words not), in document order, and the words' lexemes so the
     * reader can mark them. The words reach PostgreSQL as a parameter of to_tsvector;
     * the tsquery is built from its lexemes, quoted, never from the user's text.
     */
    async matches(workspaceId: string, documentId: string, query: string): Promise<DocumentMatches> {
      await documentOf(workspaceId, documentId);
      const bag = positiveWords(query);
      if (!bag) return { terms: [], matches: [] };
      const [lex] = await queryRows<{ terms: string[] | string | null }>(
        db,
        sql`SELECT tsvector_to_array(to_tsvector(${options.language}::regconfig, ${bag})) AS terms`,
      );
      const terms = (typeof lex?.terms === 'string' ? parseArray(lex.terms) : (lex?.terms ?? [])).slice(0, 32);
      if (terms.length === 0) return { terms: [], matches: [] };
      const tsquery = terms.map((t) => `'${t.replace(/'/g, "''").replace(/\\/g, '\\\\')}'`).join(' | ');
      const rows = await db
        .select({ passageId: passages.id, ordinal: passages.ordinal, page: passages.page })
        .from(passages)
        .where(and(inDocument(workspaceId, documentId), sql`${passages.tsv} @@ ${tsquery}::tsquery`))
        .orderBy(asc(passages.ordinal))
        .limit(READER_LIMITS.maxMatches);
      return { terms, matches: rows };
    },
  };
}

/** The words of a search that should be found (quotes dropped, ` -word` exclusions left out). */
export function positiveWords(query: string): string {
  const tokens = query
    // eslint-disable-next-line no-control-regex -- control characters are never part of a word
    .replace(/[\u0000-\u001f\u007f"]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  return tokens.filter((t, i) => !(i > 0 && t.length > 1 && t.startsWith('-'))).join(' ');
}

/** PostgreSQL's text form of a text[] (`{a,b,"c d"}`), for drivers that return it unparsed. */
function parseArray(text: string): string[] {
  const inner = text.replace(/^\{|\}$/g, '');
  if (!inner) return [];
  return inner.split(',').map((s) => s.replace(/^"|"$/g, '').replace(/\\(.)/g, '$1'));
}

export type ReaderService = ReturnType<typeof createReaderService>;
