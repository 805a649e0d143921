/**
 * The cheap per-request session check (auth/session-lookup.ts) gives the same answers better-auth
 * would: a valid cookie is the user, a forged or unknown one is nobody, a signed-out or banned user
 * is nobody on the next request, and a session due for its daily extension or past its expiry goes
 * through better-auth (extended, or removed).
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '@quarry/db';
import { readCookie } from '../src/server/auth/session-lookup.js';
import { drivers } from '../../../test/support/databases.js';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

const DAY = 24 * 60 * 60 * 1000;

describe('readCookie', () => {
  it('finds one cookie by exact name, decoded, quoted or not', () => {
    expect(readCookie('a=1; better-auth.session_token=abc%2Edef; b=2', 'better-auth.session_token')).toBe('abc.def');
    expect(readCookie('x-better-auth.session_token=no; better-auth.session_token="q"', 'better-auth.session_token')).toBe('q');
    expect(readCookie('a=1', 'better-auth.session_token')).toBeUndefined();
    expect(readCookie('better-auth.session_token=%E0%A4%A', 'better-auth.session_token')).toBe('%E0%A4%A');
  });
});

describe.each(drivers)('session lookup on %s', (driver) => {
  let app: TestApp;
  const adminEmail = 'ada@example.com';

  beforeAll(async () => {
    app = await startTestApp({ driver, env: { ADMIN_EMAIL: adminEmail, SIGNUP_MODE: 'open' } });
    await new TestClient(app).signUp(adminEmail);
  });
  afterAll(() => app.dispose());

  const me = (cookie: string) => fetch(`${app.url}/api/me`, { headers: { cookie } });
  const sessionCookie = (client: TestClient) => client.cookieHeader().split('; ').find((c) => c.startsWith('better-auth.session_token='))!;
  const tokenOf = (cookie: string) => decodeURIComponent(cookie.split('=').slice(1).join('=')).split('.')[0]!;

  it('a valid cookie is its user; a forged signature, an unknown token or no session cookie is nobody', async () => {
    const c = new TestClient(app);
    await c.signUp('lin@example.com');
    const cookie = sessionCookie(c);
    const ok = await me(`other=1; ${cookie}`);
    expect(ok.status).toBe(200);
    expect((await ok.json()).user).toMatchObject({ email: 'lin@example.com', role: 'member' });

    const [name, value] = [cookie.slice(0, cookie.indexOf('=')), decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))];
    const [token, signature] = [value.slice(0, value.lastIndexOf('.')), value.slice(value.lastIndexOf('.') + 1)];
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expect((await me(`${name}=${encodeURIComponent(`${token}.${flipped}`)}`)).status).toBe(401);
    expect((await me(`${name}=${encodeURIComponent(`someoneelse.${signature}`)}`)).status).toBe(401);
    expect((await me(`${name}=${token}`)).status).toBe(401);
    expect((await me('unrelated=1')).status).toBe(401);
  });

  it('sign-out and a ban take effect on the next request', async () => {
    const c = new TestClient(app);
    const { user } = await c.signUp('kim@example.com');
    const cookie = sessionCookie(c);
    expect((await me(cookie)).status).toBe(200);
    const admin = new TestClient(app);
    expect((await admin.signIn(adminEmail)).status).toBe(200);
    await admin.json('PATCH', `/api/admin/users/${user.id}`, { banned: true }, 200);
    expect((await me(cookie)).status).toBe(401);

    const d = new TestClient(app);
    await d.signUp('noor@example.com');
    const dCookie = sessionCookie(d);
    expect((await me(dCookie)).status).toBe(200);
    expect((await d.request('POST', '/api/auth/sign-out', {})).status).toBe(200);
    expect((await me(dCookie)).status).toBe(401);
  });

  it('a session due for its daily extension is extended by better-auth; an expired one is refused and removed', async () => {
    const db = app.runtime.services.db;
    const c = new TestClient(app);
    await c.signUp('ravi@example.com');
    const cookie = sessionCookie(c);
    const token = tokenOf(cookie);
    // Last extended two days ago: 5 of its 7 days left, past the 1-day update age.
    const stale = new Date(Date.now() + 5 * DAY);
    await db.update(sessions).set({ expiresAt: stale }).where(eq(sessions.token, token));
    expect((await me(cookie)).status).toBe(200);
    const [extended] = await db.select({ expiresAt: sessions.expiresAt }).from(sessions).where(eq(sessions.token, token));
    expect(extended!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6.9 * DAY);

    await db.update(sessions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(sessions.token, token));
    expect((await me(cookie)).status).toBe(401);
    expect(await db.select().from(sessions).where(eq(sessions.token, token))).toEqual([]);
  });

  it.runIf(driver === 'pglite')('the prepared statement on the embedded database comes back when it was lost (a reopened PGlite)', async () => {
    const db = app.runtime.services.db;
    const c = new TestClient(app);
    await c.signUp('ola@example.com');
    const cookie = sessionCookie(c);
    expect((await me(cookie)).status).toBe(200);
    await db.execute(sql.raw('DEALLOCATE quarry_session_lookup'));
    // 100 at once: they all meet the missing statement, one PREPARE serves them all.
    const answers = await Promise.all(Array.from({ length: 100 }, () => me(cookie)));
    expect(answers.map((r) => r.status)).toEqual(Array.from({ length: 100 }, () => 200));
    expect((await answers[99]!.json()).user).toMatchObject({ email: 'ola@example.com' });
    // And a forged cookie, 100 at once, is nobody every time.
    const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
    const forged = `${cookie.slice(0, cookie.indexOf('='))}=${encodeURIComponent(`${value.slice(0, value.lastIndexOf('.'))}.${'A'.repeat(43)}=`)}`;
    const refused = await Promise.all(Array.from({ length: 100 }, () => me(forged)));
    expect(refused.map((r) => r.status)).toEqual(Array.from({ length: 100 }, () => 401));
  });
});
