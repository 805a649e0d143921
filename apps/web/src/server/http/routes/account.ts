/** The caller's own API keys (sessions and password go through /api/auth/*). */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { IdempotencyHeaders, idempotent } from '../idempotent.js';
import { requireUser } from '../middleware/session.js';
import { text } from '../schemas.js';
import type { Services } from '../../services/index.js';
import { actorOf, meta } from './workspaces.js';

const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    workspaceId: z.string().nullable().openapi({ description: 'The one workspace the key may use; null: all of yours' }),
    workspaceName: z.string().nullable(),
    readOnly: z.boolean().openapi({ description: 'Reads only: GET/HEAD, search and ask' }),
    expiresAt: z.string().nullable(),
    expired: z.boolean(),
  })
  .openapi('ApiKey');
const CreateKey = z.object({
  name: text().trim().min(1).max(80),
  workspaceId: z.uuid().nullable().optional().openapi({ description: 'Limit the key to this workspace (you must be a member)' }),
  readOnly: z.boolean().optional().openapi({ description: 'Limit the key to reads (GET/HEAD, search, ask)' }),
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional().openapi({ description: 'When the key stops working (at most a year ahead); omitted: never' }),
});

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  workspaceId: string | null;
  workspaceName: string | null;
  readOnly: boolean;
  expiresAt: Date | null;
}
const present = (k: KeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  workspaceId: k.workspaceId,
  workspaceName: k.workspaceName,
  readOnly: k.readOnly,
  expiresAt: k.expiresAt?.toISOString() ?? null,
  expired: k.expiresAt !== null && k.expiresAt.getTime() <= Date.now(),
});
const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

export function registerAccountRoutes(app: OpenAPIHono<AppEnv>, services: Services) {
  const { apiKeys, audit } = services;
  app.use('/api/account/*', requireUser);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/account/api-keys',
      tags: ['account'],
      responses: { 200: { description: 'Your active API keys (never the secret)', content: json(z.object({ items: z.array(ApiKey), nextCursor: z.null() })) } },
    }),
    async (c) => {
      const rows = await apiKeys.list(c.get('user')!.id);
      return c.json({ items: rows.map(present), nextCursor: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/account/api-keys',
      tags: ['account'],
      request: { headers: IdempotencyHeaders, body: { content: json(CreateKey), required: true } },
      responses: {
        201: { description: 'Created; `key` is shown this once (and to a repeat with the same Idempotency-Key)', content: json(ApiKey.extend({ key: z.string() })) },
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const result = await idempotent(c, services.idempotency, input, async () => {
        const created = await apiKeys.create(c.get('user')!.id, {
          name: input.name,
          workspaceId: input.workspaceId ?? null,
          readOnly: input.readOnly ?? false,
          expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
        });
        await audit.record(
          {
            action: 'api_key.created',
            outcome: 'success',
            actor: actorOf(c),
            targetType: 'api_key',
            targetId: created.id,
            details: { workspaceId: created.workspaceId, readOnly: created.readOnly, expiresAt: created.expiresAt?.toISOString() ?? null },
          },
          meta(c),
        );
        return { status: 201, body: { ...present(created), key: created.key } };
      });
      return c.json(result.body, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/account/api-keys/{id}',
      tags: ['account'],
      request: { params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: { 204: { description: 'Revoked' } },
    }),
    async (c) => {
      const revoked = await apiKeys.revoke(c.get('user')!.id, c.req.valid('param').id);
      await audit.record({ action: 'api_key.revoked', outcome: 'success', actor: actorOf(c), targetType: 'api_key', targetId: revoked.id }, meta(c));
      return c.body(null, 204);
    },
  );
}
