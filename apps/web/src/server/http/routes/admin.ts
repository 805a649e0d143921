/** Administration: users (role, ban), invitations, and the audit log. Admin role only. */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { stream } from 'hono/streaming';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import { IdempotencyHeaders, idempotent } from '../idempotent.js';
import { requireUser } from '../middleware/session.js';
import { cursorEmail, decodeCursor, PageQuery, pageOf } from '../pagination.js';
import { cursorInstant, cursorSerial, email, isoDateTimeFilter, text } from '../schemas.js';
import { authorizeWorkspace } from '../../services/authorization.js';
import type { Services } from '../../services/index.js';
import type { AuditEvent } from '../../services/audit.js';
import { actorOf, meta } from './workspaces.js';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('user')?.role !== 'admin') throw forbidden('This needs the admin role.', 'admin_only');
  await next();
});

const AdminUser = z
  .object({ id: z.string(), email: z.string(), name: z.string(), role: z.string(), banned: z.boolean(), createdAt: z.string() })
  .openapi('AdminUser');
const AuditEventSchema = z
  .object({
    id: z.number(),
    at: z.string(),
    actorId: z.string().nullable(),
    actorEmail: z.string().nullable(),
    action: z.string(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    targetName: z.string().nullable().optional().openapi({ description: "The target's name today (workspace name, user e-mail, document title …), if it still exists" }),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    outcome: z.enum(['success', 'failure']),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('AuditEvent');
const AuditQuery = z.object({
  action: text().max(100).optional(),
  actorId: text().max(100).optional(),
  actorEmail: text().max(254).optional().openapi({ description: 'The e-mail address recorded with the event (any case)' }),
  since: isoDateTimeFilter(),
  until: isoDateTimeFilter(),
});
const Role = z.enum(['owner', 'editor', 'viewer']);
const NewInvitationBody = z
  .object({
    email: email().optional().openapi({ description: 'The only address that may sign up with the link.' }),
    anyone: z.boolean().optional().openapi({ description: 'true instead of `email`: anyone with the link may use it.' }),
    workspaceId: z.uuid().optional().openapi({ description: 'A workspace (you own) the new account joins.' }),
    role: Role.optional().openapi({ description: 'Its role there (default viewer).' }),
    expiresInHours: z.number().int().min(1).max(24 * 30).default(72),
  })
  // An invitation for anyone is a choice, never what a missing e-mail address quietly means.
  .refine((b) => (b.email !== undefined) !== (b.anyone === true), { message: 'give an e-mail address, or anyone: true (not both)', path: ['email'] })
  .refine((b) => b.role === undefined || b.workspaceId !== undefined, { message: 'a role needs a workspaceId', path: ['role'] });
const InvitationSchema = z
  .object({
    id: z.string(),
    email: z.string().nullable(),
    expiresAt: z.string(),
    usedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    status: z.enum(['open', 'used', 'expired', 'revoked']),
    workspaceId: z.string().nullable(),
    workspaceName: z.string().nullable(),
    role: Role.nullable(),
  })
  .openapi('Invitation');
const AuditCursor = z.object({ at: cursorInstant(), id: cursorSerial() });

const presentEvent = (e: AuditEvent) => ({ ...e, at: e.at.toISOString() });

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>, services: Services) {
  const { users, audit, invitations } = services;
  app.use('/api/admin/*', requireUser, requireAdmin);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/admin/users',
      tags: ['admin'],
      request: { query: PageQuery },
      responses: { 200: { description: 'Accounts', content: json(z.object({ items: z.array(AdminUser), nextCursor: z.string().nullable() })) } },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, cursorEmail);
      const rows = await users.list({ limit: limit + 1, after: after?.email });
      const page = pageOf(rows, limit, (u) => ({ email: u.email }));
      return c.json({ items: page.items.map((u) => ({ ...u, createdAt: u.createdAt.toISOString() })), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/api/admin/users/{id}',
      tags: ['admin'],
      request: {
        params: z.object({ id: text().min(1).max(100).openapi({ param: { name: 'id', in: 'path' } }) }),
        body: {
          content: json(z.object({ role: z.enum(['admin', 'member']).optional(), banned: z.boolean().optional() }).refine((b) => b.role !== undefined || b.banned !== undefined, 'set role or banned')),
          required: true,
        },
      },
      responses: { 200: { description: 'Updated', content: json(AdminUser) } },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const change = c.req.valid('json');
      const { before, after } = await users.update(c.get('user')!.id, id, change);
      if (change.role !== undefined && change.role !== before.role) {
        await audit.record({ action: 'user.role_changed', outcome: 'success', actor: actorOf(c), targetType: 'user', targetId: id, details: { from: before.role, to: change.role } }, meta(c));
      }
      if (change.banned !== undefined && change.banned !== before.banned) {
        await audit.record({ action: change.banned ? 'user.banned' : 'user.unbanned', outcome: 'success', actor: actorOf(c), targetType: 'user', targetId: id }, meta(c));
      }
      return c.json({ id: after.id, email: after.email, name: after.name, role: after.role, banned: after.banned, createdAt: after.createdAt.toISOString() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/admin/invitations',
      tags: ['admin'],
      request: { headers: IdempotencyHeaders, body: { content: json(NewInvitationBody), required: true } },
      responses: {
        201: {
          description: 'A single-use sign-up link (shown once, and to a repeat with the same Idempotency-Key)',
          content: json(
            z.object({ id: z.string(), email: z.string().nullable(), expiresAt: z.string(), url: z.string(), token: z.string(), workspaceId: z.string().nullable(), role: Role.nullable() }),
          ),
        },
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const result = await idempotent(c, services.idempotency, input, async () => {
        // Joining a workspace through a link is adding a member: only an owner of it may do that.
        if (input.workspaceId) await authorizeWorkspace(services.db, c.get('user')!.id, input.workspaceId, 'owner');
        const created = await invitations.create(c.get('user')!.id, { ...input, email: input.anyone ? undefined : input.email });
        await audit.record(
          {
            action: 'invitation.created',
            outcome: 'success',
            actor: actorOf(c),
            targetType: 'invitation',
            targetId: created.id,
            details: { anyone: created.email === null, ...(created.workspaceId ? { workspaceId: created.workspaceId, role: created.role } : {}) },
          },
          meta(c),
        );
        return { status: 201, body: { ...created, expiresAt: created.expiresAt.toISOString() } };
      });
      return c.json(result.body, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/admin/invitations',
      tags: ['admin'],
      responses: { 200: { description: 'Recent invitations', content: json(z.object({ items: z.array(InvitationSchema), nextCursor: z.null() })) } },
    }),
    async (c) => {
      const rows = await invitations.list();
      return c.json(
        {
          items: rows.map((r) => ({
            id: r.id,
            email: r.email,
            expiresAt: r.expiresAt.toISOString(),
            usedAt: r.usedAt?.toISOString() ?? null,
            revokedAt: r.revokedAt?.toISOString() ?? null,
            status: r.status,
            workspaceId: r.workspaceId,
            workspaceName: r.workspaceName,
            role: r.role,
          })),
          nextCursor: null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/admin/invitations/{id}',
      tags: ['admin'],
      request: { params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: { 204: { description: 'Revoked: the link no longer works' } },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      if (!(await invitations.revoke(id))) throw notFound('open invitation');
      await audit.record({ action: 'invitation.revoked', outcome: 'success', actor: actorOf(c), targetType: 'invitation', targetId: id }, meta(c));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/admin/audit',
      tags: ['admin'],
      request: { query: PageQuery.extend(AuditQuery.shape) },
      responses: { 200: { description: 'Audit events, newest first', content: json(z.object({ items: z.array(AuditEventSchema), nextCursor: z.string().nullable() })) } },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const after = decodeCursor(q.cursor, AuditCursor);
      const rows = await audit.list(filterOf(q), { limit: q.limit + 1, after: after ? { at: new Date(after.at), id: after.id } : undefined });
      const page = pageOf(rows, q.limit, (e) => ({ at: e.at.toISOString(), id: e.id }));
      const names = await audit.targetNames(page.items);
      const items = page.items.map((e) => ({ ...presentEvent(e), targetName: names.get(`${e.targetType}:${e.targetId}`) ?? null }));
      return c.json({ items, nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/admin/audit/actions',
      tags: ['admin'],
      responses: { 200: { description: 'Every action the audit log holds (e.g. `user.sign_in`), sorted', content: json(z.object({ items: z.array(z.string()) })) } },
    }),
    async (c) => c.json({ items: await audit.actions() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/admin/audit/export',
      tags: ['admin'],
      request: { query: AuditQuery },
      responses: { 200: { description: 'JSON Lines, streamed', content: { 'application/x-ndjson': { schema: z.string() } } } },
    }),
    (c) => {
      const filter = filterOf(c.req.valid('query'));
      c.header('Content-Type', 'application/x-ndjson; charset=utf-8');
      c.header('Content-Disposition', `attachment; filename="quarry-audit-${new Date().toISOString().slice(0, 10)}.jsonl"`);
      return stream(c, async (out) => {
        let after: { at: Date; id: number } | undefined;
        // Pages of 500 keep memory flat however long the log is; the loop ends when a page comes back short.
        for (let pages = 0; pages < 100_000; pages++) {
          const rows = await audit.list(filter, { limit: 500, after });
          if (rows.length === 0) break;
          await out.write(rows.map((e) => JSON.stringify(presentEvent(e))).join('\n') + '\n');
          const last = rows[rows.length - 1]!;
          after = { at: last.at, id: last.id };
          if (rows.length < 500) break;
        }
      }) as never;
    },
  );
}

function filterOf(q: z.infer<typeof AuditQuery>) {
  if (q.since !== undefined && q.until !== undefined && Date.parse(q.since) > Date.parse(q.until)) {
    throw badRequest('until: must not be before since', 'invalid_request', { field: 'until' });
  }
  return { action: q.action, actorId: q.actorId, actorEmail: q.actorEmail, since: q.since ? new Date(q.since) : undefined, until: q.until ? new Date(q.until) : undefined };
}
