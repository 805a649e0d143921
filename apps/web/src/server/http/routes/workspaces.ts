/**
 * Workspaces and memberships. Each handler: parse → authorize (one function)
 * → call the service → audit → present.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../context.js';
import { AppError, forbidden, tooManyRequests } from '../errors.js';
import type { LimitRule } from '../../auth/rate-limit.js';
import { IdempotencyHeaders, idempotent } from '../idempotent.js';
import { requireUser } from '../middleware/session.js';
import { cursorEmail, decodeCursor, PageQuery, pageOf } from '../pagination.js';
import { email, text } from '../schemas.js';
import { authorizeWorkspace } from '../../services/authorization.js';
import type { Services } from '../../services/index.js';

const Role = z.enum(['owner', 'editor', 'viewer']);
const WsParams = z.object({ ws: z.string().openapi({ param: { name: 'ws', in: 'path' } }) });
const MemberParams = WsParams.extend({ userId: text().min(1).max(100).openapi({ param: { name: 'userId', in: 'path' } }) });
const Name = text().trim().min(1, 'must not be empty').max(120);

const Workspace = z.object({ id: z.string(), name: z.string(), role: Role, createdAt: z.string().optional(), memberCount: z.number().optional() }).openapi('Workspace');
const Member = z.object({ userId: z.string(), email: z.string(), name: z.string(), role: Role }).openapi('Member');
const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

/**
 * Adding a member by e-mail tells the owner whether an account uses that address (201 vs 400
 * `unknown_user`) — inherent in adding someone directly, and any user owns a workspace. What keeps
 * it from being a directory of accounts: each address that matches no account costs one of 10
 * attempts per hour per user (reserved before the lookup, given back when it matched), and once
 * they are spent every add answers 429, known address or not (docs/security.md §6b).
 */
export const MEMBER_LOOKUP_MISS_LIMIT: LimitRule = { max: 10, windowMs: 60 * 60_000 };

export const meta = (c: Context<AppEnv>) => ({ ip: c.get('clientIp'), userAgent: c.req.header('user-agent') });
export const actorOf = (c: Context<AppEnv>) => {
  const u = c.get('user')!;
  return { id: u.id, email: u.email };
};

export function registerWorkspaceRoutes(app: OpenAPIHono<AppEnv>, services: Services) {
  const { db, workspaces, audit, limiter } = services;
  app.use('/api/workspaces', requireUser);
  app.use('/api/workspaces/*', requireUser);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/workspaces',
      tags: ['workspaces'],
      request: { headers: IdempotencyHeaders, body: { content: json(z.object({ name: Name })), required: true } },
      responses: { 201: { description: 'Created; you are its owner (a repeat with the same Idempotency-Key returns the same workspace)', content: json(Workspace) } },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const created = await idempotent(c, services.idempotency, input, async () => {
        const ws = await workspaces.create(c.get('user')!.id, input.name);
        await audit.record({ action: 'workspace.created', outcome: 'success', actor: actorOf(c), targetType: 'workspace', targetId: ws.id }, meta(c));
        return { status: 201, body: { id: ws.id, name: ws.name, role: ws.role, createdAt: ws.createdAt.toISOString() } };
      });
      return c.json(created.body, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/workspaces',
      tags: ['workspaces'],
      responses: { 200: { description: 'Your workspaces', content: json(z.object({ items: z.array(Workspace), nextCursor: z.null() })) } },
    }),
    async (c) => {
      // A workspace-scoped API key sees its one workspace, as if it were the user's only one.
      const only = c.get('apiKeyScope')?.workspaceId;
      const rows = (await workspaces.listForUser(c.get('user')!.id)).filter((w) => !only || w.id === only);
      return c.json({ items: rows.map((w) => ({ ...w, createdAt: w.createdAt.toISOString() })), nextCursor: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/workspaces/{ws}',
      tags: ['workspaces'],
      request: { params: WsParams },
      responses: { 200: { description: 'The workspace', content: json(Workspace) } },
    }),
    async (c) => {
      const access = await authorizeWorkspace(db, c.get('user')!.id, c.req.valid('param').ws, 'viewer');
      const ws = await workspaces.get(access.workspaceId);
      return c.json({ id: ws.id, name: ws.name, role: access.role, createdAt: ws.createdAt.toISOString(), memberCount: ws.memberCount }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/api/workspaces/{ws}',
      tags: ['workspaces'],
      request: { params: WsParams, body: { content: json(z.object({ name: Name })), required: true } },
      responses: { 200: { description: 'Renamed', content: json(Workspace) } },
    }),
    async (c) => {
      const access = await authorizeWorkspace(db, c.get('user')!.id, c.req.valid('param').ws, 'owner');
      const ws = await workspaces.rename(access.workspaceId, c.req.valid('json').name);
      await audit.record({ action: 'workspace.renamed', outcome: 'success', actor: actorOf(c), targetType: 'workspace', targetId: ws.id }, meta(c));
      return c.json({ id: ws.id, name: ws.name, role: access.role, createdAt: ws.createdAt.toISOString() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/workspaces/{ws}',
      tags: ['workspaces'],
      request: { params: WsParams },
      responses: { 204: { description: 'Deleted with its documents, passages and files' } },
    }),
    async (c) => {
      const access = await authorizeWorkspace(db, c.get('user')!.id, c.req.valid('param').ws, 'owner');
      await workspaces.delete(access.workspaceId);
      await audit.record({ action: 'workspace.deleted', outcome: 'success', actor: actorOf(c), targetType: 'workspace', targetId: access.workspaceId }, meta(c));
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ members

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/workspaces/{ws}/members',
      tags: ['workspaces'],
      request: { params: WsParams, query: PageQuery },
      responses: { 200: { description: 'Members', content: json(z.object({ items: z.array(Member), nextCursor: z.string().nullable() })) } },
    }),
    async (c) => {
      const access = await authorizeWorkspace(db, c.get('user')!.id, c.req.valid('param').ws, 'viewer');
      const { limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, cursorEmail);
      const rows = await workspaces.listMembers(access.workspaceId, { limit: limit + 1, after });
      const page = pageOf(rows, limit, (last) => ({ email: last.email }));
      return c.json({ items: page.items.map(({ userId, email, name, role }) => ({ userId, email, name, role })), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/workspaces/{ws}/members',
      tags: ['workspaces'],
      request: { params: WsParams, body: { content: json(z.object({ email: email(), role: Role })), required: true } },
      responses: { 201: { description: 'Added', content: json(Member) } },
    }),
    async (c) => {
      const access = await authorizeWorkspace(db, c.get('user')!.id, c.req.valid('param').ws, 'owner');
      const { email, role } = c.req.valid('json');
      const me = c.get('user')!.id;
      const slot = await limiter.reserve(`member-lookup:${me}`, MEMBER_LOOKUP_MISS_LIMIT);
      if (!slot.granted) {
        if (slot.firstRefusal) {
          await audit.record(
            { action: 'workspace.member_added', outcome: 'failure', actor: actorOf(c), targetType: 'workspace', targetId: access.workspaceId, details: { reason: 'rate_limited', limit: 'member-lookup' } },
            meta(c),
          );
        }
        throw tooManyRequests(slot.retryAfterSeconds, `Too many addresses that match no account. Try again in ${Math.max(1, Math.ceil(slot.retryAfterSeconds / 60))} minutes.`);
      }
      let member;
      try {
        member = await workspaces.addMember(access.workspaceId, email, role);
      } catch (error) {
        // Only a miss keeps its reservation; anything else (already a member, a failure) gives it back.
        if (!(error instanceof AppError && error.code === 'unknown_user')) await limiter.release(slot);
        throw error;
      }
      await limiter.release(slot);
      await audit.record(
        { action: 'workspace.member_added', outcome: 'success', actor: actorOf(c), targetType: 'workspace', targetId: access.workspaceId, details: { userId: member.userId, role } },
        meta(c),
      );
      return c.json(member, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/api/workspaces/{ws}/members/{userId}',
      tags: ['workspaces'],
      request: { params: MemberParams, body: { content: json(z.object({ role: Role })), required: true } },
      responses: { 200: { description: 'Role changed', content: json(z.object({ userId: z.string(), role: Role })) } },
    }),
    async (c) => {
      const { ws, userId } = c.req.valid('param');
      const access = await authorizeWorkspace(db, c.get('user')!.id, ws, 'owner');
      const result = await workspaces.changeRole(access.workspaceId, userId, c.req.valid('json').role);
      await audit.record(
        {
          action: 'workspace.member_role_changed',
          outcome: 'success',
          actor: actorOf(c),
          targetType: 'workspace',
          targetId: access.workspaceId,
          details: { userId, from: result.previousRole, to: result.role },
        },
        meta(c),
      );
      return c.json({ userId, role: result.role }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/workspaces/{ws}/members/{userId}',
      tags: ['workspaces'],
      request: { params: MemberParams },
      responses: { 204: { description: 'Removed (owners remove anyone; members may leave)' } },
    }),
    async (c) => {
      const { ws, userId } = c.req.valid('param');
      const me = c.get('user')!.id;
      const access = await authorizeWorkspace(db, me, ws, 'viewer');
      if (userId !== me && access.role !== 'owner') throw forbidden('Only an owner can remove other members.', 'insufficient_role');
      const result = await workspaces.removeMember(access.workspaceId, userId);
      await audit.record(
        {
          action: 'workspace.member_removed',
          outcome: 'success',
          actor: actorOf(c),
          targetType: 'workspace',
          targetId: access.workspaceId,
          details: { userId, role: result.previousRole, left: userId === me },
        },
        meta(c),
      );
      return c.body(null, 204);
    },
  );
}
