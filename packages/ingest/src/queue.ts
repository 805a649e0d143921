/**
 * The durable job queue: rows in `jobs`, claimed with `FOR UPDATE SKIP
 * LOCKED` (so several workers on PostgreSQL never take the same job), held by
 * a lease that the worker renews while it works. A crashed worker's lease
 * runs out and the job is claimed again; each claim counts an attempt, and a
 * job that keeps dying is failed after `max_attempts`. Same SQL on PGlite.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { jobs, queryRows, type Database } from '@quarry/db';

/** `ingest`: extract, split, store passages (keyword-searchable); `embed`: a document's vectors; `reembed`: a new space. */
export type JobKind = 'ingest' | 'embed' | 'reembed';

export interface Job {
  id: string;
  kind: JobKind;
  payload: Record<string, unknown>;
  documentId: string | null;
  attempts: number;
  maxAttempts: number;
}

export interface EnqueueInput {
  kind: JobKind;
  payload: Record<string, unknown>;
  documentId?: string;
  maxAttempts?: number;
  delayMs?: number;
}

/** Exponential back-off with ±20% jitter: base · 2^(attempt−1), capped. */
export function backoffMs(attempt: number, baseMs: number, capMs = 10 * 60_000): number {
  const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}

type Executor = Pick<Database, 'insert' | 'execute'>;

export function createJobQueue(db: Database, options: { defaultMaxAttempts: number }) {
  let countsCache: { at: number; value: { pending: number; running: number; failed: number } } | undefined;

  return {
    async enqueue(input: EnqueueInput, executor: Executor = db): Promise<string> {
      const [row] = await executor
        .insert(jobs)
        .values({
          kind: input.kind,
          payload: input.payload,
          documentId: input.documentId ?? null,
          maxAttempts: input.maxAttempts ?? options.defaultMaxAttempts,
          runAt: input.delayMs ? sql`now() + ${`${Math.round(input.delayMs)} milliseconds`}::interval` : sql`now()`,
        })
        .returning({ id: jobs.id });
      return row!.id;
    },

    /** Claims up to `limit` due jobs (queued and due, or running with an expired lease). */
    async claim(limit: number, leaseMs: number): Promise<Job[]> {
      const rows = await queryRows<{
        id: string;
        kind: JobKind;
        payload: Record<string, unknown>;
        document_id: string | null;
        attempts: number;
        max_attempts: number;
      }>(
        db,
        sql`UPDATE jobs SET status = 'running', attempts = attempts + 1,
              lease_until = now() + ${`${Math.round(leaseMs)} milliseconds`}::interval, updated_at = now()
            WHERE id IN (
              SELECT id FROM jobs
              WHERE (status = 'queued' AND run_at <= now()) OR (status = 'running' AND lease_until < now())
              -- Keyword-first: a due document is made searchable before vectors are filled in behind others.
              ORDER BY (kind = 'ingest') DESC, run_at, created_at
              LIMIT ${limit}
              FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, payload, document_id, attempts, max_attempts`,
      );
      return rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as Record<string, unknown>) : r.payload,
        documentId: r.document_id,
        attempts: Number(r.attempts),
        maxAttempts: Number(r.max_attempts),
      }));
    },

    async renew(id: string, leaseMs: number): Promise<boolean> {
      const rows = await db
        .update(jobs)
        .set({ leaseUntil: sql`now() + ${`${Math.round(leaseMs)} milliseconds`}::interval`, updatedAt: sql`now()` })
        .where(and(eq(jobs.id, id), eq(jobs.status, 'running')))
        .returning({ id: jobs.id });
      return rows.length > 0;
    },

    /** Done jobs are deleted: the document row holds the outcome. */
    async complete(id: string): Promise<void> {
      await db.delete(jobs).where(eq(jobs.id, id));
    },

    async retry(id: string, error: string, delayMs: number): Promise<void> {
      await db
        .update(jobs)
        .set({
          status: 'queued',
          lastError: error.slice(0, 1000),
          leaseUntil: null,
          runAt: sql`now() + ${`${Math.round(delayMs)} milliseconds`}::interval`,
          updatedAt: sql`now()`,
        })
        .where(eq(jobs.id, id));
    },

    /** Gives a job back without counting the attempt (graceful shutdown). */
    async release(id: string): Promise<void> {
      await db
        .update(jobs)
        .set({ status: 'queued', leaseUntil: null, attempts: sql`greatest(${jobs.attempts} - 1, 0)`, runAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(jobs.id, id), eq(jobs.status, 'running')));
    },

    /** A continuation: run again soon, attempts reset (long jobs done in slices). */
    async continueLater(id: string): Promise<void> {
      await db
        .update(jobs)
        .set({ status: 'queued', leaseUntil: null, attempts: 0, runAt: sql`now()`, updatedAt: sql`now()` })
        .where(eq(jobs.id, id));
    },

    async fail(id: string, error: string): Promise<void> {
      await db
        .update(jobs)
        .set({ status: 'failed', lastError: error.slice(0, 1000), leaseUntil: null, updatedAt: sql`now()` })
        .where(eq(jobs.id, id));
    },

    /**
     * Running jobs whose worker is certainly gone (embedded PGlite: only this
     * process can open the database) are due again at once.
     */
    async recoverAbandoned(): Promise<number> {
      const rows = await db
        .update(jobs)
        .set({ leaseUntil: sql`now() - interval '1 second'` })
        .where(eq(jobs.status, 'running'))
        .returning({ id: jobs.id });
      return rows.length;
    },

    async hasPending(kind: JobKind, match: (payload: Record<string, unknown>) => boolean): Promise<boolean> {
      const rows = await db
        .select({ payload: jobs.payload })
        .from(jobs)
        .where(and(eq(jobs.kind, kind), inArray(jobs.status, ['queued', 'running'])));
      return rows.some((r) => match(r.payload));
    },

    /** Queue depth for /api/health, cached for `ttlMs` so probes never count rows. */
    async counts(ttlMs = 5_000): Promise<{ pending: number; running: number; failed: number }> {
      if (countsCache && Date.now() - countsCache.at < ttlMs) return countsCache.value;
      const rows = await queryRows<{ status: string; n: number }>(
        db,
        sql`SELECT status, count(*)::int AS n FROM jobs WHERE status IN ('queued', 'running', 'failed') GROUP BY status`,
      );
      const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const value = { pending: (by.queued ?? 0) + (by.running ?? 0), running: by.running ?? 0, failed: by.failed ?? 0 };
      countsCache = { at: Date.now(), value };
      return value;
    },
  };
}

export type JobQueue = ReturnType<typeof createJobQueue>;
