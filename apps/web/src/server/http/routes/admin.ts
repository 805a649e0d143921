/** Administration: the system overview, users (create, role, ban, reset link, delete), invitations, and the audit log. Admin role only. */
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
const SpaceState = z
  .object({
    id: z.number(),
    provider: z.string(),
    model: z.string(),
    dimensions: z.number(),
    status: z.enum(['active', 'building']),
    vectors: z.number().openapi({ description: 'Passages with a vector in this space' }),
    passages: z.number().openapi({ description: 'All passages (a building space is done when vectors reaches this)' }),
    activatedAt: z.string().nullable(),
  })
  .openapi('EmbeddingSpaceState');
const SystemOverview = z
  .object({
    version: z.string(),
    uptimeSeconds: z.number(),
    node: z.string(),
    production: z.boolean(),
    publicUrl: z.string(),
    database: z.object({ driver: z.enum(['pglite', 'postgres']), sizeBytes: z.number(), serverVersion: z.string(), host: z.string().nullable().optional() }),
    storage: z.object({
      driver: z.enum(['fs', 's3']),
      ok: z.boolean(),
      error: z.string().optional(),
      bucket: z.string().optional(),
      endpointHost: z.string().nullable().optional(),
      disk: z.object({ freeBytes: z.number(), reserveBytes: z.number(), low: z.boolean() }).optional(),
    }),
    embedding: z.object({
      model: z
        .object({
          provider: z.string(),
          model: z.string(),
          dimensions: z.number(),
          runtime: z.enum(['onnxruntime-node', 'hashed', 'http']),
          state: z.enum(['idle', 'loading', 'ready', 'failed']).optional(),
          fallbackReason: z.string().optional(),
          error: z.string().optional(),
          restarts: z.number().optional(),
        })
        .nullable()
        .openapi({ description: 'What this process embeds passages with; fallbackReason when the default model cannot run here' }),
      endpointHost: z.string().nullable(),
      activeSpace: SpaceState.nullable().openapi({ description: 'The space search uses (null before the first document)' }),
      buildingSpace: SpaceState.nullable().openapi({ description: 'A model switch under way: re-embedding progress is vectors / passages' }),
    }),
    answers: z.object({ mode: z.enum(['generated', 'extractive']), model: z.string().nullable(), endpointHost: z.string().nullable() }),
    queue: z.object({ pending: z.number(), running: z.number(), failed: z.number(), oldestDueSeconds: z.number().nullable(), concurrency: z.number() }),
    content: z.object({ users: z.number(), admins: z.number(), workspaces: z.number(), documents: z.number(), failedDocuments: z.number() }),
    uploads: z.object({ maxMb: z.number() }),
    auth: z.object({
      signupMode: z.enum(['open', 'invite', 'closed']),
      passwordSignIn: z.boolean(),
      adminEmailSet: z.boolean(),
      oidc: z.object({ enabled: z.boolean(), displayName: z.string().nullable(), issuerHost: z.string().nullable() }),
      mail: z.literal('none').openapi({ description: 'Quarry sends no e-mail: reset and set-up links are shown to the admin' }),
    }),
  })
  .openapi('SystemOverview');
const UserParams = z.object({ id: text().min(1).max(100).openapi({ param: { name: 'id', in: 'path' } }) });
const ResetLinkSchema = z
  .object({
    url: z.string().openapi({ description: 'Shown once: the account owner opens it to choose a password (Quarry sends no e-mail)' }),
    expiresAt: z.string(),
  })
  .openapi('ResetLink');
const NewUserBody = z.object({
  email: email(),
  name: text().trim().min(1).max(120).optional().openapi({ description: 'Default: the part of the address before @' }),
  role: z.enum(['admin', 'member']).default('member'),
});
const SoleOwnedWorkspaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    otherMembers: z.number().openapi({ description: 'Members besides the account; they lose access if the workspace is deleted' }),
    documents: z.number(),
  })
  .openapi('SoleOwnedWorkspace');
const DeleteUserQuery = z
  .object({
    ownedWorkspaces: z
      .enum(['delete', 'transfer'])
      .optional()
      .openapi({ description: 'What happens to workspaces the account is the only owner of; without it such an account is refused with 409 listing them' }),
    transferTo: text().min(1).max(100).optional().openapi({ description: 'With ownedWorkspaces=transfer: the id of the account that becomes their owner' }),
  })
  .refine((q) => (q.ownedWorkspaces === 'transfer') === (q.transferTo !== undefined), { message: 'give transferTo together with ownedWorkspaces=transfer (and only then)', path: ['transferTo'] });
const presentUser = (u: { id: string; email: string; name: string; role: string; banned: boolean; createdAt: Date }) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  banned: u.banned,
  createdAt: u.createdAt.toISOString(),
});
const AuditCursor = z.object({ at: cursorInstant(), id: cursorSerial() });

const presentEvent = (e: AuditEvent) => ({ ...e, at: e.at.toISOString() });

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>, services: Services) {
  const { users, audit, invitations } = services;
  app.use('/api/admin/*', requireUser, requireAdmin);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/admin/system',
      tags: ['admin'],
      summary: 'Version, database, storage, embedding model and space, answers, queue and sign-in settings (no secrets)',
      responses: { 200: { description: 'The system at a glance', content: json(SystemOverview) } },
    }),
    async (c) => {
      c.header('Cache-Control', 'no-store');
      return c.json(await services.system.overview(), 200);
    },
  );

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
      method: 'post',
      path: '/api/admin/users',
      tags: ['admin'],
      summary: 'Create an account; its owner sets a password through the set-up link (shown once)',
      request: { headers: IdempotencyHeaders, body: { content: json(NewUserBody), required: true } },
      responses: {
        201: {
          description: 'The account, and its set-up link (shown once, and to a repeat with the same Idempotency-Key)',
          content: json(z.object({ user: AdminUser, setup: ResetLinkSchema })),
        },
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const result = await idempotent(c, services.idempotency, input, async () => {
        const { user, setup } = await services.userAdmin.create({ email: input.email, name: input.name ?? input.email.split('@')[0]!, role: input.role });
        await audit.record(
          { action: 'user.created', outcome: 'success', actor: actorOf(c), targetType: 'user', targetId: user.id, details: { email: user.email, role: user.role, setupLink: true } },
          meta(c),
        );
        return { status: 201, body: { user: presentUser(user), setup: { url: setup.url, expiresAt: setup.expiresAt.toISOString() } } };
      });
      return c.json(result.body, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/admin/users/{id}/reset-link',
      tags: ['admin'],
      summary: "A password-reset link for the account (shown to the admin: Quarry sends no e-mail); the account's earlier links stop working",
      request: { params: UserParams },
      responses: { 201: { description: 'The link, shown once', content: json(ResetLinkSchema) } },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const link = await services.userAdmin.resetLink(id);
      await audit.record({ action: 'user.reset_link_created', outcome: 'success', actor: actorOf(c), targetType: 'user', targetId: id }, meta(c));
      c.header('Cache-Control', 'no-store');
      return c.json({ url: link.url, expiresAt: link.expiresAt.toISOString() }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/admin/users/{id}/owned-workspaces',
      tags: ['admin'],
      summary: 'Workspaces the account is the only owner of (what deleting it must decide about)',
      request: { params: UserParams },
      responses: { 200: { description: 'Oldest first', content: json(z.object({ items: z.array(SoleOwnedWorkspaceSchema) })) } },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      await users.get(id);
      return c.json({ items: await services.userAdmin.soleOwned(id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/admin/users/{id}',
      tags: ['admin'],
      summary: 'Delete an account (not yourself, not the last admin); its sole-owned workspaces are deleted or transferred as chosen',
      description:
        'Without `ownedWorkspaces`, an account that is the only owner of a workspace is refused with 409 `sole_owned_workspaces`, whose `workspaces` lists them. Its sessions and API keys stop working at once.',
      request: { params: UserParams, query: DeleteUserQuery },
      responses: {
        200: {
          description: 'Deleted',
          content: json(
            z.object({
              id: z.string(),
              deletedWorkspaces: z.array(z.string()),
              transferredWorkspaces: z.array(z.string()),
              transferTo: z.object({ id: z.string(), email: z.string() }).nullable(),
            }),
          ),
        },
      },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const q = c.req.valid('query');
      const choice = q.ownedWorkspaces === 'delete' ? { action: 'delete' as const } : q.ownedWorkspaces === 'transfer' ? { action: 'transfer' as const, toUserId: q.transferTo! } : undefined;
      const outcome = await services.userAdmin.delete(c.get('user')!.id, id, choice);
      const actor = actorOf(c);
      for (const ws of outcome.deleted) {
        await audit.record({ action: 'workspace.deleted', outcome: 'success', actor, targetType: 'workspace', targetId: ws.id, details: { name: ws.name, reason: 'owner_deleted', userId: id } }, meta(c));
      }
      for (const ws of outcome.transferred) {
        await audit.record(
          { action: 'workspace.owner_transferred', outcome: 'success', actor, targetType: 'workspace', targetId: ws.id, details: { from: id, to: outcome.transferTo!.id, reason: 'owner_deleted' } },
          meta(c),
        );
      }
      await audit.record(
        {
          action: 'user.deleted',
          outcome: 'success',
          actor,
          targetType: 'user',
          targetId: id,
          details: {
            email: outcome.user.email,
            role: outcome.user.role,
            deletedWorkspaces: outcome.deleted.map((w) => w.id),
            transferredWorkspaces: outcome.transferred.map((w) => w.id),
            ...(outcome.transferTo ? { transferTo: outcome.transferTo.id } : {}),
          },
        },
        meta(c),
      );
      return c.json(
        { id, deletedWorkspaces: outcome.deleted.map((w) => w.id), transferredWorkspaces: outcome.transferred.map((w) => w.id), transferTo: outcome.transferTo ?? null },
        200,
      );
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
      return c.json(presentUser(after), 200);
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
