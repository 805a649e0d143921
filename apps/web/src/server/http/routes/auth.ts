/**
 * /api/auth/* is better-auth's, wrapped with what Quarry adds around it:
 * an allow-list of reachable endpoints (no admin plugin endpoints), the
 * sign-up policy (open / invite / closed, first-run admin), database-backed
 * attempt limits reserved before any password check, audit events, and the
 * API's error shape.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { AppError, badRequest, forbidden, notFound, tooManyRequests } from '../errors.js';
import { errorBody } from '../middleware/error-handler.js';
import { email, text } from '../schemas.js';
import type { Services } from '../../services/index.js';
import type { LimitRule, Reservation } from '../../auth/rate-limit.js';
import type { RequestMeta } from '../../services/audit.js';
import type { ClaimedInvitation } from '../../services/invitations.js';
import { OIDC_PROVIDER_ID, runOidcAttempt, type OidcAttempt } from '../../auth/oidc.js';

/** Strict per account: five wrong passwords and the account waits out the window. */
export const SIGN_IN_ACCOUNT_LIMIT: LimitRule = { max: 5, windowMs: 15 * 60_000 };
/** Loose per address: an office behind one NAT shares it; this only stops spraying many accounts. */
export const SIGN_IN_IP_LIMIT: LimitRule = { max: 100, windowMs: 15 * 60_000 };
export const SIGN_UP_LIMIT: LimitRule = { max: 10, windowMs: 60 * 60_000 };
const PRUNE_EVERY_MS = 60 * 60_000;

/**
 * The better-auth endpoints reachable over HTTP: the ones Quarry's UI and API
 * use. Everything else under /api/auth — the admin plugin's endpoints
 * (update-user, set-user-password, create-user, remove-user, impersonate-user,
 * …) above all — answers 404: administration goes through /api/admin/*, which
 * applies Quarry's rules and writes the audit log. Server code may still call
 * `auth.api.*` directly (e.g. `quarry admin create`).
 */
const ALLOWED_AUTH_ENDPOINTS = new Set([
  'POST /sign-up/email',
  'POST /sign-in/email',
  'POST /sign-out',
  'GET /get-session',
  'POST /change-password',
  'GET /list-sessions',
  'POST /revoke-session',
  'POST /revoke-sessions',
  'POST /revoke-other-sessions',
  // Spends a reset (or set-up) link an admin made; asking for one stays server-side (no e-mail is sent).
  'POST /reset-password',
]);

/**
 * With single sign-on configured, the two endpoints of the flow: start (answers the provider's
 * authorization URL) and the provider's redirect back. better-auth's other OAuth endpoints — link-social,
 * list-accounts, unlink-account, get-access-token, refresh-token, account-info, the form_post variant
 * of the callback — stay unreachable (404) like the rest.
 */
const OIDC_AUTH_ENDPOINTS = ['POST /sign-in/social', `GET /callback/${OIDC_PROVIDER_ID}`];

/** Where the browser may be sent back to: a path on this site, never another origin. */
const localPath = text()
  .max(500)
  .regex(/^\/(?![/\\])[^\s]*$/, 'must be a path on this site, starting with one /');
// Only these fields: better-auth's `idToken` sign-in (an ID token posted directly), `scopes`, `loginHint`
// and `requestSignUp` are not Quarry's to offer.
const SocialSignInBody = z.strictObject({
  provider: z.literal(OIDC_PROVIDER_ID),
  callbackURL: localPath.optional(),
  errorCallbackURL: localPath.optional(),
});

const ruleFor = (key: string): LimitRule | undefined =>
  key.startsWith('signin-account:') ? SIGN_IN_ACCOUNT_LIMIT : key.startsWith('signin-ip:') ? SIGN_IN_IP_LIMIT : key.startsWith('signup-ip:') ? SIGN_UP_LIMIT : undefined;

function minutesText(seconds: number) {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** 429 with Retry-After and, in the body, when to retry (seconds and an ISO time). */
function limited(reservation: Reservation, message: string) {
  const error = tooManyRequests(reservation.retryAfterSeconds, `${message} Try again in ${minutesText(reservation.retryAfterSeconds)}.`);
  Object.assign(error.extra, { retryAt: reservation.retryAt.toISOString() });
  return error;
}

// Text fields refuse NUL (PostgreSQL cannot store it: it was a 500, or better-auth's 422 "Failed to create user").
const SignUpBody = z.object({
  email: email(),
  password: z.string().min(1).max(256),
  name: text().trim().min(1).max(120),
  inviteToken: text().max(200).optional(),
});
const SignInBody = z.object({ email: text().max(254), password: z.string().max(256) }).passthrough();
const ResetPasswordBody = z.object({ token: text().min(1).max(200), newPassword: z.string().min(1).max(256) });

export function registerAuthRoutes(app: OpenAPIHono<AppEnv>, services: Services) {
  const { auth, audit, limiter, invitations, users, config } = services;
  const allowed = new Set([...ALLOWED_AUTH_ENDPOINTS, ...(config.auth.oidc ? OIDC_AUTH_ENDPOINTS : [])]);

  /**
   * Refusals are not written one row each (a flood would fill the disk with
   * rows nothing may delete): the first refusal of a window gets a row, and
   * the window's count is kept in auth_limits until one summary row carries it.
   */
  async function summarize(key: string, windowStart: Date, attempts: number) {
    const rule = ruleFor(key);
    if (!rule || attempts <= rule.max) return;
    const account = key.startsWith('signin-account:') ? key.slice('signin-account:'.length) : undefined;
    const ip = key.startsWith('signin-ip:') || key.startsWith('signup-ip:') ? key.slice(key.indexOf(':') + 1) : undefined;
    await audit.record(
      {
        action: key.startsWith('signup-ip:') ? 'user.signed_up' : 'user.sign_in',
        outcome: 'failure',
        actorEmail: account,
        details: { reason: 'rate_limited', summary: true, limit: key.slice(0, key.indexOf(':')), refused: attempts - rule.max, windowStart: windowStart.toISOString(), windowEnd: new Date(windowStart.getTime() + rule.windowMs).toISOString() },
      },
      { ip },
    );
  }

  async function reserve(key: string, rule: LimitRule): Promise<Reservation> {
    const reservation = await limiter.reserve(key, rule);
    if (reservation.previous && reservation.previous.attempts > rule.max) {
      const claimed = await limiter.claimPrevious(key, reservation.previous.windowToken);
      if (claimed !== undefined) await summarize(key, reservation.previous.windowStart, claimed);
    }
    return reservation;
  }

  async function refuseSignIn(reservation: Reservation, email: string, meta: RequestMeta, scope: 'account' | 'ip'): Promise<never> {
    if (reservation.firstRefusal) {
      await audit.record(
        { action: 'user.sign_in', outcome: 'failure', actorEmail: email, details: { reason: 'rate_limited', limit: `signin-${scope}`, windowStart: reservation.windowStart.toISOString(), retryAt: reservation.retryAt.toISOString() } },
        meta,
      );
    }
    throw limited(reservation, scope === 'account' ? 'Too many failed sign-in attempts for this account.' : 'Too many failed sign-in attempts from this network address.');
  }

  let lastPrune = Date.now();
  function maybePrune(log: { warn(obj: object, msg: string): void } | undefined) {
    if (Date.now() - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = Date.now();
    void (async () => {
      for (const expired of await limiter.prune()) await summarize(expired.key, expired.windowStart, expired.attempts);
    })().catch((err: unknown) => log?.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'attempt limiter housekeeping failed'));
  }

  // Sign-ups run one at a time in this process. Two at once for the same address (a double click on the
  // first-run set-up) both took the first-run path and raced inside better-auth to a unique-key error
  // with a logged stack trace; the second now sees the first's account and is an ordinary sign-up.
  let signUps: Promise<unknown> = Promise.resolve();
  app.on(['GET', 'POST'], '/api/auth/*', (c) => {
    if (c.req.method !== 'POST' || c.req.path !== '/api/auth/sign-up/email') return handle(c);
    const run = signUps.then(() => handle(c));
    signUps = run.catch(() => undefined);
    return run;
  });

  async function handle(c: Context<AppEnv>): Promise<Response> {
    const action = c.req.path.slice('/api/auth'.length);
    if (!allowed.has(`${c.req.method} ${action}`)) throw notFound('endpoint');
    const meta = { ip: c.get('clientIp'), userAgent: c.req.header('user-agent') };
    if (!config.auth.passwordSignIn && (action === '/sign-in/email' || action === '/sign-up/email')) {
      throw forbidden(`Password sign-in is off on this Quarry; sign in with ${config.auth.oidc?.displayName ?? 'single sign-on'}.`, 'password_signin_disabled');
    }
    if (action === `/callback/${OIDC_PROVIDER_ID}`) return oidcCallback(c, meta);
    let body: Record<string, unknown> | undefined;
    if (c.req.method === 'POST') body = await readJson(c);
    if (action === '/sign-in/social') {
      const input = parse(SocialSignInBody, body);
      body = { provider: input.provider, callbackURL: input.callbackURL ?? '/', errorCallbackURL: input.errorCallbackURL ?? '/sign-in', disableRedirect: true };
    }

    // Whose link it is, for the audit event (better-auth's answer does not say).
    let resetFor: { id: string; email: string } | null = null;
    if (action === '/reset-password') {
      const input = parse(ResetPasswordBody, body);
      body = { token: input.token, newPassword: input.newPassword };
      resetFor = await resetLinkOwner(input.token);
    }

    let claimedInvitation: ClaimedInvitation | undefined;
    let signIn: { account: Reservation; address: Reservation } | undefined;
    if (action === '/sign-up/email') {
      const input = parse(SignUpBody, body);
      const signUpSlot = await reserve(`signup-ip:${meta.ip}`, SIGN_UP_LIMIT);
      if (!signUpSlot.granted) throw limited(signUpSlot, 'Too many sign-ups from this address.');
      // The first-run path (no invitation, becomes admin) belongs to ADMIN_EMAIL when it is set, and in
      // production without it to nobody: see users.isFirstRunSignUp.
      const firstRunPath = await users.isFirstRunSignUp(input.email);
      if (!firstRunPath && config.auth.signupMode !== 'open') {
        if (users.needsShellSetup() && (await users.count()) === 0) {
          throw forbidden(
            'This Quarry has no administrator yet. On the server, run `quarry admin create --email <your e-mail>` (or set ADMIN_EMAIL and sign up with it).',
            'setup_required',
          );
        }
        if (config.auth.signupMode === 'closed') throw forbidden('Sign-up is closed on this Quarry.', 'signup_closed');
        if (!input.inviteToken) throw forbidden('Sign-up needs an invitation link from an administrator.', 'invitation_required');
      }
      // A link is claimed in every mode (open included): it is bound to its e-mail address and may add a workspace.
      if (input.inviteToken && !firstRunPath) {
        claimedInvitation = await invitations.claim(input.inviteToken, input.email);
        if (!claimedInvitation) {
          await audit.record({ action: 'invitation.used', outcome: 'failure', actorEmail: input.email, details: { reason: 'invalid, used, revoked, expired or for another address' } }, meta);
          throw forbidden(
            'This invitation cannot be used: it may be for another e-mail address, used already, revoked or expired.',
            'invitation_invalid',
          );
        }
      }
      // Only these fields reach better-auth: nobody signs themselves up with a role.
      body = { email: input.email, password: input.password, name: input.name };
    } else if (action === '/sign-in/email') {
      const input = parse(SignInBody, body);
      maybePrune(c.get('logger'));
      // Reserve before the password is checked: one atomic upsert per key, so parallel guesses cannot
      // all pass a check made before any of them is counted. The account first; the address only for
      // attempts the account allows (a locked account must not use up its colleagues' shared IP).
      const account = await reserve(`signin-account:${input.email.toLowerCase()}`, SIGN_IN_ACCOUNT_LIMIT);
      if (!account.granted) await refuseSignIn(account, input.email, meta, 'account');
      const address = await reserve(`signin-ip:${meta.ip}`, SIGN_IN_IP_LIMIT);
      if (!address.granted) {
        await limiter.release(account);
        await refuseSignIn(address, input.email, meta, 'ip');
      }
      signIn = { account, address };
    }

    // Who is acting, for events whose response does not say (sign-out, password change …).
    const before = needsActor(action) ? await auth.api.getSession({ headers: c.req.raw.headers }).catch(() => null) : null;

    const headers = new Headers(c.req.raw.headers);
    headers.set('x-quarry-client-ip', meta.ip);
    if (body !== undefined) {
      headers.set('content-type', 'application/json');
      headers.delete('content-length');
    }
    let response: Response;
    try {
      response = await auth.handler(
        new Request(c.req.raw.url, { method: c.req.method, headers, body: body !== undefined ? JSON.stringify(body) : undefined }),
      );
    } catch (error) {
      if (signIn) await Promise.all([limiter.release(signIn.account), limiter.release(signIn.address)]);
      throw error;
    }
    const ok = response.status >= 200 && response.status < 300;
    const json = response.headers.get('content-type')?.includes('application/json') ? await response.clone().json().catch(() => undefined) : undefined;
    const responseUser = (json as { user?: { id: string; email: string } } | undefined)?.user;
    const actor = responseUser ? { id: responseUser.id, email: responseUser.email } : before ? { id: before.user.id, email: before.user.email } : null;

    switch (action) {
      case '/sign-up/email':
        if (claimedInvitation) {
          if (ok && responseUser) {
            const joined = await invitations.complete(claimedInvitation, responseUser.id);
            await audit.record({ action: 'invitation.used', outcome: 'success', actor, targetType: 'invitation', targetId: claimedInvitation.id }, meta);
            if (joined) {
              await audit.record(
                { action: 'workspace.member_added', outcome: 'success', actor, targetType: 'workspace', targetId: joined, details: { userId: responseUser.id, role: claimedInvitation.role, invitation: claimedInvitation.id } },
                meta,
              );
            }
          } else await invitations.release(claimedInvitation.id);
        }
        await audit.record({ action: 'user.signed_up', outcome: ok ? 'success' : 'failure', actor, actorEmail: String(body?.email ?? ''), targetType: 'user', targetId: actor?.id }, meta);
        break;
      case '/sign-in/email':
        if (signIn) {
          // Success: the account's failures are forgotten and the address is not charged. A refused
          // password (401/403) keeps both reservations. Anything else checked no password: give them back.
          if (ok) await Promise.all([limiter.reset(signIn.account.key), limiter.release(signIn.address)]);
          else if (response.status !== 401 && response.status !== 403) await Promise.all([limiter.release(signIn.account), limiter.release(signIn.address)]);
        }
        await audit.record(
          { action: 'user.sign_in', outcome: ok ? 'success' : 'failure', actor, actorEmail: String(body?.email ?? ''), details: ok ? undefined : { status: response.status } },
          meta,
        );
        break;
      case '/sign-out':
        if (before) await audit.record({ action: 'user.sign_out', outcome: ok ? 'success' : 'failure', actor }, meta);
        break;
      case '/reset-password':
        await audit.record(
          { action: 'user.password_reset', outcome: ok ? 'success' : 'failure', actor: resetFor, targetType: resetFor ? 'user' : undefined, targetId: resetFor?.id, details: ok ? undefined : { status: response.status } },
          meta,
        );
        break;
      case '/change-password':
        await audit.record({ action: 'user.password_changed', outcome: ok ? 'success' : 'failure', actor, targetType: 'user', targetId: actor?.id }, meta);
        break;
      case '/revoke-session':
      case '/revoke-sessions':
      case '/revoke-other-sessions':
        await audit.record({ action: 'session.revoked', outcome: ok ? 'success' : 'failure', actor, details: { scope: action.slice(1) } }, meta);
        break;
    }

    if (ok) return response;
    return reshapeError(c, response, json);
  }

  /** The account a reset token belongs to, looked up as better-auth does; null when the token is unknown. */
  async function resetLinkOwner(token: string): Promise<{ id: string; email: string } | null> {
    const context = await auth.$context;
    const verification = await context.internalAdapter.findVerificationValue(`reset-password:${token}`).catch(() => null);
    if (!verification) return null;
    const user = await context.internalAdapter.findUserById(verification.value).catch(() => null);
    return user ? { id: user.id, email: user.email } : null;
  }

  /**
   * The provider's redirect back. better-auth checks `state` (against its signed cookie and row), PKCE,
   * the ID token and its nonce, and Quarry's gate (auth/oidc.ts) decides who may in; this audits the
   * outcome like a password sign-in and passes better-auth's redirect on unchanged (to the app, or to
   * /sign-in?error=<code>).
   */
  async function oidcCallback(c: Context<AppEnv>, meta: RequestMeta): Promise<Response> {
    const attempt: OidcAttempt = {};
    const headers = new Headers(c.req.raw.headers);
    headers.set('x-quarry-client-ip', c.get('clientIp'));
    const response = await runOidcAttempt(attempt, () => auth.handler(new Request(c.req.raw.url, { method: 'GET', headers })));
    const location = response.headers.get('location') ?? '';
    let error: string | undefined;
    try {
      error = new URL(location, config.publicUrl).searchParams.get('error') ?? undefined;
    } catch {
      error = 'invalid_redirect';
    }
    const ok = response.status >= 300 && response.status < 400 && error === undefined && attempt.userId !== undefined;
    const actor = ok && attempt.userId ? { id: attempt.userId, email: attempt.email ?? '' } : null;
    const details = { method: 'oidc', provider: config.auth.oidc?.issuer, ...(ok ? {} : { reason: (attempt.refused ?? error ?? `status_${response.status}`).slice(0, 80) }) };
    if (ok && attempt.created) {
      await audit.record({ action: 'user.signed_up', outcome: 'success', actor, actorEmail: attempt.email, targetType: 'user', targetId: attempt.userId, details: { method: 'oidc' } }, meta);
    }
    await audit.record({ action: 'user.sign_in', outcome: ok ? 'success' : 'failure', actor, actorEmail: attempt.email, details }, meta);
    if (ok && attempt.roleChange) {
      await audit.record(
        { action: 'user.role_changed', outcome: 'success', actor, targetType: 'user', targetId: attempt.userId, details: { ...attempt.roleChange, source: 'oidc_group' } },
        meta,
      );
    }
    for (const change of ok ? (attempt.membershipChanges ?? []) : []) {
      const action = change.from === null ? 'workspace.member_added' : change.to === null ? 'workspace.member_removed' : 'workspace.member_role_changed';
      await audit.record(
        { action, outcome: 'success', actor, targetType: 'workspace', targetId: change.workspaceId, details: { userId: attempt.userId, from: change.from, to: change.to, source: 'oidc_group' } },
        meta,
      );
    }
    return response;
  }
}

function needsActor(action: string) {
  return action === '/sign-out' || action === '/change-password' || action.startsWith('/revoke-');
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
