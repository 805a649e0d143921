/**
 * Workspaces and their members. Every multi-step write runs in a transaction;
 * the "last owner" rule is checked inside it so two requests cannot both
 * remove the final owner.
 */
import { and, asc, count, eq, gt, or, sql } from 'drizzle-orm';
import { memberships, users, workspaces, type Database, type WorkspaceRole } from '@quarry/db';
import { badRequest, conflict, notFound } from '../http/errors.js';

export interface WorkspaceCleanup {
  /** Called before a workspace's rows are deleted, to remove what lives outside the database (files). */
  (workspaceId: string): Promise<void>;
}

export function createWorkspaceService(db: Database, cleanups: WorkspaceCleanup[]) {
  return {
    async create(ownerId: string, name: string) {
      return db.transaction(async (tx) => {
        const [ws] = await tx.insert(workspaces).values({ name }).returning();
        await tx.insert(memberships).values({ workspaceId: ws!.id, userId: ownerId, role: 'owner' });
        return { ...ws!, role: 'owner' as WorkspaceRole };
      });
    },

    async listForUser(userId: string) {
      return db
        .select({ id: workspaces.id, name: workspaces.name, role: memberships.role, createdAt: workspaces.createdAt })
        .from(memberships)
        .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
        .where(eq(memberships.userId, userId))
        .orderBy(asc(workspaces.createdAt), asc(workspaces.id));
    },

    async get(workspaceId: string) {
      const [ws] = await db.select().from(workspaces).where(eq(workspaces.id, workspaceId));
      if (!ws) throw notFound('workspace');
      const [members] = await db.select({ n: count() }).from(memberships).where(eq(memberships.workspaceId, workspaceId));
      return { ...ws, memberCount: members?.n ?? 0 };
    },

    async rename(workspaceId: string, name: string) {
      const [ws] = await db
        .update(workspaces)
        .set({ name, updatedAt: new Date() })
        .where(eq(workspaces.id, workspaceId))
        .returning();
      if (!ws) throw notFound('workspace');
      return ws;
    },

    async delete(workspaceId: string) {
      for (const cleanup of cleanups) await cleanup(workspaceId);
      // Documents, passages, embeddings, jobs and memberships cascade from the workspace row.
      await db.delete(workspaces).where(eq(workspaces.id, workspaceId));
    },

    async listMembers(workspaceId: string, page: { limit: number; after?: { email: string } }) {
      return db
        .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role, joinedAt: memberships.createdAt })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.workspaceId, workspaceId), page.after ? gt(users.email, page.after.email) : undefined))
        .orderBy(asc(users.email))
        .limit(page.limit);
    },

    async addMember(workspaceId: string, email: string, role: WorkspaceRole) {
      const [user] = await db.select({ id: users.id, email: users.email, name: users.name }).from(users).where(eq(users.email, email.toLowerCase()));
      if (!user) throw badRequest('No account uses that e-mail address. Ask an admin to invite them first.', 'unknown_user', { field: 'email' });
      const inserted = await db.insert(memberships).values({ workspaceId, userId: user.id, role }).onConflictDoNothing().returning();
      if (inserted.length === 0) throw conflict('That person is already a member of this workspace.', undefined, 'already_member');
      return { userId: user.id, email: user.email, name: user.name, role };
    },

    async changeRole(workspaceId: string, userId: string, role: WorkspaceRole) {
      return db.transaction(async (tx) => {
        const current = await lockMember(tx as unknown as Database, workspaceId, userId);
        if (current.role === 'owner' && role !== 'owner') await ensureAnotherOwner(tx as unknown as Database, workspaceId, userId);
        await tx.update(memberships).set({ role }).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
        return { userId, role, previousRole: current.role };
      });
    },

    async removeMember(workspaceId: string, userId: string) {
      return db.transaction(async (tx) => {
        const current = await lockMember(tx as unknown as Database, workspaceId, userId);
        if (current.role === 'owner') await ensureAnotherOwner(tx as unknown as Database, workspaceId, userId);
        await tx.delete(memberships).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
        return { userId, previousRole: current.role };
      });
    },
  };
}

async function lockMember(db: Database, workspaceId: string, userId: string) {
  // Lock every owner row of the workspace too, so concurrent demotions serialise.
  const rows = await db
    .select({ userId: memberships.userId, role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.workspaceId, workspaceId), or(eq(memberships.userId, userId), eq(memberships.role, 'owner'))))
    .for('update');
  const member = rows.find((r) => r.userId === userId);
  if (!member) throw notFound('member');
  return member;
}

async function ensureAnotherOwner(db: Database, workspaceId: string, leavingOwnerId: string) {
  const [row] = await db
    .select({ n: count() })
    .from(memberships)
    .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, 'owner'), sql`${memberships.userId} <> ${leavingOwnerId}`));
  if ((row?.n ?? 0) === 0) {
    throw conflict('A workspace needs at least one owner: make someone else owner first.', undefined, 'last_owner');
  }
}

export type WorkspaceService = ReturnType<typeof createWorkspaceService>;
