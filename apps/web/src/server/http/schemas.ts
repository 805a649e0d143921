/**
 * String and date schemas shared by every route (issue 14 #9). PostgreSQL
 * cannot store a NUL character in `text` or `jsonb`, so a NUL that reached a
 * query failed as a 500; dates outside what both JavaScript and PostgreSQL
 * represent did the same. Refusing them here gives the caller a 400 naming
 * the field, before anything touches the database.
 */
import { z } from '@hono/zod-openapi';

export const NUL_MESSAGE = 'must not contain NUL characters (\\u0000)';

const hasNoNul = (value: string) => !value.includes('\u0000');

/** Any text the API accepts: a string without NUL characters. Chain `.trim()`, `.min()`, `.max()` after it. */
export const text = () => z.string().refine(hasNoNul, NUL_MESSAGE);

/** An e-mail address (zod's check already refuses control characters, NUL included). */
export const email = () => z.email().max(254);

/** The earliest and latest instants a filter or cursor may name: years 1–9999, what PostgreSQL and ISO 8601 share. */
export const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
export const LATEST = Date.parse('9999-12-31T23:59:59.999Z');
const RANGE_MESSAGE = 'must be a date between the years 1 and 9999';

const inRange = (ms: number) => Number.isFinite(ms) && ms >= EARLIEST && ms <= LATEST;

/** A query-string date such as `2025-01-31` or `2025-01-31T12:00:00Z`, as a Date; optional. */
export const dateFilter = () =>
  z
    .string()
    .max(40)
    .optional()
    .refine((v) => v === undefined || !Number.isNaN(Date.parse(v)), 'must be a date such as 2025-01-31')
    .refine((v) => v === undefined || Number.isNaN(Date.parse(v)) || inRange(Date.parse(v)), RANGE_MESSAGE)
    .transform((v) => (v === undefined ? undefined : new Date(v)));

/** An ISO 8601 date-time with an offset (the audit log's `since`/`until`), in range; optional. */
export const isoDateTimeFilter = () =>
  z.iso
    .datetime({ offset: true })
    .optional()
    .refine((v) => v === undefined || inRange(Date.parse(v)), RANGE_MESSAGE);

/** The `at` of a cursor: the ISO string `Date#toISOString` wrote, in range. */
export const cursorInstant = () => z.iso.datetime().refine((v) => inRange(Date.parse(v)), RANGE_MESSAGE);

/** A database serial id inside a cursor: a non-negative safe integer (bigint columns overflow on more). */
export const cursorSerial = () => z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
