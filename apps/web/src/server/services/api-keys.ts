/**
 * API keys for scripts. The secret is shown once; only its SHA-256 is kept.
 * A key acts as the user who created it, with that user's workspaces — or, when it was
 * created with a scope, with less: one workspace only (`workspaceId`), reads only (`readOnly`),
 * and until `expiresAt`. What a scope allows is decided in one place, `keyScopeAllows` below,
 * applied to every /api route by http/middleware/api-key-scope.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { apiKeys, memberships, users, workspaces, type Database } from '@quarry/db';
import { AppError, badRequest, notFound } from '../http/errors.js';

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** How far a key reaches. An unrestricted key (no workspace, not read-only) is its user. */
export interface KeyScope {
  keyId: string;
  workspaceId: string | null;
  readOnly: boolean;
}

export interface CreateKeyInput {
  name: string;
  workspaceId?: string | null;
  readOnly?: boolean;
  expiresAt?: Date | null;
}

export type ResolvedKey =
  | { ok: true; user: { id: string; email: string; name: string; role: string }; scope: KeyScope }
  | { ok: false; reason: 'invalid' | 'expired' };

/** The longest a key may live: a year; a key that should outlive that should be rotated. */
export const MAX_KEY_LIFETIME_MS = 366 * 24 * 60 * 60_000;

const listColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  workspaceId: apiKeys.workspaceId,
  readOnly: apiKeys.readOnly,
  expiresAt: apiKeys.expiresAt,
};

export function createApiKeyService(db: Database) {
  return {
    async create(userId: string, input: CreateKeyInput) {
      const workspaceId = input.workspaceId ?? null;
      if (input.expiresAt) {
        const ms = input.expiresAt.getTime() - Date.now();
        if (ms <= 0) throw badRequest('expiresAt: must be in the future.', 'invalid_request', { field: 'expiresAt' });
        if (ms > MAX_KEY_LIFETIME_MS) throw badRequest('expiresAt: at most a year from now.', 'invalid_request', { field: 'expiresAt' });
      }
      if (workspaceId) {
        // Any member may scope a key to their workspace (the key can never do more than they can);
        // a workspace they are not in is "not found", as everywhere else.
        const [m] = await db
          .select({ role: memberships.role })
          .from(memberships)
          .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
          .limit(1);
        if (!m) throw notFound('workspace');
      }
      const key = `qry_${randomBytes(32).toString('base64url')}`;
      const [row] = await db
        .insert(apiKeys)
        .values({ userId, name: input.name, prefix: key.slice(0, 10), keyHash: hashKey(key), workspaceId, readOnly: input.readOnly ?? false, expiresAt: input.expiresAt ?? null })
        .returning(listColumns);
      return { ...row!, workspaceName: await workspaceName(db, workspaceId), key };
    },

    /** Active keys, expired ones included (the list says so; revoking removes them). */
    async list(userId: string) {
      return db
        .select({ ...listColumns, workspaceName: workspaces.name })
        .from(apiKeys)
        .leftJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
        .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
        .orderBy(desc(apiKeys.createdAt));
    },

    async revoke(userId: string, id: string) {
      const rows = await db
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id, name: apiKeys.name });
      if (rows.length === 0) throw notFound('API key');
      return rows[0]!;
    },

    /**
     * The user a key acts as and how far it reaches. `expired` is told apart from `invalid` so a
     * script's operator sees why (an expired key was real once; saying so reveals nothing new).
     */
    async resolve(key: string): Promise<ResolvedKey> {
      if (!key.startsWith('qry_') || key.length > 100) return { ok: false, reason: 'invalid' };
      const [row] = await db
        .select({
          keyId: apiKeys.id,
          workspaceId: apiKeys.workspaceId,
          readOnly: apiKeys.readOnly,
          expiresAt: apiKeys.expiresAt,
          id: users.id,
          email: users.email,
          name: users.name,
          role: users.role,
          banned: users.banned,
        })
        .from(apiKeys)
        .innerJoin(users, eq(users.id, apiKeys.userId))
        .where(and(eq(apiKeys.keyHash, hashKey(key)), isNull(apiKeys.revokedAt)));
      if (!row || row.banned) return { ok: false, reason: 'invalid' };
      if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'expired' };
      // Best effort; a failed timestamp update must not fail the request.
      void db.update(apiKeys).set({ lastUsedAt: new Date() }).where(eq(apiKeys.id, row.keyId)).catch(() => {});
      return {
        ok: true,
        user: { id: row.id, email: row.email, name: row.name, role: row.role },
        scope: { keyId: row.keyId, workspaceId: row.workspaceId, readOnly: row.readOnly },
      };
    },
  };
}

async function workspaceName(db: Database, id: string | null) {
  if (!id) return null;
  const [w] = await db.select({ name: workspaces.name }).from(workspaces).where(eq(workspaces.id, id)).limit(1);
  return w?.name ?? null;
}

/**
 * POST routes that only read: a search with a body and a question answered from what the key may
 * already read. `ask` is a read by this rule: it changes no document, membership or setting — what
 * it produces (an answer) is derived from passages the key could fetch with GET anyway. A route that
 * stores something (a conversation's history, say) is not in this list and so refuses read-only keys.
 */
const READ_POSTS = [/^\/api\/workspaces\/[^/]+\/search$/, /^\/api\/workspaces\/[^/]+\/ask$/];

/** Paths a workspace-scoped key may use outside its workspace's own: who am I, which workspace, health. */
const SCOPED_OUTSIDE = new Set(['GET /api/me', 'GET /api/workspaces', 'GET /api/health', 'HEAD /api/health']);

/**
 * The one rule for restricted keys, on method and path so it holds for routes added later without
 * each one remembering: `undefined` to go on (workspace roles still apply), or the error to answer.
 * A key for workspace A asking for B gets B's "not found", exactly what a non-member gets.
 */
export function keyScopeAllows(scope: KeyScope, method: string, path: string): AppError | undefined {
  const m = method.toUpperCase();
  if (scope.workspaceId) {
    const inWorkspace = /^\/api\/workspaces\/([^/]+)(?:\/|$)/.exec(path);
    if (inWorkspace) {
      if (decodeURIComponent(inWorkspace[1]!).toLowerCase() !== scope.workspaceId.toLowerCase()) return notFound('workspace');
    } else if (!SCOPED_OUTSIDE.has(`${m} ${path}`)) {
      return new AppError(403, 'api_key_scope', 'This API key is limited to one workspace; use it under /api/workspaces/<its workspace>/ only.');
    }
  }
  if (scope.readOnly && m !== 'GET' && m !== 'HEAD' && !(m === 'POST' && READ_POSTS.some((r) => r.test(path)))) {
    return new AppError(403, 'api_key_read_only', 'This API key is read-only: it may read, search and ask, not change anything.');
  }
  return undefined;
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
