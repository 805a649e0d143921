/**
 * Ranked results page by offset: rank fusion has no stable keyset. The cursor
 * is opaque (base64url JSON) and bound to the query that produced it, so a
 * cursor replayed against another query or workspace is refused.
 */
import { createHash } from 'node:crypto';
import { SearchInputError } from './types.js';

interface CursorState {
  v: 1;
  o: number;
  f: string;
}

export function queryFingerprint(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeSearchCursor(offset: number, fingerprint: string): string {
  const state: CursorState = { v: 1, o: offset, f: fingerprint };
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

export function decodeSearchCursor(cursor: string | undefined, fingerprint: string, maxOffset: number): number {
  if (cursor === undefined || cursor === '') return 0;
  let state: Partial<CursorState>;
  try {
    state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorState>;
  } catch {
    throw new SearchInputError('cursor', 'cursor: not a cursor this API returned');
  }
  if (state?.v !== 1 || typeof state.o !== 'number' || !Number.isInteger(state.o) || state.o < 0 || state.o > maxOffset) {
    throw new SearchInputError('cursor', 'cursor: not a cursor this API returned');
  }
  if (state.f !== fingerprint) {
    throw new SearchInputError('cursor', 'cursor: belongs to a different search; start again without it');
  }
  return state.o;
}
