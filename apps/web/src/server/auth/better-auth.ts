/**
 * better-auth configured for Quarry: e-mail + password, sessions in HTTP-only
 * cookies, the admin plugin for roles and bans, and — when OIDC_* is set — single
 * sign-on through the generic OAuth plugin (auth/oidc.ts). Quarry-specific rules
 * (first admin, personal workspace, who may arrive by SSO) hang off its hooks.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Config } from '@quarry/config';
import { accounts, sessions, users, verifications, type Database } from '@quarry/db';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { admin } from 'better-auth/plugins';
import { loggableError } from '../log-safe.js';
import { afterOidcSession, currentOidcAttempt, oidcGate, oidcPlugin, roleForNewOidcUser, type OidcPolicy } from './oidc.js';
import type { Logger } from '../logger.js';

/** How long a password-reset (or new account's set-up) link works. */
export const RESET_LINK_TTL_SECONDS = 24 * 60 * 60;

/**
 * Quarry sends no e-mail: a reset link is made for an admin, who passes it on. better-auth's
 * `requestPasswordReset` hands its token to `sendResetPassword`, which gives it to the caller here
 * (per call, through async context: two admins at once each get their own). Over HTTP the request
 * endpoint stays unreachable (routes/auth.ts); only POST /reset-password, which spends a token, is open.
 */
const resetTokens = new AsyncLocalStorage<{ token?: string }>();

/** A fresh reset token for the account with this e-mail address (undefined: no such account). */
export async function issueResetToken(auth: Auth, email: string): Promise<string | undefined> {
  const slot: { token?: string } = {};
  await resetTokens.run(slot, () => auth.api.requestPasswordReset({ body: { email } }));
  return slot.token;
}

export interface AuthHooks {
  /** Decides the role of a new account (ADMIN_EMAIL, or the very first account). */
  roleForNewUser(email: string): Promise<'admin' | 'member'>;
  afterUserCreated(user: { id: string; email: string; name: string }): Promise<void>;
}

export function createAuth(options: { config: Config; db: Database; secret: string; trustedOrigins: string[]; hooks: AuthHooks; logger?: Logger }) {
  const { config, db, hooks } = options;
  const oidc = config.auth.oidc;
  const policy: OidcPolicy | undefined = oidc
    ? { oidc, signupMode: config.auth.signupMode, adminEmail: config.auth.adminEmail, roleForNewUser: (email) => hooks.roleForNewUser(email) }
    : undefined;
  return betterAuth({
    appName: 'Quarry',
    baseURL: config.publicUrl,
    basePath: '/api/auth',
    secret: options.secret,
    trustedOrigins: options.trustedOrigins,
    database: drizzleAdapter(db, {
      provider: 'pg',
      schema: { user: users, session: sessions, account: accounts, verification: verifications },
    }),
    emailAndPassword: {
      enabled: true,
      minPasswordLength: 10,
      maxPasswordLength: 256,
      autoSignIn: true,
      resetPasswordTokenExpiresIn: RESET_LINK_TTL_SECONDS,
      // A reset ends every session: whoever knew the old password is signed out.
      revokeSessionsOnPasswordReset: true,
      sendResetPassword: async ({ token }) => {
        const slot = resetTokens.getStore();
        if (slot) slot.token = token;
      },
    },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    // Sign-in and sign-up limits live in Quarry's database (auth/rate-limit.ts) so they hold across restarts.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    // better-auth logs to the console by default, with whole query errors (their parameters: e-mails, names)
    // and lines such as "Sign-up attempt for existing email: <address>". Into Quarry's log instead: warnings
    // and errors only, the message cut at its first ": " (where values follow), errors via loggableError.
    logger: {
      level: 'warn',
      log: (level, message, ...args) => {
        const safe = message.replace(/:\s[\s\S]*$/, ': …').slice(0, 200);
        const err = args.find((a: unknown) => a instanceof Error);
        const line = { source: 'better-auth', ...(err ? { err: loggableError(err) } : {}) };
        if (level === 'error') options.logger?.error(line, safe);
        else if (level === 'warn') options.logger?.warn(line, safe);
      },
    },
    advanced: {
      useSecureCookies: config.publicUrl.startsWith('https://'),
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax' },
      ipAddress: { ipAddressHeaders: ['x-quarry-client-ip'] },
    },
    // A failed SSO callback (a bad `state`, a refusal) lands on the sign-in page with `?error=<code>`.
    onAPIError: { errorURL: `${config.publicUrl}/sign-in` },
    account: {
      // An SSO identity joins an existing account with the same e-mail only when the provider vouches for
      // the address (better-auth's rule for an untrusted provider; oidcGate refuses unverified ones before).
      // Local accounts have no e-mail verification in Quarry, so better-auth's local check is off.
      accountLinking: { enabled: true, requireLocalEmailVerified: false, allowDifferentEmails: false },
    },
    ...(policy ? { user: { validateUserInfo: oidcGate(policy) } } : {}),
    plugins: [admin({ defaultRole: 'member', adminRoles: ['admin'] }), ...(oidc ? [oidcPlugin(oidc)] : [])],
    databaseHooks: {
      user: {
        create: {
          before: async (user) => ({
            data: { ...user, role: policy && currentOidcAttempt() ? await roleForNewOidcUser(policy, user.email) : await hooks.roleForNewUser(user.email) },
          }),
          after: async (user) => hooks.afterUserCreated(user),
        },
      },
      session: {
        create: {
          after: async (session) => {
            if (policy) await afterOidcSession(db, policy, session.userId);
          },
        },
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;
