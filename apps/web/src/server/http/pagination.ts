/** Opaque cursors (base64url JSON) and the shared `limit`/`cursor` query schema. */
import { z } from '@hono/zod-openapi';
import { badRequest } from './errors.js';
import { text } from './schemas.js';

export const PageQuery = z.object({
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** The cursor of lists ordered by e-mail (members, accounts): any stored address, but never a NUL. */
export const cursorEmail = z.object({ email: text().max(254) });

export const encodeCursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw badRequest('cursor: not a cursor this API returned', 'invalid_cursor', { field: 'cursor' });
  }
}

/** Fetch `limit + 1` rows, return `limit` of them and whether there is more. */
export function pageOf<Row>(rows: Row[], limit: number, cursorOf: (last: Row) => unknown) {
  const items = rows.slice(0, limit);
  const nextCursor = rows.length > limit && items.length > 0 ? encodeCursor(cursorOf(items[items.length - 1]!)) : null;
  return { items, nextCursor };
}
