/**
 * The audit log: who did what, to what, from where, and whether it worked.
 * Append-only (the database refuses UPDATE/DELETE); reads are for admins.
 */
import { and, desc, eq, gte, lt, lte, or, type SQL } from 'drizzle-orm';
import { auditEvents, type Database } from '@quarry/db';

export interface RequestMeta {
  ip?: string;
  userAgent?: string;
}

export interface Actor {
  id: string;
  email: string;
}

export interface AuditEntry {
  action: string;
  outcome: 'success' | 'failure';
  actor?: Actor | null;
  /** For failures where no account is known (e.g. a wrong e-mail at sign-in). */
  actorEmail?: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

export type AuditEvent = typeof auditEvents.$inferSelect;

export interface AuditFilter {
  action?: string;
  actorId?: string;
  since?: Date;
  until?: Date;
}

export function createAuditLog(db: Database) {
  return {
    async record(entry: AuditEntry, meta: RequestMeta = {}): Promise<void> {
      await db.insert(auditEvents).values({
        action: entry.action,
        outcome: entry.outcome,
        actorId: entry.actor?.id ?? null,
        actorEmail: entry.actor?.email ?? entry.actorEmail ?? null,
        targetType: entry.targetType ?? null,
        targetId: entry.targetId ?? null,
        ip: meta.ip ?? null,
        userAgent: meta.userAgent?.slice(0, 512) ?? null,
        details: entry.details ?? null,
      });
    },

    /** Newest first; the cursor is the last (at, id) seen. */
    async list(filter: AuditFilter, page: { limit: number; after?: { at: Date; id: number } }): Promise<AuditEvent[]> {
      const where = conditions(filter);
      if (page.after) {
        where.push(or(lt(auditEvents.at, page.after.at), and(eq(auditEvents.at, page.after.at), lt(auditEvents.id, page.after.id)))!);
      }
      return db
        .select()
        .from(auditEvents)
        .where(where.length ? and(...where) : undefined)
        .orderBy(desc(auditEvents.at), desc(auditEvents.id))
        .limit(page.limit);
    },
  };
}

function conditions(filter: AuditFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.action) where.push(eq(auditEvents.action, filter.action));
  if (filter.actorId) where.push(eq(auditEvents.actorId, filter.actorId));
  if (filter.since) where.push(gte(auditEvents.at, filter.since));
  if (filter.until) where.push(lte(auditEvents.at, filter.until));
  return where;
}

export type AuditLog = ReturnType<typeof createAuditLog>;
