/**
 * What an invitation link is for, asked by the accept page before anyone is
 * signed in: the address it is bound to (so the form can fill it in) and the
 * workspace it joins. Only a usable link answers; the token is 192 random bits.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { notFound } from '../errors.js';
import { text } from '../schemas.js';
import type { Services } from '../../services/index.js';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

export function registerInvitationRoutes(app: OpenAPIHono<AppEnv>, services: Services) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/invitations/{token}',
      tags: ['auth'],
      request: { params: z.object({ token: text().min(1).max(200).openapi({ param: { name: 'token', in: 'path' } }) }) },
      responses: {
        200: {
          description: 'An open invitation: who may use it and what it joins',
          content: json(
            z.object({
              email: z.string().nullable(),
              expiresAt: z.string(),
              workspaceId: z.string().nullable(),
              workspaceName: z.string().nullable(),
              role: z.enum(['owner', 'editor', 'viewer']).nullable(),
            }),
          ),
        },
        404: { description: 'Unknown, used, revoked or expired' },
      },
    }),
    async (c) => {
      const found = await services.invitations.lookup(c.req.valid('param').token);
      if (!found) throw notFound('invitation');
      return c.json({ ...found, expiresAt: found.expiresAt.toISOString() }, 200);
    },
  );
}
