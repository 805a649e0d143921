/**
 * Per-request session resolution, in process (no HTTP): better-auth's `getSession` (what every
 * signed-in request ran before) against Quarry's lookup (auth/session-lookup.ts: key imported
 * once, one prepared session⋈user statement), and a bare `SELECT 1` for scale. PGlite, or
 * PostgreSQL with TEST_DATABASE_URL.
 *
 *   npx tsx bench/session.ts            (BENCH_SESSION_CALLS=500)
 */
import { sql } from 'drizzle-orm';
import { createSessionLookup } from '../apps/web/src/server/auth/session-lookup.js';
import { startTestApp, TestClient } from '../test/support/app.js';

const CALLS = Number(process.env.BENCH_SESSION_CALLS ?? 500);
const app = await startTestApp({ driver: process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite', env: { ADMIN_EMAIL: 'bench@example.com' } });
try {
  const client = new TestClient(app);
  await client.signUp('bench@example.com');
  const cookie = client.cookieHeader();
  const headers = new Headers({ cookie });
  const { auth, db } = app.runtime.services;
  const lookup = createSessionLookup(auth, db, app.runtime.services.config.database.kind);
  const time = async (name: string, fn: () => Promise<unknown>) => {
    for (let i = 0; i < 300; i++) await fn(); // warm: PGlite's WASM takes a few hundred calls to settle
    const started = performance.now();
    for (let i = 0; i < CALLS; i++) await fn();
    const ms = (performance.now() - started) / CALLS;
    console.log(`${name}: ${ms.toFixed(3)} ms per call`);
    return ms;
  };
  const before = await time('better-auth getSession', () => auth.api.getSession({ headers }));
  let after = await time('session lookup', () => lookup(cookie));
  if (app.runtime.database.kind === 'pglite') {
    // The same lookup through the driver's statement, planned on every call (what PGlite ran before
    // PREPARE), alternated with the prepared one so that neither gets the warmer engine.
    const planned = createSessionLookup(auth, db, 'postgres');
    let plannedMs = 0;
    after = 0;
    for (let round = 0; round < 3; round++) {
      plannedMs += (await time('session lookup, planned per call', () => planned(cookie))) / 3;
      after += (await time('session lookup, prepared', () => lookup(cookie))) / 3;
    }
    console.log(`prepared ${after.toFixed(3)} ms against planned ${plannedMs.toFixed(3)} ms: ${(after / plannedMs).toFixed(2)}×`);
  }
  await time('SELECT 1', () => db.execute(sql`select 1`));
  console.log(`→ ${(before / after).toFixed(1)}× cheaper (${app.runtime.database.kind})`);
} finally {
  await app.dispose();
}
process.exit(0);
