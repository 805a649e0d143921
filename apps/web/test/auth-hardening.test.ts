/**
 * Issue 14, auth items: the first-run admin path, sign-in limits that hold
 * under parallel guessing, per-account vs per-IP lock-out, aggregated audit
 * rows for refusals, and better-auth's admin endpoints closed at the edge.
 * All over real HTTP on loopback.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, users } from '@quarry/db';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';
import { copyPgliteTemplate } from '../../../test/support/pglite-template.js';

const PASSWORD = 'correct horse battery staple';

async function signInRows(app: TestApp, email: string) {
  const rows = await app.runtime.services.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'user.sign_in'), eq(auditEvents.actorEmail, email)));
  return {
    rows,
    /** Attempts whose password better-auth actually checked (its 401s). */
    evaluated: rows.filter((r) => r.outcome === 'failure' && (r.details as { status?: number } | null)?.status === 401).length,
    rateLimited: rows.filter((r) => (r.details as { reason?: string } | null)?.reason === 'rate_limited'),
  };
}

function signInFrom(app: TestApp, email: string, password: string, ip?: string) {
  return new TestClient(app, ip ? { 'x-forwarded-for': ip } : {}).signIn(email, password);
}

async function adminCount(app: TestApp) {
  const rows = await app.runtime.services.db.select({ id: users.id }).from(users).where(eq(users.role, 'admin'));
  return rows.length;
}

describe('first-run admin (issue 14 #2)', () => {
  it('invite mode + ADMIN_EMAIL: a stranger signing up first is refused and no admin is made; ADMIN_EMAIL can sign up', async () => {
    const app = await startTestApp({ env: { SIGNUP_MODE: 'invite', ADMIN_EMAIL: 'owner@example.com' } });
    try {
      const stranger = await new TestClient(app).request('POST', '/api/auth/sign-up/email', { email: 'stranger@example.com', password: PASSWORD, name: 'Stranger' });
      expect(stranger.status).toBe(403);
      expect((await stranger.json()).error.code).toBe('invitation_required');
      expect(await app.runtime.services.users.count()).toBe(0);
      expect(await adminCount(app)).toBe(0);

      const owner = await new TestClient(app).signUp('owner@example.com');
      expect(owner.user.role).toBe('admin');
      expect(await adminCount(app)).toBe(1);
    } finally {
      await app.dispose();
    }
  });

  it('open mode + ADMIN_EMAIL: the first other account is a member, not an admin', async () => {
    const app = await startTestApp({ env: { SIGNUP_MODE: 'open', ADMIN_EMAIL: 'owner@example.com' } });
    try {
      const first = await new TestClient(app).signUp('early@example.com');
      expect(first.user.role).toBe('member');
      expect(await adminCount(app)).toBe(0);
    } finally {
      await app.dispose();
    }
  });

  // Production refuses to keep files on the root filesystem, so this app's DATA_DIR sits on a mounted tmpfs.
  const shm = existsSync('/dev/shm') && readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === '/dev/shm');
  if (!shm) console.info('[quarry tests] /dev/shm is not a mount here: the production first-run test is skipped.');
  it.skipIf(!shm)('production without ADMIN_EMAIL: sign-up cannot make the first admin; `quarry admin create` is named', async () => {
    const dataDir = mkdtempSync(path.join('/dev/shm', 'quarry-prod-'));
    await copyPgliteTemplate(dataDir);
    const app = await startTestApp({ reuse: { dataDir }, env: { NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(40) } });
    try {
      const res = await new TestClient(app).request('POST', '/api/auth/sign-up/email', { email: 'first@example.com', password: PASSWORD, name: 'First' });
      expect(res.status).toBe(403);
      const body = await res.json();
      expect(body.error.code).toBe('setup_required');
      expect(body.error.message).toContain('quarry admin create');
      expect(await app.runtime.services.users.count()).toBe(0);
    } finally {
      await app.dispose();
    }
  });

  it('development with no configuration: the first sign-up still becomes admin', async () => {
    const app = await startTestApp({ env: { NODE_ENV: 'development' } });
    try {
      expect((await new TestClient(app).signUp('dev@example.com')).user.role).toBe('admin');
      expect((await new TestClient(app).signUp('dev2@example.com')).user.role).toBe('member');
    } finally {
      await app.dispose();
    }
  });
});

describe('sign-in limits under parallel guessing (issue 14 #3, #11, #6)', () => {
  let app: TestApp;
  beforeAll(async () => {
    // The test client is the "proxy": its X-Forwarded-For is believed, so each request can come from its own IP.
    app = await startTestApp({ env: { SIGNUP_MODE: 'open', TRUSTED_PROXIES: '127.0.0.1' } });
  });
  afterAll(() => app.dispose());

  it('100 parallel wrong guesses from one IP: at most 5 passwords checked, the rest 429, and the right password is refused after', async () => {
    const email = 'target1@example.com';
    await new TestClient(app, { 'x-forwarded-for': '10.1.0.1' }).signUp(email);
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => signInFrom(app, email, `wrong guess ${i}`, '10.1.0.2')));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(95);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect((await signInRows(app, email)).evaluated).toBeLessThanOrEqual(5);

    const right = await signInFrom(app, email, PASSWORD, '10.1.0.3');
    expect(right.status).toBe(429);
  });

  it('parallel guesses from 40 IPs: at most 5 checked, and the right password as guess #31 is refused', async () => {
    const email = 'target2@example.com';
    await new TestClient(app, { 'x-forwarded-for': '10.2.0.1' }).signUp(email);
    const guesses = await Promise.all(Array.from({ length: 30 }, (_, i) => signInFrom(app, email, `wrong guess ${i}`, `10.2.1.${(i % 40) + 1}`)));
    expect(guesses.filter((r) => r.status === 401).length).toBeLessThanOrEqual(5);
    expect((await signInRows(app, email)).evaluated).toBeLessThanOrEqual(5);
    const guess31 = await signInFrom(app, email, PASSWORD, '10.2.1.31');
    expect(guess31.status).toBe(429);

    // And the whole burst at once, 100 guesses over 40 IPs: still at most 5 checked in total.
    const email2 = 'target3@example.com';
    await new TestClient(app, { 'x-forwarded-for': '10.3.0.1' }).signUp(email2);
    const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => signInFrom(app, email2, `wrong guess ${i}`, `10.3.1.${(i % 40) + 1}`)));
    expect(burst.filter((r) => r.status === 401).length).toBeLessThanOrEqual(5);
    expect((await signInRows(app, email2)).evaluated).toBeLessThanOrEqual(5);
    expect((await signInFrom(app, email2, PASSWORD, '10.3.1.7')).status).toBe(429);
  });

  it('a locked account does not lock out colleagues behind the same IP; the 429 says when to retry', async () => {
    const ip = '10.4.0.1';
    await new TestClient(app, { 'x-forwarded-for': ip }).signUp('typo@example.com');
    await new TestClient(app, { 'x-forwarded-for': ip }).signUp('colleague@example.com');
    for (let i = 0; i < 5; i++) expect((await signInFrom(app, 'typo@example.com', `typo ${i}`, ip)).status).toBe(401);
    const locked = await signInFrom(app, 'typo@example.com', PASSWORD, ip);
    expect(locked.status).toBe(429);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    const body = await locked.json();
    expect(body.error).toMatchObject({ code: 'rate_limited', retryAfterSeconds: retryAfter, retryAt: expect.any(String) });
    expect(body.error.message).toMatch(/minute/);

    const colleague = await signInFrom(app, 'colleague@example.com', PASSWORD, ip);
    expect(colleague.status).toBe(200);
    // Other accounts' typos from this address are still checked (the per-IP limit is much looser than 5).
    for (let i = 0; i < 6; i++) expect((await signInFrom(app, `nobody${i}@example.com`, 'whatever it is', ip)).status).toBe(401);
  });

  it('1,000 rate-limited sign-ins write a handful of audit rows, and the count is recorded', async () => {
    const email = 'flood@example.com';
    const ip = '10.5.0.1';
    await new TestClient(app, { 'x-forwarded-for': ip }).signUp(email);
    for (let i = 0; i < 5; i++) await signInFrom(app, email, `wrong ${i}`, ip);
    for (let batch = 0; batch < 20; batch++) {
      const res = await Promise.all(Array.from({ length: 50 }, () => signInFrom(app, email, 'still wrong', ip)));
      expect(res.every((r) => r.status === 429)).toBe(true);
    }
    const during = await signInRows(app, email);
    expect(during.rateLimited.length).toBeLessThanOrEqual(3);

    // The window rolls (moved back in the limiter's own table): one summary row carries the count.
    await app.runtime.services.db.execute(sql`update auth_limits set window_start = window_start - interval '1 hour' where key = ${`signin-account:${email}`}`);
    expect((await signInFrom(app, email, PASSWORD, ip)).status).toBe(200);
    const after = await signInRows(app, email);
    expect(after.rateLimited.length).toBeLessThanOrEqual(4);
    const summary = after.rateLimited.find((r) => (r.details as { refused?: number }).refused !== undefined);
    expect(summary?.details).toMatchObject({ refused: 1000 });
  });
});

describe("better-auth's admin endpoints (issue 14 #5)", () => {
  let app: TestApp;
  let adminClient: TestClient;
  let memberId: string;
  beforeAll(async () => {
    app = await startTestApp({ env: { SIGNUP_MODE: 'open', ADMIN_EMAIL: 'boss@example.com' } });
    adminClient = new TestClient(app);
    await adminClient.signUp('boss@example.com');
    memberId = (await new TestClient(app).signUp('member@example.com')).user.id;
  });
  afterAll(() => app.dispose());

  const endpoints: Array<[string, string, (id: string) => Record<string, unknown> | undefined]> = [
    ['POST', '/api/auth/admin/update-user', (id) => ({ userId: id, data: { role: 'admin' } })],
    ['POST', '/api/auth/admin/set-role', (id) => ({ userId: id, role: 'admin' })],
    ['POST', '/api/auth/admin/set-user-password', (id) => ({ userId: id, newPassword: 'a brand new password' })],
    ['POST', '/api/auth/admin/create-user', () => ({ email: 'made@example.com', password: 'a brand new password', name: 'Made', role: 'admin' })],
    ['POST', '/api/auth/admin/remove-user', (id) => ({ userId: id })],
    ['POST', '/api/auth/admin/impersonate-user', (id) => ({ userId: id })],
    ['POST', '/api/auth/admin/stop-impersonating', () => ({})],
    ['POST', '/api/auth/admin/ban-user', (id) => ({ userId: id })],
    ['POST', '/api/auth/admin/unban-user', (id) => ({ userId: id })],
    ['POST', '/api/auth/admin/revoke-user-session', () => ({ sessionToken: 'x' })],
    ['POST', '/api/auth/admin/revoke-user-sessions', (id) => ({ userId: id })],
    ['POST', '/api/auth/admin/list-user-sessions', (id) => ({ userId: id })],
    ['GET', '/api/auth/admin/list-users', () => undefined],
    ['GET', '/api/auth/admin/get-user?id=x', () => undefined],
    ['POST', '/api/auth/admin/has-permission', () => ({ permissions: { user: ['create'] } })],
  ];

  it.each(endpoints)('%s %s is refused, even for an admin, and changes nothing', async (method, path, body) => {
    const res = await adminClient.request(method, path, body(memberId));
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
    const [member] = await app.runtime.services.db.select().from(users).where(eq(users.id, memberId));
    expect(member).toMatchObject({ role: 'member', banned: false });
    expect(await app.runtime.services.users.count()).toBe(2);
    // The member's password still works.
    expect((await new TestClient(app).signIn('member@example.com')).status).toBe(200);
  });

  it('impersonation cannot be reached by any spelling of the path', async () => {
    for (const path of ['/api/auth/admin/impersonate-user', '/api/auth/admin//impersonate-user', '/api/auth//admin/impersonate-user', '/api/auth/Admin/impersonate-user', '/api/auth/admin/impersonate-user/']) {
      const res = await adminClient.request('POST', path, { userId: memberId });
      expect(res.status, path).not.toBe(200);
      expect(res.headers.getSetCookie().join(';'), path).not.toMatch(/session_token=[^;]+/);
    }
  });

  it("Quarry's own audited route still changes roles", async () => {
    await adminClient.json('PATCH', `/api/admin/users/${memberId}`, { role: 'admin' }, 200);
    const events = await app.runtime.services.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'user.role_changed'), eq(auditEvents.targetId, memberId)));
    expect(events).toHaveLength(1);
    await adminClient.json('PATCH', `/api/admin/users/${memberId}`, { role: 'member' }, 200);
  });
});
