/**
 * Every API route group, in one list. A new resource adds one line here.
 * Session resolution and the origin check run before all of them.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createSessionLookup } from '../../auth/session-lookup.js';
import type { AppEnv } from '../context.js';
import { originCheck } from '../middleware/origin-check.js';
import { clientAddress, resolveSession } from '../middleware/session.js';
import type { Services } from '../../services/index.js';
import { registerAccountRoutes } from './account.js';
import { registerAdminRoutes } from './admin.js';
import { registerAuthRoutes } from './auth.js';
import { registerDocumentRoutes } from './documents.js';
import { registerInvitationRoutes } from './invitations.js';
import { registerMeRoutes } from './me.js';
import { registerSearchRoutes } from './search.js';
import { registerThreadRoutes } from './threads.js';
import { registerWorkspaceRoutes } from './workspaces.js';

export type RouteGroup = (app: OpenAPIHono<AppEnv>, services: Services) => void;

const routeGroups: RouteGroup[] = [registerAuthRoutes, registerInvitationRoutes, registerMeRoutes, registerWorkspaceRoutes, registerDocumentRoutes, registerSearchRoutes, registerAccountRoutes, registerAdminRoutes,
  // After the admin group: its requireAdmin middleware guards /api/admin/answer-feedback.
  registerThreadRoutes];

export function mountApi(services: Services, extra: RouteGroup[] = []) {
  return (app: OpenAPIHono<AppEnv>) => {
    app.use('/api/*', clientAddress(services.trustedProxies));
    app.use('/api/*', originCheck(services.trustedOrigins));
    const session = resolveSession(services.auth, services.apiKeys, createSessionLookup(services.auth, services.db, services.config.database.kind));
    app.use('/api/*', async (c, next) => {
      // better-auth resolves its own sessions; everything else gets `user` here.
      if (c.req.path.startsWith('/api/auth/')) return next();
      return session(c, next);
    });
    for (const register of [...routeGroups, ...extra]) register(app, services);
  };
}
