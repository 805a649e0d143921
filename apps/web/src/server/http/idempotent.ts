/**
 * The `Idempotency-Key` request header on create endpoints: with it, a
 * repeated request (same user, key, path and body) gets the first response
 * back instead of creating again (services/idempotency.ts); without it the
 * request simply runs. Replays say so in `Idempotent-Replayed: true`.
 */
import { createHash } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Idempotency, StoredResponse } from '../services/idempotency.js';
import type { AppEnv } from './context.js';

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(8)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description: 'A client-chosen unique key: repeating the request with it returns the first response and creates nothing new (kept for 24 hours).',
    }),
});

export async function idempotent<T>(
  c: Context<AppEnv>,
  idempotency: Idempotency,
  body: unknown,
  create: () => Promise<StoredResponse & { body: T }>,
): Promise<{ status: ContentfulStatusCode; body: T }> {
  const key = c.req.header('idempotency-key');
  if (!key) return (await create()) as { status: ContentfulStatusCode; body: T };
  const fingerprint = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${JSON.stringify(body ?? null)}`).digest('hex');
  const result = await idempotency.run(c.get('user')!.id, key, fingerprint, create);
  if (result.replayed) c.header('Idempotent-Replayed', 'true');
  return { status: result.status as ContentfulStatusCode, body: result.body as T };
}
