/** SQL conditions shared by every retrieval path; always scoped to one workspace. */
import { sql, type SQL } from 'drizzle-orm';
import { documentTypes, SearchInputError, type SearchFilters } from './types.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function uuidArray(ids: string[], field = 'documentIds'): string {
  for (const id of ids) {
    if (!uuidPattern.test(id)) throw new SearchInputError(field, `${field}: "${id.slice(0, 40)}" is not a document id`);
  }
  return `{${ids.join(',')}}`;
}

const knownMimes = new Set(Object.values(documentTypes).flat());

/** The MIME types a `type` filter names (`image` is four); an unknown name is the caller's mistake, said in words. */
export function mimeTypesOf(types: string[]): string[] {
  const mimes = types.flatMap((t) => {
    const key = t.trim().toLowerCase();
    const named = documentTypes[key] ?? (knownMimes.has(key) ? [key] : undefined);
    if (named === undefined) {
      throw new SearchInputError('type', `type: use one of ${Object.keys(documentTypes).join(', ')}`);
    }
    return named;
  });
  return [...new Set(mimes)];
}

/**
 * `d` is the documents alias. The workspace condition is part of every query,
 * together with "ready" documents only: nothing is filtered after the fact.
 */
export function documentConditions(workspaceId: string, filters: SearchFilters): SQL {
  const parts: SQL[] = [sql`d.workspace_id = ${workspaceId}::uuid`, sql`d.status = 'ready'`];
  if (filters.documentIds !== undefined && filters.documentIds.length > 0) {
    parts.push(sql`d.id = ANY(${uuidArray(filters.documentIds)}::uuid[])`);
  }
  if (filters.types !== undefined && filters.types.length > 0) {
    parts.push(sql`d.mime_type = ANY(${`{${mimeTypesOf(filters.types).map((m) => `"${m}"`).join(',')}}`}::text[])`);
  }
  if (filters.createdFrom !== undefined) parts.push(sql`d.created_at >= ${filters.createdFrom.toISOString()}::timestamptz`);
  if (filters.createdBefore !== undefined) parts.push(sql`d.created_at < ${filters.createdBefore.toISOString()}::timestamptz`);
  return sql.join(parts, sql` AND `);
}
