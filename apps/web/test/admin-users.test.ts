/**
 * Admin → System and user management over real HTTP: the system overview
 * (no secrets, re-embedding progress), creating an account with a set-up link,
 * reset links, deleting an account with its sole-owned workspaces deleted or
 * transferred (refused with 409 when no choice is given), never oneself, and
 * never the last admin — even when two admins delete each other at once.
 * Every endpoint answers 403 to a member, one at a time and 100 at once, and
 * changes nothing; every action is in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '@quarry/db';
import { drivers } from '../../../test/support/databases.js';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

const PASSWORD = 'correct horse battery staple';
const CHAT_KEY = 'sk-test-do-not-show-0123456789';
const fast = { ingest: { pollMs: 100, retryBaseMs: 20, leaseMs: 2_000 } };

function markdown(name: string, text: string) {
  const form = new FormData();
  form.append('file', new Blob([text], { type: 'text/markdown' }), name);
  return form;
}

async function uploadReady(client: TestClient, ws: string, name: string, text: string): Promise<string> {
  const res = await client.request('POST', `/api/workspaces/${ws}/documents`, markdown(name, text));
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(202);
  const until = Date.now() + 60_000;
  for (;;) {
    const doc = await client.json('GET', `/api/workspaces/${ws}/documents/${body.id}`, undefined, 200);
    if (doc.status === 'ready') return body.id;
    if (doc.status === 'failed') throw new Error(`${name} failed: ${doc.error}`);
    if (Date.now() > until) throw new Error(`${name} still ${doc.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

describe.each(drivers)('admin system and user management over HTTP on %s', (driver) => {
  let app: TestApp;
  let admin: TestClient;
  let member: TestClient;
  let memberId: string;
  let adminId: string;

  beforeAll(async () => {
    app = await startTestApp({
      driver,
      env: {
        ADMIN_EMAIL: 'ada@example.com',
        SIGNUP_MODE: 'open',
        CHAT_MODEL: 'tiny-chat',
        // Credentials in a URL and a key: the overview names the host only.
        CHAT_BASE_URL: 'http://chatuser:chatpass@127.0.0.1:9/v1',
        CHAT_API_KEY: CHAT_KEY,
      },
      runtime: fast,
    });
    admin = new TestClient(app);
    adminId = (await admin.signUp('ada@example.com')).user.id;
    member = new TestClient(app);
    memberId = (await member.signUp('mel@example.com')).user.id;
  }, 120_000);
  afterAll(() => app?.dispose());

  const auditOf = async (action: string) => (await admin.json('GET', `/api/admin/audit?action=${action}&limit=100`, undefined, 200)).items as Array<Record<string, any>>;

  describe('GET /api/admin/system', () => {
    it('says what is running, without secrets', async () => {
      const res = await admin.request('GET', '/api/admin/system');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const text = await res.text();
      const body = JSON.parse(text);
      const health = await (await fetch(`${app.url}/api/health`)).json();
      expect(body.version).toBe(health.version);
      expect(body.database).toMatchObject({ driver, serverVersion: expect.any(String) });
      expect(body.database.sizeBytes).toBeGreaterThan(1_000_000);
      expect(body.storage).toMatchObject({ driver: 'fs', ok: true });
      expect(body.embedding.model).toMatchObject({ provider: expect.any(String), model: expect.any(String), dimensions: expect.any(Number) });
      expect(body.answers).toEqual({ mode: 'generated', model: 'tiny-chat', endpointHost: '127.0.0.1:9' });
      expect(body.queue).toMatchObject({ pending: expect.any(Number), running: expect.any(Number), failed: expect.any(Number) });
      expect(body.uploads.maxMb).toBe(app.runtime.config.uploads.maxMb);
      expect(body.auth).toMatchObject({ signupMode: 'open', passwordSignIn: true, adminEmailSet: true, oidc: { enabled: false }, mail: 'none' });
      expect(body.content.users).toBeGreaterThanOrEqual(2);
      expect(body.content.admins).toBe(1);
      for (const secret of [CHAT_KEY, 'chatpass', 'chatuser', app.runtime.config.auth.secret ?? 'no-secret-configured']) expect(text).not.toContain(secret);
    });

    it('shows the active space and a model switch under way with its re-embedding progress', async () => {
      const [ws] = (await admin.json('GET', '/api/me', undefined, 200)).workspaces;
      await uploadReady(admin, ws.id, 'space.md', '# Spaces\n\nThe embedding space of this document.');
      const db = app.runtime.database.db;
      // A new model's space, as prepareEmbeddingSpace makes it when EMBEDDING_MODEL changes (no job: it stays at 0).
      const [space] = await queryRows<{ id: number }>(
        db,
        sql`INSERT INTO embedding_spaces (provider, model, dimensions, status) VALUES ('test', 'next-model', 8, 'building') RETURNING id`,
      );
      try {
        const body = await admin.json('GET', '/api/admin/system', undefined, 200);
        expect(body.embedding.activeSpace).toMatchObject({ status: 'active', passages: expect.any(Number) });
        expect(body.embedding.activeSpace.passages).toBeGreaterThan(0);
        expect(body.embedding.buildingSpace).toMatchObject({ id: Number(space!.id), model: 'next-model', status: 'building', vectors: 0 });
        expect(body.embedding.buildingSpace.passages).toBe(body.embedding.activeSpace.passages);
      } finally {
        await queryRows(db, sql`UPDATE embedding_spaces SET status = 'retired' WHERE id = ${space!.id}`);
      }
      expect((await admin.json('GET', '/api/admin/system', undefined, 200)).embedding.buildingSpace).toBeNull();
    });
  });

  describe('a member is refused every admin endpoint and changes nothing', () => {
    const endpoints = (target: string) => [
      { method: 'GET', path: '/api/admin/system' },
      { method: 'POST', path: '/api/admin/users', body: { email: 'sneaky@example.com' } },
      { method: 'POST', path: `/api/admin/users/${target}/reset-link` },
      { method: 'GET', path: `/api/admin/users/${target}/owned-workspaces` },
      { method: 'DELETE', path: `/api/admin/users/${target}?ownedWorkspaces=delete` },
    ];

    it('403 for each, one at a time; 401 without a session', async () => {
      for (const e of endpoints(adminId)) {
        const res = await member.request(e.method, e.path, e.body);
        expect(res.status, `${e.method} ${e.path}`).toBe(403);
        expect((await res.json()).error.code).toBe('admin_only');
        expect((await new TestClient(app).request(e.method, e.path, e.body)).status).toBe(401);
      }
    });

    it('403 for 100 requests at once (20 to each endpoint); the accounts are untouched', async () => {
      const before = (await admin.json('GET', '/api/admin/system', undefined, 200)).content.users;
      const all = endpoints(adminId);
      const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => all[i % all.length]!).map((e) => member.request(e.method, e.path, e.body)));
      expect(responses.map((r) => r.status)).toEqual(Array(100).fill(403));
      const after = await admin.json('GET', '/api/admin/system', undefined, 200);
      expect(after.content.users).toBe(before);
      expect((await admin.request('GET', '/api/me')).status).toBe(200);
      const users = (await admin.json('GET', '/api/admin/users', undefined, 200)).items as Array<{ email: string }>;
      expect(users.some((u) => u.email === 'sneaky@example.com')).toBe(false);
      expect((await auditOf('user.reset_link_created')).filter((e) => e.targetId === adminId)).toHaveLength(0);
    });
  });

  describe('creating an account', () => {
    it('makes an account without a password and a set-up link, shown once; the link sets the password', async () => {
      const created = await admin.json('POST', '/api/admin/users', { email: 'Nia@Example.com', name: 'Nia', role: 'member' }, 201);
      expect(created.user).toMatchObject({ email: 'nia@example.com', name: 'Nia', role: 'member', banned: false });
      expect(created.setup.url.startsWith(`${app.runtime.config.publicUrl}/reset-password?token=`)).toBe(true);
      expect(Date.parse(created.setup.expiresAt)).toBeGreaterThan(Date.now() + 60 * 60_000);

      const nia = new TestClient(app);
      // No password exists until Nia chooses one: nothing an admin could have known signs in.
      expect((await nia.signIn('nia@example.com', '')).status).toBeGreaterThanOrEqual(400);
      expect((await nia.signIn('nia@example.com', PASSWORD)).status).toBe(401);

      const token = tokenOf(created.setup.url);
      const set = await nia.request('POST', '/api/auth/reset-password', { token, newPassword: PASSWORD });
      expect(set.status).toBe(200);
      expect((await nia.signIn('nia@example.com')).status).toBe(200);
      const me = await nia.json('GET', '/api/me', undefined, 200);
      expect(me.user.email).toBe('nia@example.com');
      expect(me.workspaces.map((w: { name: string }) => w.name)).toEqual(['Personal']);
      // The link is spent.
      const again = await new TestClient(app).request('POST', '/api/auth/reset-password', { token, newPassword: 'another long password' });
      expect(again.status).toBe(400);

      expect((await auditOf('user.created')).find((e) => e.targetId === created.user.id)).toMatchObject({ actorId: adminId, outcome: 'success', details: { role: 'member' } });
      const resets = (await auditOf('user.password_reset')).filter((e) => e.targetId === created.user.id);
      expect(resets.map((e) => e.outcome).sort()).toEqual(['success']);
      expect((await auditOf('user.password_reset')).some((e) => e.outcome === 'failure')).toBe(true);
    });

    it('refuses an address in use (409), makes an admin when asked, and one account for a double click', async () => {
      const taken = await admin.request('POST', '/api/admin/users', { email: 'mel@example.com' });
      expect(taken.status).toBe(409);
      expect((await taken.json()).error.code).toBe('email_taken');
      expect((await admin.request('POST', '/api/admin/users', { email: 'not an address' })).status).toBe(400);

      const boss = await admin.json('POST', '/api/admin/users', { email: 'boss@example.com', role: 'admin' }, 201);
      expect(boss.user).toMatchObject({ role: 'admin', name: 'boss' });

      const twice = await Promise.all(
        [1, 2].map(() => admin.request('POST', '/api/admin/users', { email: 'twice@example.com' }, { 'idempotency-key': 'user-twice-0001' })),
      );
      expect(twice.map((r) => r.status)).toEqual([201, 201]);
      const [a, b] = await Promise.all(twice.map((r) => r.json()));
      expect(a.user.id).toBe(b.user.id);
      const users = (await admin.json('GET', '/api/admin/users?limit=100', undefined, 200)).items as Array<{ email: string }>;
      expect(users.filter((u) => u.email === 'twice@example.com')).toHaveLength(1);
    });
  });

  describe('reset links', () => {
    it('the newest link is the only one; using it changes the password and ends every session', async () => {
      const first = await admin.json('POST', `/api/admin/users/${memberId}/reset-link`, undefined, 201);
      const second = await admin.json('POST', `/api/admin/users/${memberId}/reset-link`, undefined, 201);
      expect(tokenOf(first.url)).not.toBe(tokenOf(second.url));
      expect((await member.request('GET', '/api/me')).status).toBe(200);

      const stale = await new TestClient(app).request('POST', '/api/auth/reset-password', { token: tokenOf(first.url), newPassword: 'first link password' });
      expect(stale.status).toBe(400);
      const used = await new TestClient(app).request('POST', '/api/auth/reset-password', { token: tokenOf(second.url), newPassword: 'a brand new password' });
      expect(used.status).toBe(200);

      expect((await member.request('GET', '/api/me')).status).toBe(401);
      expect((await member.signIn('mel@example.com', PASSWORD)).status).toBe(401);
      expect((await member.signIn('mel@example.com', 'a brand new password')).status).toBe(200);
      expect((await auditOf('user.reset_link_created')).filter((e) => e.targetId === memberId)).toHaveLength(2);
      expect((await admin.request('POST', '/api/admin/users/no-such-user/reset-link')).status).toBe(404);
    });

    it('the request endpoint and better-auth admin endpoints stay unreachable over HTTP', async () => {
      for (const path of ['/api/auth/request-password-reset', '/api/auth/admin/create-user', '/api/auth/admin/remove-user', '/api/auth/admin/set-user-password']) {
        const res = await admin.request('POST', path, { email: 'mel@example.com', userId: memberId, name: 'x', password: 'long enough pw', newPassword: 'long enough pw' });
        expect(res.status, path).toBe(404);
      }
    });
  });

  describe('deleting an account', () => {
    async function person(email: string) {
      const client = new TestClient(app);
      const id = (await client.signUp(email)).user.id as string;
      const personal = (await client.json('GET', '/api/me', undefined, 200)).workspaces[0].id as string;
      return { client, id, personal };
    }

    it('refuses yourself and an unknown account', async () => {
      const self = await admin.request('DELETE', `/api/admin/users/${adminId}?ownedWorkspaces=delete`);
      expect(self.status).toBe(409);
      expect((await self.json()).error.code).toBe('self_delete');
      expect((await admin.request('DELETE', '/api/admin/users/nobody?ownedWorkspaces=delete')).status).toBe(404);
    });

    it('without a choice: 409 listing the sole-owned workspaces, nothing deleted; transfer moves them and the rest goes', async () => {
      const dan = await person('dan@example.com');
      const eve = await person('eve@example.com');
      const project = await dan.client.json('POST', '/api/workspaces', { name: 'Dan project' }, 201);
      await dan.client.json('POST', `/api/workspaces/${project.id}/members`, { email: 'eve@example.com', role: 'viewer' }, 201);
      await uploadReady(dan.client, project.id, 'mineral.md', '# Minerals\n\nZanzibarite is found only in this project.');
      const shared = await admin.json('POST', '/api/workspaces', { name: 'Shared by Ada' }, 201);
      await admin.json('POST', `/api/workspaces/${shared.id}/members`, { email: 'dan@example.com', role: 'editor' }, 201);
      const key = (await dan.client.json('POST', '/api/account/api-keys', { name: 'dan key' }, 201)).key as string;

      const owned = await admin.json('GET', `/api/admin/users/${dan.id}/owned-workspaces`, undefined, 200);
      expect(owned.items).toEqual([
        { id: dan.personal, name: 'Personal', otherMembers: 0, documents: 0 },
        { id: project.id, name: 'Dan project', otherMembers: 1, documents: 1 },
      ]);

      const refused = await admin.request('DELETE', `/api/admin/users/${dan.id}`);
      expect(refused.status).toBe(409);
      const error = (await refused.json()).error;
      expect(error.code).toBe('sole_owned_workspaces');
      expect(error.message).toMatch(/only owner of 2 workspaces/);
      expect(error.workspaces).toEqual([
        { id: dan.personal, name: 'Personal' },
        { id: project.id, name: 'Dan project' },
      ]);
      expect((await dan.client.request('GET', '/api/me')).status).toBe(200);
      expect((await admin.request('DELETE', `/api/admin/users/${dan.id}?ownedWorkspaces=transfer`)).status).toBe(400);
      expect((await admin.request('DELETE', `/api/admin/users/${dan.id}?ownedWorkspaces=transfer&transferTo=${dan.id}`)).status).toBe(400);
      expect((await admin.request('DELETE', `/api/admin/users/${dan.id}?ownedWorkspaces=transfer&transferTo=nobody`)).status).toBe(400);
      expect((await dan.client.request('GET', '/api/me')).status).toBe(200);

      const done = await admin.json('DELETE', `/api/admin/users/${dan.id}?ownedWorkspaces=transfer&transferTo=${eve.id}`, undefined, 200);
      expect(done).toEqual({ id: dan.id, deletedWorkspaces: [], transferredWorkspaces: [dan.personal, project.id], transferTo: { id: eve.id, email: 'eve@example.com' } });

      // The session and the API key stop working at once; the account cannot sign in.
      expect((await dan.client.request('GET', '/api/me')).status).toBe(401);
      expect((await fetch(`${app.url}/api/me`, { headers: { 'x-api-key': key } })).status).toBe(401);
      expect((await new TestClient(app).signIn('dan@example.com')).status).toBe(401);

      // Eve owns both now and finds the project's document; Ada (never a member) does not.
      const eveMe = await eve.client.json('GET', '/api/me', undefined, 200);
      expect(eveMe.workspaces).toEqual(expect.arrayContaining([expect.objectContaining({ id: project.id, role: 'owner' }), expect.objectContaining({ id: dan.personal, role: 'owner' })]));
      const hits = await eve.client.json('GET', `/api/workspaces/${project.id}/search?q=zanzibarite&mode=keyword`, undefined, 200);
      expect(hits.items).toHaveLength(1);
      expect((await admin.request('GET', `/api/workspaces/${project.id}/search?q=zanzibarite&mode=keyword`)).status).toBe(404);
      expect((await member.request('GET', `/api/workspaces/${project.id}/search?q=zanzibarite&mode=keyword`)).status).toBe(404);
      // Ada's workspace stays, without Dan.
      const members = await admin.json('GET', `/api/workspaces/${shared.id}/members`, undefined, 200);
      expect(members.items.map((m: { email: string }) => m.email)).toEqual(['ada@example.com']);

      const [deleted] = (await auditOf('user.deleted')).filter((e) => e.targetId === dan.id);
      expect(deleted).toMatchObject({ actorId: adminId, details: { email: 'dan@example.com', transferTo: eve.id, transferredWorkspaces: [dan.personal, project.id] } });
      expect((await auditOf('workspace.owner_transferred')).filter((e) => e.details?.from === dan.id).map((e) => e.targetId).sort()).toEqual([dan.personal, project.id].sort());
    });

    it('delete: the sole-owned workspaces and everything in them are gone for everyone, former members included', async () => {
      const fay = await person('fay@example.com');
      const gus = await person('gus@example.com');
      const lab = await fay.client.json('POST', '/api/workspaces', { name: 'Fay lab' }, 201);
      await fay.client.json('POST', `/api/workspaces/${lab.id}/members`, { email: 'gus@example.com', role: 'viewer' }, 201);
      await uploadReady(fay.client, lab.id, 'quokka.md', '# Notes\n\nQuokkalite appears in the lab notes only.');
      expect((await gus.client.json('GET', `/api/workspaces/${lab.id}/search?q=quokkalite&mode=keyword`, undefined, 200)).items).toHaveLength(1);

      const done = await admin.json('DELETE', `/api/admin/users/${fay.id}?ownedWorkspaces=delete`, undefined, 200);
      expect(done).toEqual({ id: fay.id, deletedWorkspaces: [fay.personal, lab.id], transferredWorkspaces: [], transferTo: null });

      expect((await fay.client.request('GET', '/api/me')).status).toBe(401);
      for (const client of [gus.client, admin, member]) {
        expect((await client.request('GET', `/api/workspaces/${lab.id}/search?q=quokkalite&mode=keyword`)).status).toBe(404);
        expect((await client.request('GET', `/api/workspaces/${lab.id}`)).status).toBe(404);
      }
      expect((await gus.client.json('GET', '/api/me', undefined, 200)).workspaces.map((w: { id: string }) => w.id)).toEqual([gus.personal]);
      const [left] = await queryRows<{ n: number }>(
        app.runtime.database.db,
        sql`SELECT (SELECT count(*) FROM passages WHERE workspace_id = ${lab.id}::uuid) + (SELECT count(*) FROM documents WHERE workspace_id = ${lab.id}::uuid) AS n`,
      );
      expect(Number(left!.n)).toBe(0);
      const workspaceEvents = (await auditOf('workspace.deleted')).filter((e) => e.details?.userId === fay.id);
      expect(workspaceEvents.map((e) => e.targetId).sort()).toEqual([fay.personal, lab.id].sort());
      expect((await auditOf('user.deleted')).find((e) => e.targetId === fay.id)).toMatchObject({ details: { deletedWorkspaces: [fay.personal, lab.id] } });
    });

    it('two admins deleting each other at once: one wins, at least one admin remains', async () => {
      const bea = await admin.json('POST', '/api/admin/users', { email: 'bea@example.com', role: 'admin' }, 201);
      const beaClient = new TestClient(app);
      expect((await beaClient.request('POST', '/api/auth/reset-password', { token: tokenOf(bea.setup.url), newPassword: PASSWORD })).status).toBe(200);
      expect((await beaClient.signIn('bea@example.com')).status).toBe(200);
      // Boss (made above) is an admin too: demote so exactly Ada and Bea are admins.
      const boss = ((await admin.json('GET', '/api/admin/users?limit=100', undefined, 200)).items as Array<{ id: string; email: string }>).find((u) => u.email === 'boss@example.com')!;
      await admin.json('PATCH', `/api/admin/users/${boss.id}`, { role: 'member' }, 200);

      const [byAda, byBea] = await Promise.all([
        admin.request('DELETE', `/api/admin/users/${bea.user.id}?ownedWorkspaces=delete`),
        beaClient.request('DELETE', `/api/admin/users/${adminId}?ownedWorkspaces=delete`),
      ]);
      const statuses = [byAda.status, byBea.status];
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect([401, 409]).toContain(statuses.find((s) => s !== 200));
      const [row] = await queryRows<{ n: number }>(app.runtime.database.db, sql`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`);
      expect(Number(row!.n)).toBe(1);
      if (byBea.status === 200) admin = beaClient; // Ada is gone: Bea is the admin now
    });
  });
});
