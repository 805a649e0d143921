/**
 * Single-use, expiring sign-up invitations. An invitation is for one e-mail
 * address, or — only when the admin says so — for anyone with the link. It
 * may add the new account to one workspace with a role; it never carries a
 * site role (admin).
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { invitations, memberships, workspaces, type Database, type WorkspaceRole } from '@quarry/db';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export type InvitationStatus = 'open' | 'used' | 'expired' | 'revoked';

export interface NewInvitation {
  /** Lower-cased; undefined only for an "anyone with the link" invitation. */
  email?: string;
  workspaceId?: string;
  role?: WorkspaceRole;
  expiresInHours: number;
}

export interface ClaimedInvitation {
  id: string;
  workspaceId: string | null;
  role: WorkspaceRole | null;
}

function statusOf(row: { usedAt: Date | null; revokedAt: Date | null; expiresAt: Date }): InvitationStatus {
  if (row.usedAt) return 'used';
  if (row.revokedAt) return 'revoked';
  return row.expiresAt <= new Date() ? 'expired' : 'open';
}

export function createInvitationService(db: Database, publicUrl: string) {
  const usable = (tokenHash: string) =>
    and(eq(invitations.tokenHash, tokenHash), isNull(invitations.usedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, new Date()));

  return {
    async create(createdBy: string, options: NewInvitation) {
      const token = randomBytes(24).toString('base64url');
      const [row] = await db
        .insert(invitations)
        .values({
          tokenHash: hashToken(token),
          email: options.email?.toLowerCase() ?? null,
          createdBy,
          expiresAt: new Date(Date.now() + options.expiresInHours * 3600_000),
          workspaceId: options.workspaceId ?? null,
          workspaceRole: options.workspaceId ? (options.role ?? 'viewer') : null,
        })
        .returning();
      return {
        id: row!.id,
        email: row!.email,
        expiresAt: row!.expiresAt,
        workspaceId: row!.workspaceId,
        role: row!.workspaceRole,
        token,
        url: `${publicUrl}/signup?invite=${token}`,
      };
    },

    async list() {
      const rows = await db
        .select({
          id: invitations.id,
          email: invitations.email,
          expiresAt: invitations.expiresAt,
          usedAt: invitations.usedAt,
          revokedAt: invitations.revokedAt,
          createdAt: invitations.createdAt,
          workspaceId: invitations.workspaceId,
          workspaceName: workspaces.name,
          role: invitations.workspaceRole,
        })
        .from(invitations)
        .leftJoin(workspaces, eq(workspaces.id, invitations.workspaceId))
        .orderBy(desc(invitations.createdAt))
        .limit(100);
      return rows.map((r) => ({ ...r, status: statusOf(r) }));
    },

    /** What the accept page shows before sign-up, for a usable token only (else undefined). */
    async lookup(token: string) {
      const [row] = await db
        .select({
          email: invitations.email,
          expiresAt: invitations.expiresAt,
          workspaceId: invitations.workspaceId,
          workspaceName: workspaces.name,
          role: invitations.workspaceRole,
        })
        .from(invitations)
        .leftJoin(workspaces, eq(workspaces.id, invitations.workspaceId))
        .where(usable(hashToken(token)));
      return row;
    },

    /**
     * Claims an invitation atomically (so it cannot be used twice, even by two
     * requests at once), for this e-mail address only when it names one.
     * Returns undefined if invalid, used, revoked, expired or for another address.
     */
    async claim(token: string, email: string): Promise<ClaimedInvitation | undefined> {
      const [row] = await db
        .update(invitations)
        .set({ usedAt: new Date() })
        .where(usable(hashToken(token)))
        .returning({ id: invitations.id, email: invitations.email, workspaceId: invitations.workspaceId, role: invitations.workspaceRole });
      if (!row) return undefined;
      if (row.email && row.email !== email.toLowerCase()) {
        await this.release(row.id);
        return undefined;
      }
      return { id: row.id, workspaceId: row.workspaceId, role: row.role };
    },

    /** Revokes an open invitation: its link stops working; the row stays for the record. */
    async revoke(id: string): Promise<boolean> {
      const rows = await db
        .update(invitations)
        .set({ revokedAt: new Date() })
        .where(and(eq(invitations.id, id), isNull(invitations.usedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, new Date())))
        .returning({ id: invitations.id });
      return rows.length > 0;
    },

    /** Gives a claimed invitation back when the sign-up it was for failed. */
    async release(id: string) {
      await db.update(invitations).set({ usedAt: null }).where(eq(invitations.id, id));
    },

    /**
     * Records who used it and adds them to its workspace (if the workspace
     * still exists). Returns the workspace joined, if any.
     */
    async complete(claimed: ClaimedInvitation, userId: string): Promise<string | undefined> {
      await db.update(invitations).set({ usedBy: userId }).where(eq(invitations.id, claimed.id));
      if (!claimed.workspaceId || !claimed.role) return undefined;
      const [ws] = await db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, claimed.workspaceId));
      if (!ws) return undefined;
      await db.insert(memberships).values({ workspaceId: ws.id, userId, role: claimed.role }).onConflictDoNothing();
      return ws.id;
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
