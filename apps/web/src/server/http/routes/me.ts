import { createRoute, z } from '@hono/zod-openapi';
import { OIDC_PROVIDER_ID } from '../../auth/oidc.js';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { requireUser } from '../middleware/session.js';
import type { Services } from '../../services/index.js';

const Me = z
  .object({
    user: z.object({ id: z.string(), email: z.string(), name: z.string(), role: z.string() }),
    workspaces: z.array(z.object({ id: z.string(), name: z.string(), role: z.enum(['owner', 'editor', 'viewer']) })),
  })
  .openapi('Me');

export function registerMeRoutes(app: OpenAPIHono<AppEnv>, services: Services) {
  app.use('/api/me', requireUser);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/me',
      tags: ['account'],
      summary: 'The signed-in user and their workspaces',
      responses: { 200: { description: 'You', content: { 'application/json': { schema: Me } } } },
    }),
    async (c) => {
      const user = c.get('user')!;
      const workspaces = await services.workspaces.listForUser(user.id);
      return c.json({ user, workspaces: workspaces.map(({ id, name, role }) => ({ id, name, role })) }, 200);
    },
  );

  // Public: lets the UI show first-run setup and the right sign-up screen.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/setup',
      tags: ['account'],
      summary: 'Whether this install still needs its first (admin) account, the sign-up mode and the upload limit',
      responses: {
        200: {
          description: 'Setup state',
          content: { 'application/json': { schema: z.object({
                needsAdmin: z.boolean(),
                /** How the first admin is made: the first sign-up (development), ADMIN_EMAIL's sign-up, or `quarry admin create` on the server. */
                firstRun: z.enum(['sign-up', 'admin-email', 'shell']),
                signupMode: z.enum(['open', 'invite', 'closed']),
                maxUploadMb: z.number(),
                /** Single sign-on: the provider's name for the "Sign in with …" button; null when not configured. */
                sso: z.object({ provider: z.string(), displayName: z.string() }).nullable(),
                /** False when PASSWORD_SIGNIN=off: only single sign-on signs in. */
                passwordSignIn: z.boolean(),
              }) } },
        },
      },
    }),
    async (c) =>
      c.json(
        {
          needsAdmin: (await services.users.count()) === 0,
          firstRun: services.config.auth.adminEmail !== undefined ? ('admin-email' as const) : services.users.needsShellSetup() ? ('shell' as const) : ('sign-up' as const),
          signupMode: services.config.auth.signupMode,
          maxUploadMb: services.config.uploads.maxMb,
          sso: services.config.auth.oidc ? { provider: OIDC_PROVIDER_ID, displayName: services.config.auth.oidc.displayName } : null,
          passwordSignIn: services.config.auth.passwordSignIn,
        },
        200,
      ),
  );
}
