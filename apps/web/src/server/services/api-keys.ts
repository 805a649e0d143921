/**
 * API keys for scripts. The secret is shown once; only its SHA-256 is kept.
 * A key acts as the user who created it, with that user's workspaces.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { apiKeys, users, type Database } from '@quarry/db';
import { notFound } from '../http/errors.js';

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export function createApiKeyService(db: Database) {
  return {
    async create(userId: string, name: string) {
      const key = `qry_${randomBytes(32).toString('base64url')}`;
      const [row] = await db
        .insert(apiKeys)
        .values({ userId, name, prefix: key.slice(0, 10), keyHash: hashKey(key) })
        .returning({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt });
      return { ...row!, key };
    },

    async list(userId: string) {
      return db
        .select({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt, lastUsedAt: apiKeys.lastUsedAt })
        .from(apiKeys)
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

    /** The user a key acts as, or undefined for an unknown, revoked or banned key. */
    async resolve(key: string) {
      if (!key.startsWith('qry_') || key.length > 100) return undefined;
      const [row] = await db
        .select({ keyId: apiKeys.id, id: users.id, email: users.email, name: users.name, role: users.role, banned: users.banned })
        .from(apiKeys)
        .innerJoin(users, eq(users.id, apiKeys.userId))
        .where(and(eq(apiKeys.keyHash, hashKey(key)), isNull(apiKeys.revokedAt)));
      if (!row || row.banned) return undefined;
      // Best effort; a failed timestamp update must not fail the request.
      void db.update(apiKeys).set({ lastUsedAt: new Date() }).where(eq(apiKeys.id, row.keyId)).catch(() => {});
      return { id: row.id, email: row.email, name: row.name, role: row.role };
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
