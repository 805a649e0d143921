/**
 * /api/auth/* is better-auth's, wrapped with what Quarry adds around it:
 * sign-up policy (open / invite / closed), database-backed attempt limits,
 * audit events, and the API's error shape.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { AppError, badRequest, forbidden, tooManyRequests } from '../errors.js';
import { errorBody } from '../middleware/error-handler.js';
import type { Services } from '../../services/index.js';

const SIGN_IN_LIMIT = { max: 5, windowMs: 15 * 60_000 };
const SIGN_UP_LIMIT = { max: 10, windowMs: 60 * 60_000 };

const SignUpBody = z.object({
  email: z.email().max(254),
  password: z.string().min(1).max(256),
  name: z.string().trim().min(1).max(120),
  inviteToken: z.string().max(200).optional(),
});
const SignInBody = z.object({ email: z.string().max(254), password: z.string().max(256) }).passthrough();

export function registerAuthRoutes(app: OpenAPIHono<AppEnv>, services: Services) {
  const { auth, audit, limiter, invitations, users, config } = services;

  app.on(['GET', 'POST'], '/api/auth/*', async (c) => {
    const action = c.req.path.slice('/api/auth'.length);
    const meta = { ip: c.get('clientIp'), userAgent: c.req.header('user-agent') };
    let body: Record<string, unknown> | undefined;
    if (c.req.method === 'POST') body = await readJson(c);

    let claimedInvitation: string | undefined;
    let signInKeys: string[] = [];
    if (action === '/sign-up/email') {
      const input = parse(SignUpBody, body);
      const retry = await limiter.retryAfter([`signup-ip:${meta.ip}`], SIGN_UP_LIMIT);
      if (retry > 0) throw tooManyRequests(retry, 'Too many sign-ups from this address. Try again later.');
      await limiter.recordFailure([`signup-ip:${meta.ip}`]);
      const firstRun = (await users.count()) === 0;
      const isAdminEmail = config.auth.adminEmail !== undefined && input.email.toLowerCase() === config.auth.adminEmail;
      if (!firstRun && !isAdminEmail && config.auth.signupMode !== 'open') {
        if (config.auth.signupMode === 'closed') throw forbidden('Sign-up is closed on this Quarry.', 'signup_closed');
        if (!input.inviteToken) throw forbidden('Sign-up needs an invitation link from an administrator.', 'invitation_required');
        claimedInvitation = await invitations.claim(input.inviteToken, input.email);
        if (!claimedInvitation) {
          await audit.record({ action: 'invitation.used', outcome: 'failure', actorEmail: input.email, details: { reason: 'invalid, used or expired' } }, meta);
          throw forbidden('This invitation is not valid: it may have been used already or expired.', 'invitation_invalid');
        }
      }
      // Only these fields reach better-auth: nobody signs themselves up with a role.
      body = { email: input.email, password: input.password, name: input.name };
    } else if (action === '/sign-in/email') {
      const input = parse(SignInBody, body);
      signInKeys = [`signin-ip:${meta.ip}`, `signin-account:${input.email.toLowerCase()}`];
      const retry = await limiter.retryAfter(signInKeys, SIGN_IN_LIMIT);
      if (retry > 0) {
        await audit.record({ action: 'user.sign_in', outcome: 'failure', actorEmail: input.email, details: { reason: 'rate_limited' } }, meta);
        throw tooManyRequests(retry, 'Too many failed sign-in attempts. Try again later.');
      }
    }

    // Who is acting, for events whose response does not say (sign-out, password change …).
    const before = needsActor(action) ? await auth.api.getSession({ headers: c.req.raw.headers }).catch(() => null) : null;

    const headers = new Headers(c.req.raw.headers);
    headers.set('x-quarry-client-ip', meta.ip);
    if (body !== undefined) {
      headers.set('content-type', 'application/json');
      headers.delete('content-length');
    }
    const response = await auth.handler(
      new Request(c.req.raw.url, { method: c.req.method, headers, body: body !== undefined ? JSON.stringify(body) : undefined }),
    );
    const ok = response.status >= 200 && response.status < 300;
    const json = response.headers.get('content-type')?.includes('application/json') ? await response.clone().json().catch(() => undefined) : undefined;
    const responseUser = (json as { user?: { id: string; email: string } } | undefined)?.user;
    const actor = responseUser ? { id: responseUser.id, email: responseUser.email } : before ? { id: before.user.id, email: before.user.email } : null;

    switch (action) {
      case '/sign-up/email':
        if (claimedInvitation) {
          if (ok && responseUser) {
            await invitations.markUsedBy(claimedInvitation, responseUser.id);
            await audit.record({ action: 'invitation.used', outcome: 'success', actor, targetType: 'invitation', targetId: claimedInvitation }, meta);
          } else await invitations.release(claimedInvitation);
        }
        await audit.record({ action: 'user.signed_up', outcome: ok ? 'success' : 'failure', actor, actorEmail: String(body?.email ?? ''), targetType: 'user', targetId: actor?.id }, meta);
        break;
      case '/sign-in/email':
        if (ok) await limiter.clear(signInKeys.slice(1));
        else if (response.status === 401 || response.status === 403) await limiter.recordFailure(signInKeys);
        await audit.record(
          { action: 'user.sign_in', outcome: ok ? 'success' : 'failure', actor, actorEmail: String(body?.email ?? ''), details: ok ? undefined : { status: response.status } },
          meta,
        );
        break;
      case '/sign-out':
        if (before) await audit.record({ action: 'user.sign_out', outcome: ok ? 'success' : 'failure', actor }, meta);
        break;
      case '/change-password':
        await audit.record({ action: 'user.password_changed', outcome: ok ? 'success' : 'failure', actor, targetType: 'user', targetId: actor?.id }, meta);
        break;
      case '/revoke-session':
      case '/revoke-sessions':
      case '/revoke-other-sessions':
        await audit.record({ action: 'session.revoked', outcome: ok ? 'success' : 'failure', actor, details: { scope: action.slice(1) } }, meta);
        break;
      case '/admin/set-role':
      case '/admin/ban-user':
      case '/admin/unban-user':
        await audit.record(
          {
            action: action === '/admin/set-role' ? 'user.role_changed' : action === '/admin/ban-user' ? 'user.banned' : 'user.unbanned',
            outcome: ok ? 'success' : 'failure',
            actor,
            targetType: 'user',
            targetId: typeof body?.userId === 'string' ? body.userId : undefined,
            details: typeof body?.role === 'string' ? { role: body.role } : undefined,
          },
          meta,
        );
        break;
    }

    if (ok) return response;
    return reshapeError(c, response, json);
  });
}

function needsActor(action: string) {
  return action === '/sign-out' || action === '/change-password' || action.startsWith('/revoke-') || action.startsWith('/admin/');
}

async function readJson(c: Context<AppEnv>): Promise<Record<string, unknown> | undefined> {
  const text = await c.req.raw.clone().text();
  if (text.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw badRequest('The request body is not a JSON object.', 'invalid_json');
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw new AppError(400, 'invalid_request', `${field}: ${issue?.message ?? 'invalid value'}`, { field });
  }
  return result.data;
}

/** better-auth answers `{code, message}`; the API promises `{error: {code, message, requestId}}`. */
function reshapeError(c: Context<AppEnv>, response: Response, json: unknown) {
  const { code, message } = (json ?? {}) as { code?: string; message?: string };
  const headers = new Headers(response.headers);
  headers.set('content-type', 'application/json');
  headers.delete('content-length');
  const body = errorBody(c, (code ?? 'auth_error').toLowerCase(), message ?? 'The request could not be completed.');
  return new Response(JSON.stringify(body), { status: response.status, headers });
}
