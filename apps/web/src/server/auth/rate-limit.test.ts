/**
 * The attempt limiter against a real database (PGlite; PostgreSQL too when
 * TEST_DATABASE_URL is set, where the pool spreads the calls over several
 * connections, i.e. several server processes).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, drivers, type TestDatabase } from '../../../../../test/support/databases.js';
import { createAttemptLimiter, type AttemptLimiter } from './rate-limit.js';

const rule = { max: 5, windowMs: 15 * 60_000 };

describe.each(drivers)('attempt limiter on %s', (driver) => {
  let database: TestDatabase;
  let limiter: AttemptLimiter;
  beforeAll(async () => {
    database = await openTestDatabase(driver);
    limiter = createAttemptLimiter(database.handle.db);
  });
  afterAll(() => database.dispose());

  it('grants exactly `max` of 100 parallel reservations, and says when to retry', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => limiter.reserve('k:parallel', rule)));
    expect(results.filter((r) => r.granted)).toHaveLength(5);
    expect(results.filter((r) => r.firstRefusal)).toHaveLength(1);
    expect(new Set(results.map((r) => r.attempts)).size).toBe(100);
    for (const r of results) {
      expect(r.retryAfterSeconds).toBeGreaterThan(0);
      expect(r.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    }
  });

  it('a released reservation can be used again; a reset forgets the failures', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => limiter.reserve('k:release', rule)));
    expect(held.every((r) => r.granted)).toBe(true);
    expect((await limiter.reserve('k:release', rule)).granted).toBe(false); // 6th: refused (attempts 6)
    await limiter.release(held[0]!);
    await limiter.release(held[1]!);
    expect((await limiter.reserve('k:release', rule)).granted).toBe(true); // back to 5 of 5
    await limiter.reset('k:release');
    expect((await limiter.reserve('k:release', rule)).granted).toBe(true);
  });

  it('a release never touches a later window', async () => {
    const old = await limiter.reserve('k:later', rule);
    await database.handle.db.execute(sql`update auth_limits set window_start = window_start - interval '1 hour' where key = 'k:later'`);
    const fresh = await limiter.reserve('k:later', rule);
    expect(fresh.attempts).toBe(1);
    await limiter.release(old); // the old window is gone: nothing happens
    expect((await limiter.reserve('k:later', rule)).attempts).toBe(2);
  });

  it("the previous window's count is claimed by exactly one of many parallel requests", async () => {
    await Promise.all(Array.from({ length: 25 }, () => limiter.reserve('k:summary', rule)));
    await database.handle.db.execute(sql`update auth_limits set window_start = window_start - interval '1 hour' where key = 'k:summary'`);
    const next = await Promise.all(Array.from({ length: 20 }, () => limiter.reserve('k:summary', rule)));
    const previous = next.find((r) => r.previous)?.previous;
    expect(previous?.attempts).toBe(25);
    const claims = await Promise.all(next.filter((r) => r.previous).map((r) => limiter.claimPrevious('k:summary', r.previous!.windowToken)));
    expect(claims.filter((c) => c !== undefined)).toEqual([25]);
    expect(next.filter((r) => r.granted)).toHaveLength(5);
  });

  it('prune removes windows closed long ago and hands back their counts', async () => {
    await Promise.all(Array.from({ length: 9 }, () => limiter.reserve('k:prune', rule)));
    await database.handle.db.execute(sql`update auth_limits set window_start = now() - interval '2 days' where key = 'k:prune'`);
    const expired = await limiter.prune();
    expect(expired).toContainEqual(expect.objectContaining({ key: 'k:prune', attempts: 9 }));
    expect((await limiter.reserve('k:prune', rule)).attempts).toBe(1);
  });
});
