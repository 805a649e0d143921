/**
 * Attempt limits (sign-in per account and per IP, sign-up per IP) kept in the
 * database, so a limit holds across parallel requests, restarts and several
 * `web` replicas.
 *
 * An attempt is *reserved* before the password is checked, by one atomic
 * upsert that increments the key's counter and returns it: of N parallel
 * requests, exactly `max` see a count within the limit, whatever the timing,
 * on PGlite and PostgreSQL alike (the row lock of INSERT … ON CONFLICT DO
 * UPDATE serializes them). The caller then keeps the reservation (a failed
 * password), releases it (an attempt that checked nothing) or resets the key
 * (a successful sign-in).
 *
 * Windows are fixed: the first attempt opens one, attempts within it count,
 * and the first attempt after it closes starts the next. `attempts` counts
 * the refused attempts too, so the refusals of a window are `attempts - max`
 * — what the audit summary reports instead of a row per refusal.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '@quarry/db';

export interface LimitRule {
  max: number;
  windowMs: number;
}

export interface Reservation {
  key: string;
  rule: LimitRule;
  /** Within the limit: go ahead (and keep, release or reset afterwards). */
  granted: boolean;
  /** This attempt's number within the window, refused ones included. */
  attempts: number;
  /** The first refusal of the window (attempts = max + 1): the one worth an audit row. */
  firstRefusal: boolean;
  windowStart: Date;
  /** The window's exact start as the database wrote it (for release and claim). */
  windowToken: string;
  /** When the window closes, and seconds from now until then (≥ 1). */
  retryAt: Date;
  retryAfterSeconds: number;
  /** The window this attempt replaced, if it held refusals not yet summarized. */
  previous?: { windowStart: Date; windowToken: string; attempts: number };
}

export interface ExpiredWindow {
  key: string;
  windowStart: Date;
  attempts: number;
}

interface ReserveRow {
  attempts: number;
  window_start_ms: number;
  window_start_text: string;
  previous_window_start_ms: number | null;
  previous_window_start_text: string | null;
  previous_attempts: number;
  now_ms: number;
}

export function createAttemptLimiter(db: Database) {
  return {
    /** Counts one attempt for `key` atomically and says whether it is within the limit. */
    async reserve(key: string, rule: LimitRule): Promise<Reservation> {
      const windowSeconds = rule.windowMs / 1000;
      const expired = sql`l.window_start <= now() - make_interval(secs => ${windowSeconds}::float8)`;
      const [row] = await queryRows<ReserveRow>(
        db,
        sql`insert into auth_limits as l (key, window_start, attempts) values (${key}, now(), 1)
            on conflict (key) do update set
              window_start = case when ${expired} then now() else l.window_start end,
              attempts = case when ${expired} then 1 else l.attempts + 1 end,
              previous_window_start = case when ${expired} then l.window_start else l.previous_window_start end,
              previous_attempts = case when ${expired} then l.attempts else l.previous_attempts end
            returning attempts,
              (extract(epoch from window_start) * 1000)::float8 as window_start_ms,
              window_start::text as window_start_text,
              (extract(epoch from previous_window_start) * 1000)::float8 as previous_window_start_ms,
              previous_window_start::text as previous_window_start_text,
              previous_attempts,
              (extract(epoch from now()) * 1000)::float8 as now_ms`,
      );
      if (!row) throw new Error('attempt limiter: the reservation returned no row');
      const attempts = Number(row.attempts);
      const windowStartMs = Number(row.window_start_ms);
      const retryAtMs = windowStartMs + rule.windowMs;
      const previousAttempts = Number(row.previous_attempts);
      return {
        key,
        rule,
        granted: attempts <= rule.max,
        attempts,
        firstRefusal: attempts === rule.max + 1,
        windowStart: new Date(windowStartMs),
        windowToken: row.window_start_text,
        retryAt: new Date(retryAtMs),
        retryAfterSeconds: Math.max(1, Math.ceil((retryAtMs - Number(row.now_ms)) / 1000)),
        previous:
          row.previous_window_start_ms !== null && row.previous_window_start_text !== null && previousAttempts > 0
            ? { windowStart: new Date(Number(row.previous_window_start_ms)), windowToken: row.previous_window_start_text, attempts: previousAttempts }
            : undefined,
      };
    },

    /** Gives back a reservation that checked nothing (never touches a later window). */
    async release(reservation: Reservation): Promise<void> {
      await db.execute(
        sql`update auth_limits set attempts = attempts - 1
            where key = ${reservation.key} and attempts > 0
              and window_start = ${reservation.windowToken}::timestamptz`,
      );
    },

    /** A successful sign-in forgets the account's failures (a pending summary stays). */
    async reset(key: string): Promise<void> {
      await db.execute(sql`update auth_limits set attempts = 0 where key = ${key}`);
    },

    /**
     * Claims the previous window's count for its audit summary: of all the
     * requests that saw it, exactly one gets the number back.
     */
    async claimPrevious(key: string, windowToken: string): Promise<number | undefined> {
      const rows = await queryRows<{ attempts: number }>(
        db,
        sql`with old as (
              select key, previous_attempts from auth_limits
              where key = ${key} and previous_attempts > 0
                and previous_window_start = ${windowToken}::timestamptz
              for update
            )
            update auth_limits l set previous_attempts = 0 from old
            where l.key = old.key and l.previous_attempts > 0
            returning old.previous_attempts as attempts`,
      );
      return rows[0] ? Number(rows[0].attempts) : undefined;
    },

    /**
     * Housekeeping: deletes keys whose window closed more than `olderThanMs`
     * ago and returns what they held, so the caller can summarize refusals
     * that no later attempt reported.
     */
    async prune(olderThanMs = 24 * 3600_000): Promise<ExpiredWindow[]> {
      const rows = await queryRows<{ key: string; window_start_ms: number; attempts: number; previous_window_start_ms: number | null; previous_attempts: number }>(
        db,
        sql`delete from auth_limits where window_start < now() - make_interval(secs => ${olderThanMs / 1000}::float8)
            returning key, (extract(epoch from window_start) * 1000)::float8 as window_start_ms, attempts,
              (extract(epoch from previous_window_start) * 1000)::float8 as previous_window_start_ms, previous_attempts`,
      );
      const windows: ExpiredWindow[] = [];
      for (const r of rows) {
        windows.push({ key: r.key, windowStart: new Date(Number(r.window_start_ms)), attempts: Number(r.attempts) });
        if (r.previous_window_start_ms !== null && Number(r.previous_attempts) > 0) {
          windows.push({ key: r.key, windowStart: new Date(Number(r.previous_window_start_ms)), attempts: Number(r.previous_attempts) });
        }
      }
      return windows;
    },
  };
}

export type AttemptLimiter = ReturnType<typeof createAttemptLimiter>;
