/** Accounts as administrators see them: list, change role, ban (which ends sessions). */
import { asc, count, eq, gt } from 'drizzle-orm';
import { sessions, users, type Database } from '@quarry/db';
import { conflict, notFound } from '../http/errors.js';

export interface FirstRunPolicy {
  /** ADMIN_EMAIL, lower-cased. */
  adminEmail: string | undefined;
  /** NODE_ENV=production: no sign-up takes the first-run path unless it is ADMIN_EMAIL's. */
  production: boolean;
}

export function createUserService(db: Database, policy: FirstRunPolicy) {
  const { adminEmail } = policy;
  return {
    /**
     * Who may take the first-run path (become admin by signing up, with no
     * invitation): ADMIN_EMAIL when it is set; otherwise, outside production
     * only, the very first account ("works with no configuration"). In
     * production without ADMIN_EMAIL nobody: the first admin comes from
     * `quarry admin create`.
     */
    async isFirstRunSignUp(email: string): Promise<boolean> {
      if (adminEmail !== undefined) return email.toLowerCase() === adminEmail;
      if (policy.production) return false;
      return (await this.count()) === 0;
    },

    /** True when sign-up alone can never produce an admin here (production, no ADMIN_EMAIL). */
    needsShellSetup(): boolean {
      return adminEmail === undefined && policy.production;
    },
    async count() {
      const [row] = await db.select({ n: count() }).from(users);
      return row?.n ?? 0;
    },

    /** The first-run path's account becomes admin; every other new account is a member. */
    async roleForNewUser(email: string): Promise<'admin' | 'member'> {
      return (await this.isFirstRunSignUp(email)) ? 'admin' : 'member';
    },

    async list(page: { limit: number; after?: string }) {
      return db
        .select({ id: users.id, email: users.email, name: users.name, role: users.role, banned: users.banned, createdAt: users.createdAt })
        .from(users)
        .where(page.after ? gt(users.email, page.after) : undefined)
        .orderBy(asc(users.email))
        .limit(page.limit);
    },

    async get(id: string) {
      const [user] = await db.select().from(users).where(eq(users.id, id));
      if (!user) throw notFound('user');
      return user;
    },

    async update(actorId: string, id: string, change: { role?: 'admin' | 'member'; banned?: boolean }) {
      const user = await this.get(id);
      if (id === actorId && (change.banned === true || change.role === 'member')) {
        throw conflict('You cannot ban or demote yourself; ask another admin.', undefined, 'self_change');
      }
      const [updated] = await db
        .update(users)
        .set({
          ...(change.role !== undefined ? { role: change.role } : {}),
          ...(change.banned !== undefined ? { banned: change.banned, banReason: change.banned ? 'banned by an administrator' : null } : {}),
          updatedAt: new Date(),
        })
        .where(eq(users.id, id))
        .returning();
      // A ban takes effect at once: every session of the user ends.
      if (change.banned) await db.delete(sessions).where(eq(sessions.userId, id));
      return { before: user, after: updated! };
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
