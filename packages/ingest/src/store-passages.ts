/**
 * Storing a document's passages: one INSERT … SELECT per batch, the batch sent
 * as a single JSON parameter and expanded by `json_to_recordset`, instead of a
 * multi-row VALUES list with eight parameters per passage. What that saves:
 *
 * - the statement-level triggers that keep the BM25 term statistics exact
 *   (migration 0003) fire once per batch, so a document's `search_terms` are
 *   upserted in one set-based pass rather than once per 250 passages;
 * - one parameter to encode and hand to the database (PGlite: one string across
 *   its thread) instead of thousands;
 * - `to_tsvector` runs once per passage, in the database, from the row it
 *   stores: nothing is read back.
 *
 * A batch is bounded by passages and by characters, so a very large document
 * becomes a few statements of bounded size, all in the caller's transaction.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '@quarry/db';
import type { Passage } from './chunk.js';

/** At most this many passages in one statement. */
export const STORE_BATCH_PASSAGES = 5_000;
/** At most about this many characters of passage text in one statement (the JSON parameter's size). */
export const STORE_BATCH_CHARS = 8 * 1024 * 1024;

export interface StorePassagesInput {
  documentId: string;
  workspaceId: string;
  /** PostgreSQL text-search configuration for `passages.tsv`. */
  language: string;
  passages: readonly Passage[];
  /** Batch bounds (default STORE_BATCH_PASSAGES and STORE_BATCH_CHARS; tests make them small). */
  batch?: { passages?: number; chars?: number };
}

/** Lone surrogates (a string cut inside a pair): matched one by one in Unicode mode, pairs never are. */
const LONE_SURROGATE = /\p{Cs}/gu;
const wellFormed = (s: string) => s.replace(LONE_SURROGATE, '\ufffd');

/** Splits passages into consecutive batches within both bounds (a passage larger than the char bound goes alone). */
export function storeBatches<T extends { text: string }>(items: readonly T[], maxItems = STORE_BATCH_PASSAGES, maxChars = STORE_BATCH_CHARS): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let chars = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= maxItems || chars + item.text.length > maxChars)) {
      batches.push(current);
      current = [];
      chars = 0;
    }
    current.push(item);
    chars += item.text.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Inserts the passages (the caller has removed any earlier ones, in the same transaction). Returns the
 * number of statements it took.
 */
export async function storePassages(db: Database, input: StorePassagesInput): Promise<number> {
  const batches = storeBatches(input.passages, input.batch?.passages, input.batch?.chars);
  for (const batch of batches) {
    // A lone surrogate would make the JSON unreadable to PostgreSQL; as a bound text parameter it
    // became U+FFFD in UTF-8, and it does here too.
    const rows = JSON.stringify(
      batch.map((p) => ({ o: p.ordinal, p: p.page, h: p.headingPath.map(wellFormed), t: wellFormed(p.text), n: p.tokenCount })),
    );
    await db.execute(
      sql`INSERT INTO passages (document_id, workspace_id, ordinal, page, heading_path, text, token_count, tsv)
          SELECT ${input.documentId}::uuid, ${input.workspaceId}::uuid, r.o, r.p, r.h, r.t, r.n, to_tsvector(${input.language}::regconfig, r.t)
          FROM json_to_recordset(${rows}::json) AS r(o integer, p integer, h text[], t text, n integer)`,
    );
  }
  return batches.length;
}
