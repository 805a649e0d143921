/**
 * Resolves who is calling: an API key in `x-api-key`, or the better-auth
 * session cookie. Also fixes the client IP once (trusted proxies only).
 * A restricted key's scope (one workspace, read-only) is enforced here, for
 * every /api route at once (services/api-keys.ts `keyScopeAllows`).
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { BlockList } from 'node:net';
import { createMiddleware } from 'hono/factory';
import type { Auth } from '../../auth/better-auth.js';
import { clientIp } from '../../auth/client-ip.js';
import type { SessionLookupResult } from '../../auth/session-lookup.js';
import { keyScopeAllows, type ApiKeyService } from '../../services/api-keys.js';
import type { AppEnv } from '../context.js';
import { AppError, unauthorized } from '../errors.js';

export function clientAddress(trustedProxies: BlockList) {
  return createMiddleware<AppEnv>(async (c, next) => {
    let peer: string | undefined;
    try {
      peer = getConnInfo(c).remote.address;
    } catch {
      peer = undefined; // in-process requests (tests) have no socket
    }
    c.set('clientIp', clientIp(peer, c.req.header('x-forwarded-for'), trustedProxies));
    await next();
  });
}

/** `lookup`: the cheap path for cookies (auth/session-lookup.ts); without it every cookie goes through better-auth. */
export function resolveSession(auth: Auth, apiKeys: ApiKeyService, lookup?: (cookieHeader: string) => Promise<SessionLookupResult>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set('user', undefined);
    c.set('authMethod', undefined);
    c.set('apiKeyScope', undefined);
    const key = c.req.header('x-api-key');
    if (key !== undefined) {
      const resolved = await apiKeys.resolve(key);
      if (!resolved.ok) {
        if (resolved.reason === 'expired') throw new AppError(401, 'api_key_expired', 'The API key has expired; create a new one under Account → API keys.');
        throw unauthorized('The API key is not valid (unknown, revoked, or its user is banned).');
      }
      const refused = keyScopeAllows(resolved.scope, c.req.method, c.req.path);
      if (refused) throw refused;
      c.set('user', resolved.user);
      c.set('authMethod', 'api-key');
      c.set('apiKeyScope', resolved.scope);
    } else if (c.req.header('cookie')) {
      const cookie = c.req.header('cookie')!;
      const found = lookup ? await lookup(cookie) : 'delegate';
      const session = found === 'delegate' ? await auth.api.getSession({ headers: c.req.raw.headers }) : found;
      if (session && !session.user.banned) {
        const { id, email, name, role } = session.user;
        c.set('user', { id, email, name, role: role ?? 'member' });
        c.set('authMethod', 'cookie');
      }
    }
    await next();
  });
}

export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.get('user')) throw unauthorized();
  await next();
});
