/**
 * better-auth configured for Quarry: e-mail + password, sessions in HTTP-only
 * cookies, the admin plugin for roles and bans. Quarry-specific rules (first
 * admin, personal workspace) hang off its database hooks.
 */
import type { Config } from '@quarry/config';
import { accounts, sessions, users, verifications, type Database } from '@quarry/db';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { admin } from 'better-auth/plugins';

export interface AuthHooks {
  /** Decides the role of a new account (ADMIN_EMAIL, or the very first account). */
  roleForNewUser(email: string): Promise<'admin' | 'member'>;
  afterUserCreated(user: { id: string; email: string; name: string }): Promise<void>;
}

export function createAuth(options: { config: Config; db: Database; secret: string; trustedOrigins: string[]; hooks: AuthHooks }) {
  const { config, db, hooks } = options;
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
    emailAndPassword: { enabled: true, minPasswordLength: 10, maxPasswordLength: 256, autoSignIn: true },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    // Sign-in and sign-up limits live in Quarry's database (auth/rate-limit.ts) so they hold across restarts.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    advanced: {
      useSecureCookies: config.publicUrl.startsWith('https://'),
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax' },
      ipAddress: { ipAddressHeaders: ['x-quarry-client-ip'] },
    },
    plugins: [admin({ defaultRole: 'member', adminRoles: ['admin'] })],
    databaseHooks: {
      user: {
        create: {
          before: async (user) => ({ data: { ...user, role: await hooks.roleForNewUser(user.email) } }),
          after: async (user) => hooks.afterUserCreated(user),
        },
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;
