/**
 * Issue 12, server side, over real HTTP: creates are idempotent with an
 * Idempotency-Key (2 and 100 requests at once make one workspace, key or
 * invitation); two first-run sign-ups at once make one account and no stack
 * trace; invitations are bound to their e-mail (or explicitly to anyone),
 * optionally to a workspace and role, and revocable; the audit log filters
 * by actor e-mail, lists its actions and names its targets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { drivers } from '../../../test/support/databases.js';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';
import { copyPgliteTemplate } from '../../../test/support/pglite-template.js';
import { startQuarry, type QuarryProcess } from '../../../test/support/process.js';

const PASSWORD = 'correct horse battery staple';

describe('first-run set-up sent twice at once (a real `quarry serve`, its log read)', () => {
  let server: QuarryProcess;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'quarry-setup-race-'));
    await copyPgliteTemplate(dataDir);
    server = await startQuarry({ DATA_DIR: dataDir, SIGNUP_MODE: 'invite', LOG_LEVEL: 'info' });
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('makes one admin; the second request gets a plain answer and nothing logs a stack trace', async () => {
    const signUp = () =>
      fetch(`${server.url}/api/auth/sign-up/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ email: 'ada@example.com', password: PASSWORD, name: 'Ada' }),
      });
    const [a, b] = await Promise.all([signUp(), signUp()]);
    const statuses = [a.status, b.status].sort();
    expect(statuses[0]).toBe(200);
    expect(statuses[1]).toBeGreaterThanOrEqual(400);
    expect(statuses[1]).toBeLessThan(500);
    const failed = a.status === 200 ? b : a;
    // The second finds an admin already there: it is an ordinary sign-up now, which needs an invitation.
    expect((await failed.json()).error).toMatchObject({ code: 'invitation_required', message: expect.any(String) });
    // A sign-up (with a valid link) for an address that has an account: better-auth's console logger named it.
    const ada = new TestClient({ url: server.url, origin: server.url });
    expect((await ada.signIn('ada@example.com', PASSWORD)).status).toBe(200);
    const invite = await ada.json('POST', '/api/admin/invitations', { anyone: true }, 201);
    const again = await new TestClient({ url: server.url, origin: server.url }).request('POST', '/api/auth/sign-up/email', {
      email: 'ada@example.com',
      password: PASSWORD,
      name: 'Ada again',
      inviteToken: invite.token,
    });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 300));
    const log = server.output();
    expect(log).not.toMatch(/\n\s+at /);
    expect(log).not.toMatch(/unhandled error/);
    // Everything written is JSON lines (better-auth's own logger included), and no line names the user.
    for (const line of log.split('\n').filter((l) => l.trim())) expect(() => JSON.parse(line), line).not.toThrow();
    expect(log).not.toContain('ada@example.com');
  });
});

describe.each(drivers)('issue 12 over HTTP on %s', (driver) => {
  let app: TestApp;
  let admin: TestClient;
  beforeAll(async () => {
    app = await startTestApp({ driver, env: { ADMIN_EMAIL: 'ada@example.com', SIGNUP_MODE: 'invite' } });
    admin = new TestClient(app);
    await admin.signUp('ada@example.com');
  });
  afterAll(() => app.dispose());

  const post = (client: TestClient, path: string, body: unknown, key?: string) =>
    client.request('POST', path, body, key ? { 'idempotency-key': key } : {});

  async function workspacesNamed(name: string) {
    const list = await admin.json('GET', '/api/workspaces', undefined, 200);
    return (list.items as { id: string; name: string }[]).filter((w) => w.name === name);
  }

  it('a workspace create sent twice with one Idempotency-Key makes one workspace', async () => {
    const first = await post(admin, '/api/workspaces', { name: 'Twice' }, 'ws-twice-0001');
    const second = await post(admin, '/api/workspaces', { name: 'Twice' }, 'ws-twice-0001');
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await second.json()).id).toBe((await first.json()).id);
    expect(await workspacesNamed('Twice')).toHaveLength(1);
  });

  it('100 workspace creates at once with one key make one workspace; all get its id', async () => {
    const responses = await Promise.all(Array.from({ length: 100 }, () => post(admin, '/api/workspaces', { name: 'Hundred' }, 'ws-hundred-0001')));
    expect(responses.map((r) => r.status).every((s) => s === 201)).toBe(true);
    const ids = new Set(await Promise.all(responses.map(async (r) => (await r.json()).id as string)));
    expect(ids.size).toBe(1);
    expect(await workspacesNamed('Hundred')).toHaveLength(1);
  });

  it('a key reused for a different body is refused; without a key every request creates', async () => {
    const other = await post(admin, '/api/workspaces', { name: 'Not twice' }, 'ws-twice-0001');
    expect(other.status).toBe(422);
    expect((await other.json()).error.code).toBe('idempotency_key_reused');
    await post(admin, '/api/workspaces', { name: 'Plain' });
    await post(admin, '/api/workspaces', { name: 'Plain' });
    expect(await workspacesNamed('Plain')).toHaveLength(2);
  });

  it('100 API key creates and 100 invitation creates at once with one key each make one of each', async () => {
    const keys = await Promise.all(Array.from({ length: 100 }, () => post(admin, '/api/account/api-keys', { name: 'burst' }, 'key-burst-0001')));
    expect(keys.every((r) => r.status === 201)).toBe(true);
    const secrets = new Set(await Promise.all(keys.map(async (r) => (await r.json()).key as string)));
    expect(secrets.size).toBe(1); // the secret shown once is shown to every repeat, and works
    const list = await admin.json('GET', '/api/account/api-keys', undefined, 200);
    expect(list.items.filter((k: { name: string }) => k.name === 'burst')).toHaveLength(1);

    const invites = await Promise.all(
      Array.from({ length: 100 }, () => post(admin, '/api/admin/invitations', { email: 'burst@example.com' }, 'inv-burst-0001')),
    );
    expect(invites.every((r) => r.status === 201)).toBe(true);
    const all = await admin.json('GET', '/api/admin/invitations', undefined, 200);
    expect(all.items.filter((i: { email: string | null }) => i.email === 'burst@example.com')).toHaveLength(1);
  });

  it('an invitation for bob cannot be used by carol; an address or "anyone" must be chosen', async () => {
    expect((await post(admin, '/api/admin/invitations', {})).status).toBe(400);
    expect((await post(admin, '/api/admin/invitations', { email: 'x@example.com', anyone: true })).status).toBe(400);
    const invite = await admin.json('POST', '/api/admin/invitations', { email: 'Bob@Example.com' }, 201);
    expect(invite.email).toBe('bob@example.com');
    const lookup = await new TestClient(app).json('GET', `/api/invitations/${invite.token}`, undefined, 200);
    expect(lookup).toMatchObject({ email: 'bob@example.com', workspaceId: null });

    const carol = await new TestClient(app).request('POST', '/api/auth/sign-up/email', { email: 'carol@example.com', password: PASSWORD, name: 'Carol', inviteToken: invite.token });
    expect(carol.status).toBe(403);
    expect((await carol.json()).error.code).toBe('invitation_invalid');
    // Carol's attempt did not use it up: bob still can.
    const bob = await new TestClient(app).signUp('bob@example.com', { inviteToken: invite.token });
    expect(bob.user.email).toBe('bob@example.com');
    expect((await new TestClient(app).request('GET', `/api/invitations/${invite.token}`)).status).toBe(404);
  });

  it('an invitation into a workspace with a role makes the new account a member with that role', async () => {
    const ws = await admin.json('POST', '/api/workspaces', { name: 'Geology' }, 201);
    const invite = await admin.json('POST', '/api/admin/invitations', { email: 'dora@example.com', workspaceId: ws.id, role: 'editor' }, 201);
    const lookup = await new TestClient(app).json('GET', `/api/invitations/${invite.token}`, undefined, 200);
    expect(lookup).toMatchObject({ email: 'dora@example.com', workspaceId: ws.id, workspaceName: 'Geology', role: 'editor' });
    const dora = new TestClient(app);
    await dora.signUp('dora@example.com', { inviteToken: invite.token });
    const me = await dora.json('GET', '/api/me', undefined, 200);
    expect(me.workspaces).toContainEqual(expect.objectContaining({ id: ws.id, role: 'editor' }));
    const list = await admin.json('GET', '/api/admin/invitations', undefined, 200);
    expect(list.items.find((i: { id: string }) => i.id === invite.id)).toMatchObject({ status: 'used', workspaceName: 'Geology', role: 'editor' });
  });

  it('only an owner of the workspace may invite into it', async () => {
    const other = new TestClient(app);
    const invite = await admin.json('POST', '/api/admin/invitations', { anyone: true }, 201);
    await other.signUp('eve@example.com', { inviteToken: invite.token });
    const eves = (await other.json('GET', '/api/me', undefined, 200)).workspaces[0].id;
    expect((await post(admin, '/api/admin/invitations', { email: 'f@example.com', workspaceId: eves, role: 'owner' })).status).toBe(404);
  });

  it('a revoked invitation is listed as revoked and its link stops working', async () => {
    const invite = await admin.json('POST', '/api/admin/invitations', { anyone: true }, 201);
    await admin.json('DELETE', `/api/admin/invitations/${invite.id}`, undefined, 204);
    const list = await admin.json('GET', '/api/admin/invitations', undefined, 200);
    expect(list.items.find((i: { id: string }) => i.id === invite.id)).toMatchObject({ status: 'revoked', email: null });
    expect((await new TestClient(app).request('GET', `/api/invitations/${invite.token}`)).status).toBe(404);
  });

  it('audit: the actions it holds, filter by actor e-mail in any case, targets named', async () => {
    const actions = await admin.json('GET', '/api/admin/audit/actions', undefined, 200);
    expect(actions.items).toEqual(expect.arrayContaining(['user.signed_up', 'workspace.created', 'invitation.created']));
    expect([...actions.items].sort()).toEqual(actions.items);

    const byBob = await admin.json('GET', '/api/admin/audit?actorEmail=BOB%40example.com', undefined, 200);
    expect(byBob.items.length).toBeGreaterThan(0);
    expect(byBob.items.every((e: { actorEmail: string }) => e.actorEmail === 'bob@example.com')).toBe(true);

    const created = await admin.json('GET', '/api/admin/audit?action=workspace.created&actorEmail=ada%40example.com', undefined, 200);
    const geology = created.items.find((e: { targetName: string | null }) => e.targetName === 'Geology');
    expect(geology).toMatchObject({ targetType: 'workspace', targetId: expect.any(String) });
  });
});
