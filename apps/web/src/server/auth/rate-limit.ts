/**
 * Failed sign-ins counted per IP and per account in the database, so a limit
 * holds across restarts and across several `web` replicas.
 */
import { and, asc, count, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { authFailures, type Database } from '@quarry/db';

export interface LimitRule {
  max: number;
  windowMs: number;
}

export function createAttemptLimiter(db: Database) {
  return {
    /** Seconds until another attempt is allowed for any of the keys, or 0 when allowed now. */
    async retryAfter(keys: string[], rule: LimitRule): Promise<number> {
      const since = new Date(Date.now() - rule.windowMs);
      let wait = 0;
      for (const key of keys) {
        const [row] = await db
          .select({ n: count() })
          .from(authFailures)
          .where(and(eq(authFailures.key, key), gte(authFailures.at, since)));
        if ((row?.n ?? 0) < rule.max) continue;
        // Blocked until enough of the window's attempts age out.
        const oldest = await db
          .select({ at: authFailures.at })
          .from(authFailures)
          .where(and(eq(authFailures.key, key), gte(authFailures.at, since)))
          .orderBy(asc(authFailures.at))
          .limit(1)
          .offset(Math.max(0, (row?.n ?? 0) - rule.max));
        const until = (oldest[0]?.at.getTime() ?? Date.now()) + rule.windowMs;
        wait = Math.max(wait, Math.ceil((until - Date.now()) / 1000));
      }
      return Math.max(wait, 0);
    },

    async recordFailure(keys: string[]): Promise<void> {
      if (keys.length) await db.insert(authFailures).values(keys.map((key) => ({ key })));
    },

    async clear(keys: string[]): Promise<void> {
      if (keys.length) await db.delete(authFailures).where(inArray(authFailures.key, keys));
    },

    /** Housekeeping: forget attempts older than a day. */
    async prune(): Promise<void> {
      await db.delete(authFailures).where(lt(authFailures.at, sql`now() - interval '1 day'`));
    },
  };
}

export type AttemptLimiter = ReturnType<typeof createAttemptLimiter>;
