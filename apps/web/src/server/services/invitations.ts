/**
 * Single-use, expiring sign-up invitations. An invitation only ever creates a
 * member account: roles are never carried by the link.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { invitations, type Database } from '@quarry/db';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function createInvitationService(db: Database, publicUrl: string) {
  return {
    async create(createdBy: string, options: { email?: string; expiresInHours: number }) {
      const token = randomBytes(24).toString('base64url');
      const [row] = await db
        .insert(invitations)
        .values({
          tokenHash: hashToken(token),
          email: options.email?.toLowerCase() ?? null,
          createdBy,
          expiresAt: new Date(Date.now() + options.expiresInHours * 3600_000),
        })
        .returning();
      return { id: row!.id, email: row!.email, expiresAt: row!.expiresAt, token, url: `${publicUrl}/signup?invite=${token}` };
    },

    async list() {
      return db
        .select({ id: invitations.id, email: invitations.email, expiresAt: invitations.expiresAt, usedAt: invitations.usedAt, createdAt: invitations.createdAt })
        .from(invitations)
        .orderBy(desc(invitations.createdAt))
        .limit(100);
    },

    /**
     * Claims an invitation atomically (so it cannot be used twice, even by two
     * requests at once). Returns its id, or undefined if invalid, used or expired.
     */
    async claim(token: string, email: string): Promise<string | undefined> {
      const [row] = await db
        .update(invitations)
        .set({ usedAt: new Date() })
        .where(and(eq(invitations.tokenHash, hashToken(token)), isNull(invitations.usedAt), gt(invitations.expiresAt, new Date())))
        .returning({ id: invitations.id, email: invitations.email });
      if (!row) return undefined;
      if (row.email && row.email !== email.toLowerCase()) {
        await this.release(row.id);
        return undefined;
      }
      return row.id;
    },

    /** Revokes an unused invitation by expiring it now (the row stays for the record). */
    async revoke(id: string): Promise<boolean> {
      const rows = await db
        .update(invitations)
        .set({ expiresAt: new Date() })
        .where(and(eq(invitations.id, id), isNull(invitations.usedAt), gt(invitations.expiresAt, new Date())))
        .returning({ id: invitations.id });
      return rows.length > 0;
    },

    /** Gives a claimed invitation back when the sign-up it was for failed. */
    async release(id: string) {
      await db.update(invitations).set({ usedAt: null }).where(eq(invitations.id, id));
    },

    async markUsedBy(id: string, userId: string) {
      await db.update(invitations).set({ usedBy: userId }).where(eq(invitations.id, id));
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
