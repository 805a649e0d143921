/**
 * Cookie-authenticated writes must come from the app's own origin (CSRF
 * defence on top of SameSite=Lax). API-key requests carry no ambient
 * credentials and are exempt.
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context.js';
import { forbidden } from '../errors.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function originCheck(trustedOrigins: string[]) {
  const trusted = new Set(trustedOrigins);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (SAFE.has(c.req.method) || c.req.header('x-api-key') !== undefined || !c.req.header('cookie')) return next();
    const origin = c.req.header('origin') ?? refererOrigin(c.req.header('referer'));
    if (!origin || !trusted.has(origin)) {
      throw forbidden('Cross-site request refused: this request did not come from Quarry itself.', 'cross_site_request');
    }
    await next();
  });
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}
