/**
 * What an admin does to accounts beyond role and ban: create one (with a
 * set-up link instead of a password the admin would know), make a
 * password-reset link, and delete one — its sole-owned workspaces deleted or
 * handed to another account, as the admin chose, never silently.
 *
 * Links use better-auth's password-reset tokens (auth/better-auth.ts): a new
 * account has no password until its owner sets one through the link, so
 * nobody but them ever knows it.
 */
import { and, eq, inArray, like, sql } from 'drizzle-orm';
import { memberships, queryRows, users, verifications, workspaces, type Database } from '@quarry/db';
import { issueResetToken, RESET_LINK_TTL_SECONDS, type Auth } from '../auth/better-auth.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import type { WorkspaceCleanup } from './workspaces.js';

export interface SoleOwnedWorkspace {
  id: string;
  name: string;
  /** Members besides the account (they lose access if the workspace is deleted). */
  otherMembers: number;
  documents: number;
}

export type OwnedWorkspaceChoice = { action: 'delete' } | { action: 'transfer'; toUserId: string };

export interface ResetLink {
  url: string;
  expiresAt: Date;
}

export function createUserAdministration(deps: { db: Database; auth: Auth; publicUrl: string; workspaceCleanups: WorkspaceCleanup[] }) {
  const { db, auth, publicUrl } = deps;

  /** Workspaces where the account is the only owner, oldest first. */
  async function soleOwned(executor: Database, userId: string): Promise<SoleOwnedWorkspace[]> {
    const rows = await queryRows<{ id: string; name: string; others: number | string; documents: number | string }>(
      executor,
      sql`SELECT w.id, w.name,
            (SELECT count(*) FROM memberships o WHERE o.workspace_id = w.id AND o.user_id <> ${userId}) AS others,
            (SELECT count(*) FROM documents d WHERE d.workspace_id = w.id) AS documents
          FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
          WHERE m.user_id = ${userId} AND m.role = 'owner'
            AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.workspace_id = w.id AND o.role = 'owner' AND o.user_id <> ${userId})
          ORDER BY w.created_at, w.id`,
    );
    return rows.map((r) => ({ id: r.id, name: r.name, otherMembers: Number(r.others), documents: Number(r.documents) }));
  }

  return {
    soleOwned: (userId: string) => soleOwned(db, userId),

    /**
     * A reset link for the account; any earlier link of it stops working (the newest is the only one).
     * The account keeps its password until the link is used; using it ends the account's sessions.
     */
    async resetLink(userId: string): Promise<ResetLink> {
      const [user] = await db.select({ id: users.id, email: users.email }).from(users).where(eq(users.id, userId));
      if (!user) throw notFound('user');
      await db.delete(verifications).where(and(like(verifications.identifier, 'reset-password:%'), eq(verifications.value, user.id)));
      const token = await issueResetToken(auth, user.email);
      if (token === undefined) throw notFound('user');
      return { url: `${publicUrl}/reset-password?token=${encodeURIComponent(token)}`, expiresAt: new Date(Date.now() + RESET_LINK_TTL_SECONDS * 1000) };
    },

    /**
     * An account with no password (it cannot sign in until its owner sets one through the set-up link),
     * its Personal workspace made by the usual hook, and the role asked for.
     */
    async create(input: { email: string; name: string; role: 'admin' | 'member' }) {
      const email = input.email.toLowerCase();
      const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
      if (existing) throw conflict('An account with that e-mail address exists already.', { field: 'email' }, 'email_taken');
      let created: { id: string };
      try {
        // Server-side only (no headers): better-auth's admin endpoints are unreachable over HTTP.
        created = (await auth.api.createUser({ body: { email, name: input.name } })).user;
      } catch (error) {
        // Two requests for one address at once: the second meets the first's account.
        const [raced] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
        if (raced) throw conflict('An account with that e-mail address exists already.', { field: 'email' }, 'email_taken');
        throw error;
      }
      // The create hook gives new accounts their role by the first-run rule; the admin's choice wins here.
      const [user] = await db.update(users).set({ role: input.role, updatedAt: new Date() }).where(eq(users.id, created.id)).returning();
      const setup = await this.resetLink(user!.id);
      return { user: user!, setup };
    },

    /**
     * Deletes the account. Refused (409) for oneself, for the last admin, and — without `choice` — when the
     * account is the only owner of workspaces (the error lists them). Sessions, API keys, memberships and
     * the account's own conversations go with it (foreign keys); the audit log keeps its events.
     */
    async delete(actorId: string, userId: string, choice: OwnedWorkspaceChoice | undefined) {
      if (userId === actorId) throw conflict('You cannot delete your own account; ask another admin.', undefined, 'self_delete');
      const outcome = await db.transaction(async (txn) => {
        const tx = txn as unknown as Database;
        // Every admin row is locked: two admins deleting each other at once cannot leave none.
        const admins = await tx.select({ id: users.id }).from(users).where(eq(users.role, 'admin')).for('update');
        const [target] = await tx.select({ id: users.id, email: users.email, role: users.role }).from(users).where(eq(users.id, userId)).for('update');
        if (!target) throw notFound('user');
        if (!admins.some((a) => a.id === actorId)) throw conflict('Your account is no longer an admin.', undefined, 'not_admin');
        if (target.role === 'admin' && admins.filter((a) => a.id !== userId).length === 0) {
          throw conflict('This is the last admin: make someone else admin first.', undefined, 'last_admin');
        }
        const owned = await soleOwned(tx, userId);
        if (owned.length > 0 && choice === undefined) {
          throw conflict(
            `This account is the only owner of ${owned.length === 1 ? 'a workspace' : `${owned.length} workspaces`}: choose whether to delete ${owned.length === 1 ? 'it' : 'them'} or transfer ${owned.length === 1 ? 'it' : 'them'} to another account.`,
            { workspaces: owned.map(({ id, name }) => ({ id, name })) },
            'sole_owned_workspaces',
          );
        }
        let transferTo: { id: string; email: string } | undefined;
        if (owned.length > 0 && choice?.action === 'transfer') {
          if (choice.toUserId === userId) throw badRequest('transferTo: choose another account than the one being deleted', 'invalid_request', { field: 'transferTo' });
          const [to] = await tx.select({ id: users.id, email: users.email, banned: users.banned }).from(users).where(eq(users.id, choice.toUserId)).for('update');
          if (!to) throw badRequest('transferTo: no such account', 'unknown_user', { field: 'transferTo' });
          if (to.banned) throw badRequest('transferTo: that account is banned', 'invalid_request', { field: 'transferTo' });
          transferTo = { id: to.id, email: to.email };
          for (const ws of owned) {
            await tx
              .insert(memberships)
              .values({ workspaceId: ws.id, userId: to.id, role: 'owner' })
              .onConflictDoUpdate({ target: [memberships.workspaceId, memberships.userId], set: { role: 'owner' } });
          }
        }
        const deleted = owned.length > 0 && choice?.action === 'delete' ? owned : [];
        // Documents, passages, vectors, jobs and conversations cascade from the workspace rows.
        if (deleted.length > 0) await tx.delete(workspaces).where(inArray(workspaces.id, deleted.map((w) => w.id)));
        await tx.delete(verifications).where(and(like(verifications.identifier, 'reset-password:%'), eq(verifications.value, userId)));
        await tx.delete(users).where(eq(users.id, userId));
        return { user: target, deleted, transferred: transferTo ? owned : [], transferTo };
      });
      // Files after the commit: a failure here leaves orphans, which the ingest worker's sweep removes.
      for (const ws of outcome.deleted) {
        for (const cleanup of deps.workspaceCleanups) await cleanup(ws.id).catch(() => undefined);
      }
      return outcome;
    },
  };
}

export type UserAdministration = ReturnType<typeof createUserAdministration>;
