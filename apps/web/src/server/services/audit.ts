/**
 * The audit log: who did what, to what, from where, and whether it worked.
 * Append-only (the database refuses UPDATE/DELETE); reads are for admins.
 */
import { and, desc, eq, gte, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { apiKeys, auditEvents, documents, invitations, queryRows, users, workspaces, type Database } from '@quarry/db';

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
  /** Any case: matches the e-mail recorded with the event. */
  actorEmail?: string;
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

    /**
     * Every action the log holds, for the filter's list. One index probe per
     * distinct action (a loose index scan over audit_events_action_idx), so it
     * stays fast however many events there are.
     */
    async actions(): Promise<string[]> {
      const rows = await queryRows<{ action: string }>(
        db,
        sql`
        WITH RECURSIVE a AS (
          (SELECT action FROM audit_events ORDER BY action LIMIT 1)
          UNION ALL
          SELECT (SELECT e.action FROM audit_events e WHERE e.action > a.action ORDER BY e.action LIMIT 1) FROM a WHERE a.action IS NOT NULL
        )
        SELECT action FROM a WHERE action IS NOT NULL LIMIT 500`,
      );
      return rows.map((r) => r.action);
    },

    /** Today's name of each target (workspace name, user e-mail, document title …), keyed "type:id". */
    async targetNames(events: Pick<AuditEvent, 'targetType' | 'targetId'>[]): Promise<Map<string, string>> {
      const ids = (type: string) => [...new Set(events.filter((e) => e.targetType === type && e.targetId).map((e) => e.targetId!))];
      const uuids = (type: string) => ids(type).filter((id) => /^[0-9a-f-]{36}$/i.test(id));
      const names = new Map<string, string>();
      const put = (type: string, rows: { id: string; name: string | null }[]) => {
        for (const r of rows) if (r.name) names.set(`${type}:${r.id}`, r.name);
      };
      const [ws, us, docs, invs, keys] = [uuids('workspace'), ids('user'), uuids('document'), uuids('invitation'), uuids('api_key')];
      if (ws.length) put('workspace', await db.select({ id: workspaces.id, name: workspaces.name }).from(workspaces).where(inArray(workspaces.id, ws)));
      if (us.length) put('user', await db.select({ id: users.id, name: users.email }).from(users).where(inArray(users.id, us)));
      if (docs.length) put('document', await db.select({ id: documents.id, name: documents.title }).from(documents).where(inArray(documents.id, docs)));
      if (invs.length) {
        const rows = await db.select({ id: invitations.id, email: invitations.email }).from(invitations).where(inArray(invitations.id, invs));
        put('invitation', rows.map((r) => ({ id: r.id, name: r.email ?? 'anyone with the link' })));
      }
      if (keys.length) put('api_key', await db.select({ id: apiKeys.id, name: apiKeys.name }).from(apiKeys).where(inArray(apiKeys.id, keys)));
      return names;
    },
  };
}

function conditions(filter: AuditFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.action) where.push(eq(auditEvents.action, filter.action));
  if (filter.actorId) where.push(eq(auditEvents.actorId, filter.actorId));
  if (filter.actorEmail) where.push(sql`lower(${auditEvents.actorEmail}) = ${filter.actorEmail.toLowerCase()}`);
  if (filter.since) where.push(gte(auditEvents.at, filter.since));
  if (filter.until) where.push(lte(auditEvents.at, filter.until));
  return where;
}

export type AuditLog = ReturnType<typeof createAuditLog>;
