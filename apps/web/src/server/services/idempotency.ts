/**
 * Idempotent creates: a request carrying an `Idempotency-Key` header is run
 * once per (user, key). The first request reserves the key with one atomic
 * insert and stores its response; every repeat — a double click, a retried
 * script, a hundred at once — waits for that response and gets it back
 * instead of creating a second workspace, key or invitation. The database
 * holds the reservation so this works across processes and replicas.
 *
 * A stored response may contain a secret that is shown once (an API key, an
 * invitation link): it is kept AES-256-GCM encrypted under a key derived from
 * the server secret, and rows older than a day are deleted.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import { idempotencyKeys, type Database } from '@quarry/db';
import { AppError } from '../http/errors.js';

export interface StoredResponse {
  status: number;
  body: unknown;
}

const KEEP_MS = 24 * 3600_000;
const PRUNE_EVERY_MS = 10 * 60_000;
/** How long a repeat waits for the first request to finish before giving up with 409. */
const WAIT_MS = 30_000;

export function createIdempotency(db: Database, secret: string) {
  const key = createHash('sha256').update(`quarry idempotency responses\0${secret}`).digest();
  const seal = (value: StoredResponse) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
  };
  const open = (sealed: string): StoredResponse => {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as StoredResponse;
  };
  let lastPrune = 0;

  return {
    /**
     * Runs `create` once for this user and key; repeats get the first
     * response (`replayed: true`). A key reused for a different request
     * (another path or body) is refused with 422. When `create` throws, the
     * reservation is dropped so the caller may retry with the same key.
     */
    async run(
      userId: string,
      idempotencyKey: string,
      fingerprint: string,
      create: () => Promise<StoredResponse>,
    ): Promise<StoredResponse & { replayed: boolean }> {
      if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = Date.now();
        await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, new Date(Date.now() - KEEP_MS)));
      }
      const where = and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, idempotencyKey));
      const deadline = Date.now() + WAIT_MS;
      for (let wait = 20; Date.now() < deadline; wait = Math.min(wait * 2, 250)) {
        const reserved = await db
          .insert(idempotencyKeys)
          .values({ userId, key: idempotencyKey, fingerprint })
          .onConflictDoNothing()
          .returning({ key: idempotencyKeys.key });
        if (reserved.length) {
          let response: StoredResponse;
          try {
            response = await create();
          } catch (error) {
            await db.delete(idempotencyKeys).where(where);
            throw error;
          }
          await db.update(idempotencyKeys).set({ status: response.status, response: seal(response) }).where(where);
          return { ...response, replayed: false };
        }
        const [row] = await db.select().from(idempotencyKeys).where(where);
        if (row && row.fingerprint !== fingerprint) {
          throw new AppError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used for a different request.');
        }
        if (row?.response) return { ...open(row.response), replayed: true };
        // Still running elsewhere (or it failed and let go of the key: the next insert takes it over).
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      throw new AppError(409, 'idempotency_in_progress', 'A request with this Idempotency-Key is still running. Try again shortly.');
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
