/** Accounts, roles, rate limits, invitations, CSRF and the audit log — over real HTTP. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '@quarry/db';
import { drivers } from '../../../test/support/databases.js';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

describe.each(drivers)('accounts on %s', (driver) => {
  let app: TestApp;
  const admin = () => new TestClient(app);
  const adminEmail = 'ada@example.com';
  let adminClient: TestClient;

  beforeAll(async () => {
    app = await startTestApp({ driver, env: { ADMIN_EMAIL: adminEmail, SIGNUP_MODE: 'open' } });
    adminClient = admin();
    await adminClient.signUp(adminEmail);
  });
  afterAll(() => app.dispose());

  it('sign-up → sign-in → /api/me → sign-out', async () => {
    const c = new TestClient(app);
    const up = await c.signUp('grace@example.com');
    expect(up.user.role).toBe('member');
    const fresh = new TestClient(app);
    const res = await fresh.signIn('grace@example.com');
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().join(';')).toMatch(/better-auth\.session_token=.*HttpOnly/i);
    const me = await fresh.json('GET', '/api/me', undefined, 200);
    expect(me.user.email).toBe('grace@example.com');
    expect(me.workspaces).toEqual([expect.objectContaining({ name: 'Personal', role: 'owner' })]);
    expect((await fresh.request('POST', '/api/auth/sign-out', {})).status).toBe(200);
    expect((await fresh.request('GET', '/api/me')).status).toBe(401);
    expect((await new TestClient(app).request('GET', '/api/me')).status).toBe(401);
  });

  it('makes ADMIN_EMAIL an admin; members get 403 on /api/admin; a signed-up role field is ignored', async () => {
    expect((await adminClient.json('GET', '/api/me')).user.role).toBe('admin');
    const member = new TestClient(app);
    const up = await member.signUp('mallory@example.com', { role: 'admin' });
    expect(up.user.role).toBe('member');
    const res = await member.request('GET', '/api/admin/users');
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('admin_only');
    expect((await adminClient.request('GET', '/api/admin/users')).status).toBe(200);
  });

  it('a banned user cannot sign in and their sessions stop working', async () => {
    const victim = new TestClient(app);
    const { user } = await victim.signUp('banned@example.com');
    expect((await victim.request('GET', '/api/me')).status).toBe(200);
    await adminClient.json('PATCH', `/api/admin/users/${user.id}`, { banned: true }, 200);
    expect((await victim.request('GET', '/api/me')).status).toBe(401);
    const again = await new TestClient(app).signIn('banned@example.com');
    expect(again.status).toBe(403);
    const body = await again.json();
    expect(body.error).toMatchObject({ code: expect.stringMatching(/banned/), requestId: expect.any(String) });
  });

  it('refuses a cookie-authenticated write from a foreign origin', async () => {
    const res = await adminClient.request('POST', '/api/workspaces', { name: 'CSRF' }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('cross_site_request');
    const noOrigin = await fetch(`${app.url}/api/workspaces`, {
      method: 'POST',
      headers: { cookie: adminClient.cookieHeader(), 'content-type': 'application/json' },
      body: '{"name":"x"}',
    });
    expect(noOrigin.status).toBe(403);
  });

  it('API keys act as their user, are shown once, and stop working when revoked', async () => {
    const created = await adminClient.json('POST', '/api/account/api-keys', { name: 'script' }, 201);
    expect(created.key).toMatch(/^qry_/);
    const list = await adminClient.json('GET', '/api/account/api-keys', undefined, 200);
    expect(JSON.stringify(list)).not.toContain(created.key);
    const viaKey = await fetch(`${app.url}/api/me`, { headers: { 'x-api-key': created.key } });
    expect((await viaKey.json()).user.email).toBe(adminEmail);
    // API-key writes need no Origin (no ambient credentials).
    const ws = await fetch(`${app.url}/api/workspaces`, { method: 'POST', headers: { 'x-api-key': created.key, 'content-type': 'application/json' }, body: '{"name":"Scripted"}' });
    expect(ws.status).toBe(201);
    await adminClient.json('DELETE', `/api/account/api-keys/${created.id}`, undefined, 204);
    expect((await fetch(`${app.url}/api/me`, { headers: { 'x-api-key': created.key } })).status).toBe(401);
  });

  it('writes each audited event once with actor, ip and outcome, and the log cannot be rewritten', async () => {
    const c = new TestClient(app);
    const { user } = await c.signUp('audited@example.com');
    await new TestClient(app).signIn('audited@example.com', 'a wrong password');
    const { db } = app.runtime.services;
    const events = await db.select().from(auditEvents).where(sql`${auditEvents.actorEmail} = 'audited@example.com' or ${auditEvents.actorId} = ${user.id}`);
    const signUps = events.filter((e) => e.action === 'user.signed_up');
    expect(signUps).toHaveLength(1);
    expect(signUps[0]).toMatchObject({ actorId: user.id, outcome: 'success', ip: '127.0.0.1' });
    const failures = events.filter((e) => e.action === 'user.sign_in' && e.outcome === 'failure');
    expect(failures).toHaveLength(1);
    expect(events.filter((e) => e.action === 'workspace.created')).toHaveLength(1);

    await expect(db.execute(sql`update audit_events set action = 'forged'`)).rejects.toThrow();
    await expect(db.execute(sql`delete from audit_events`)).rejects.toThrow();

    const page = await adminClient.json('GET', '/api/admin/audit?action=user.signed_up&limit=2', undefined, 200);
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = await adminClient.json('GET', `/api/admin/audit?action=user.signed_up&limit=2&cursor=${page.nextCursor}`, undefined, 200);
    expect(next.items[0].id).toBeLessThan(page.items[1].id);
    const exported = await adminClient.request('GET', '/api/admin/audit/export?action=user.signed_up');
    const lines = (await exported.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.every((l) => l.action === 'user.signed_up')).toBe(true);
  });
});

describe('sign-in rate limit', () => {
  it('answers the 6th failure in the window with 429 + Retry-After, and still does after a restart', async () => {
    let app = await startTestApp();
    try {
      await new TestClient(app).signUp('victim@example.com');
      for (let i = 0; i < 5; i++) {
        const res = await new TestClient(app).signIn('victim@example.com', `wrong password ${i}`);
        expect(res.status).toBe(401);
      }
      const sixth = await new TestClient(app).signIn('victim@example.com', 'correct horse battery staple');
      expect(sixth.status).toBe(429);
      expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await sixth.json()).error.code).toBe('rate_limited');

      await app.stop();
      app = await startTestApp({ reuse: { dataDir: app.dataDir } });
      const afterRestart = await new TestClient(app).signIn('victim@example.com');
      expect(afterRestart.status).toBe(429);
    } finally {
      await app.dispose();
    }
  });
});

describe('invitations', () => {
  let app: TestApp;
  let adminClient: TestClient;
  beforeAll(async () => {
    app = await startTestApp({ env: { SIGNUP_MODE: 'invite' } });
    adminClient = new TestClient(app);
    await adminClient.signUp('first@example.com'); // first account on a fresh install becomes admin
  });
  afterAll(() => app.dispose());

  it('requires an invitation, which is single use and never grants admin', async () => {
    const refused = await new TestClient(app).request('POST', '/api/auth/sign-up/email', { email: 'x@example.com', password: 'long enough password', name: 'X' });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.code).toBe('invitation_required');

    const invite = await adminClient.json('POST', '/api/admin/invitations', { anyone: true }, 201);
    const joined = await new TestClient(app).signUp('invited@example.com', { inviteToken: invite.token, role: 'admin' });
    expect(joined.user.role).toBe('member');

    const reused = await new TestClient(app).request('POST', '/api/auth/sign-up/email', {
      email: 'second@example.com',
      password: 'long enough password',
      name: 'Second',
      inviteToken: invite.token,
    });
    expect(reused.status).toBe(403);
    expect((await reused.json()).error.code).toBe('invitation_invalid');
  });

  it('an admin can revoke an unused invitation', async () => {
    const invite = await adminClient.json('POST', '/api/admin/invitations', { anyone: true }, 201);
    await adminClient.json('DELETE', `/api/admin/invitations/${invite.id}`, undefined, 204);
    const res = await new TestClient(app).request('POST', '/api/auth/sign-up/email', {
      email: 'revoked@example.com',
      password: 'long enough password',
      name: 'Revoked',
      inviteToken: invite.token,
    });
    expect(res.status).toBe(403);
    expect((await adminClient.request('DELETE', `/api/admin/invitations/${invite.id}`)).status).toBe(404);
  });

  it('refuses an expired invitation', async () => {
    const invite = await adminClient.json('POST', '/api/admin/invitations', { anyone: true, expiresInHours: 1 }, 201);
    await app.runtime.services.db.execute(sql`update invitations set expires_at = now() - interval '1 minute' where id = ${invite.id}`);
    const res = await new TestClient(app).request('POST', '/api/auth/sign-up/email', {
      email: 'late@example.com',
      password: 'long enough password',
      name: 'Late',
      inviteToken: invite.token,
    });
    expect(res.status).toBe(403);
  });
});
