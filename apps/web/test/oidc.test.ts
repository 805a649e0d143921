/**
 * Single sign-on against a real OpenID Connect provider (oidc-provider on 127.0.0.1, started here),
 * over HTTP the way a browser goes: Quarry's start endpoint → the provider's authorization endpoint →
 * its login form → back to Quarry's callback with a code → a session. Success, a wrong `state`, an
 * unverified e-mail, a disallowed domain, the group → admin mapping both ways, a user removed at the
 * provider, linking to an existing password account only for a verified address, and the audit rows.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';
import { startTestIdp, type TestIdp } from '../../../test/support/oidc-provider.js';
import { freePort } from '../../../test/support/process.js';

/** A cookie jar for the provider's own cookies (its interaction and session cookies). */
class Jar {
  private cookies = new Map<string, string>();
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1);
      if (/max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

interface Flow {
  client: TestClient;
  /** Quarry's final redirect after the callback. */
  location: string;
  status: number;
}

describe('OIDC sign-in against a real provider', () => {
  let app: TestApp;
  let idp: TestIdp;
  const ENGINEERING = '6f1c1b9e-2d4e-4f6a-9c1d-000000000001';
  const SALES = '6f1c1b9e-2d4e-4f6a-9c1d-000000000002';
  const GONE = '6f1c1b9e-2d4e-4f6a-9c1d-000000000003';
  let appUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    idp = await startTestIdp({ redirectUris: [`${appUrl}/api/auth/callback/oidc`] });
    idp.accounts.set('alice', { email: 'alice@corp.example', email_verified: true, name: 'Alice', groups: ['staff'], password: 'pw-alice' });
    idp.accounts.set('boss', { email: 'boss@corp.example', email_verified: true, name: 'Boss', groups: ['staff', 'quarry-admins'], password: 'pw-boss' });
    idp.accounts.set('unverified', { email: 'unverified@corp.example', email_verified: false, name: 'U', password: 'pw-u' });
    idp.accounts.set('outsider', { email: 'out@elsewhere.example', email_verified: true, name: 'Out', password: 'pw-out' });
    idp.accounts.set('paula', { email: 'paula@corp.example', email_verified: true, name: 'Paula', password: 'pw-paula' });
    idp.accounts.set('paula-unverified', { email: 'paula@corp.example', email_verified: false, name: 'Paula?', password: 'pw-pu' });
    app = await startTestApp({
      env: {
        PORT: String(port),
        PUBLIC_URL: appUrl,
        // Sign-up is otherwise by invitation: the allowed domain is what lets SSO users in.
        SIGNUP_MODE: 'invite',
        ADMIN_EMAIL: 'root@corp.example',
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: idp.clientId,
        OIDC_CLIENT_SECRET: idp.clientSecret,
        OIDC_DISPLAY_NAME: 'Corp SSO',
        OIDC_SCOPES: 'openid email profile groups',
        OIDC_ALLOWED_DOMAINS: 'corp.example',
        OIDC_ADMIN_GROUP: 'quarry-admins',
        // Two groups map into Engineering (the higher role wins), one into Sales; the fourth names no workspace that exists.
        OIDC_WORKSPACE_GROUPS: `eng-readers=${ENGINEERING}:viewer, eng-writers=${ENGINEERING}:editor\nsales=${SALES}:owner, ghosts=${GONE}:viewer`,
      },
    });
    const db = app.runtime.database.db;
    await db.execute(sql`INSERT INTO workspaces (id, name) VALUES (${ENGINEERING}::uuid, 'Engineering'), (${SALES}::uuid, 'Sales')`);
  });
  afterAll(async () => {
    await app?.dispose();
    await idp?.close();
  });

  /** Up to the provider's redirect back to Quarry (code and state in the URL), and the client that started it. */
  async function toCallback(login: string, password: string) {
    const client = new TestClient(app);
    const start = await client.request('POST', '/api/auth/sign-in/social', { provider: 'oidc', callbackURL: '/' });
    expect(start.status).toBe(200);
    const { url } = (await start.json()) as { url: string };
    const authorize = new URL(url);
    expect(authorize.origin).toBe(idp.issuer);
    // PKCE (S256), state and nonce are all on the request better-auth built.
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('state')?.length).toBeGreaterThan(20);
    expect(authorize.searchParams.get('nonce')?.length).toBeGreaterThan(20);

    const jar = new Jar();
    let res = await fetch(url, { redirect: 'manual' });
    jar.take(res);
    let next = new URL(res.headers.get('location')!, idp.issuer);
    expect(next.pathname).toMatch(/^\/interaction\//);
    res = await fetch(next, { headers: { cookie: jar.header() }, redirect: 'manual' });
    jar.take(res);
    expect(await res.text()).toContain('<form');
    res = await fetch(new URL(`${next.pathname}/login`, idp.issuer), {
      method: 'POST',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login, password }),
      redirect: 'manual',
    });
    jar.take(res);
    // Bounded: the provider resumes the authorization (one or two hops) and redirects to Quarry.
    for (let hop = 0; hop < 5 && res.status >= 300 && res.status < 400; hop++) {
      next = new URL(res.headers.get('location')!, idp.issuer);
      if (next.origin === appUrl) return { client, callback: next, providerStatus: res.status };
      res = await fetch(next, { headers: { cookie: jar.header() }, redirect: 'manual' });
      jar.take(res);
    }
    return { client, callback: undefined, providerStatus: res.status };
  }

  async function signIn(login: string, password: string, tamper?: (u: URL) => void): Promise<Flow> {
    const { client, callback } = await toCallback(login, password);
    expect(callback, `the provider redirected ${login} back to Quarry`).toBeDefined();
    tamper?.(callback!);
    const res = await client.request('GET', `${callback!.pathname}${callback!.search}`);
    return { client, status: res.status, location: res.headers.get('location') ?? '' };
  }

  const errorOf = (flow: Flow) => new URL(flow.location, appUrl).searchParams.get('error');
  /** Newest first. */
  const audit = async (action: string) =>
    (await app.runtime.services.audit.list({ action }, { limit: 100 })) as Array<{ outcome: string; actorEmail: string | null; details: Record<string, unknown> | null }>;

  it('the setup endpoint names the provider for the sign-in button', async () => {
    const setup = await (await fetch(`${appUrl}/api/setup`)).json();
    expect(setup.sso).toEqual({ provider: 'oidc', displayName: 'Corp SSO' });
    expect(setup.passwordSignIn).toBe(true);
  });

  it('success: first sign-in creates a member (domain allowed though sign-up is by invitation), and it is audited', async () => {
    const flow = await signIn('alice', 'pw-alice');
    expect(flow.status).toBe(302);
    expect(new URL(flow.location, appUrl).pathname).toBe('/');
    expect(errorOf(flow)).toBeNull();
    const me = await flow.client.json('GET', '/api/me', undefined, 200);
    expect(me.user).toMatchObject({ email: 'alice@corp.example', role: 'member' });
    expect(me.workspaces.length).toBe(1); // the personal workspace, as for a password sign-up
    const signIns = await audit('user.sign_in');
    expect(signIns.find((r) => r.actorEmail === 'alice@corp.example' && r.outcome === 'success')?.details).toMatchObject({ method: 'oidc' });
    expect((await audit('user.signed_up')).some((r) => r.actorEmail === 'alice@corp.example' && r.details?.method === 'oidc')).toBe(true);
    // A second sign-in is the same account, no second sign-up.
    const again = await signIn('alice', 'pw-alice');
    expect((await again.client.json('GET', '/api/me', undefined, 200)).user.id).toBe(me.user.id);
    expect((await audit('user.signed_up')).filter((r) => r.actorEmail === 'alice@corp.example')).toHaveLength(1);
  });

  it('a wrong state is refused: no session, redirected to the sign-in page with the error, audited as a failure', async () => {
    const before = (await audit('user.sign_in')).filter((r) => r.outcome === 'failure').length;
    const flow = await signIn('alice', 'pw-alice', (u) => u.searchParams.set('state', 'forged-state-value-that-was-never-issued'));
    expect(flow.status).toBe(302);
    expect(new URL(flow.location, appUrl).pathname).toBe('/sign-in');
    expect(errorOf(flow)).toMatch(/state/);
    expect((await flow.client.request('GET', '/api/me')).status).toBe(401);
    const failures = (await audit('user.sign_in')).filter((r) => r.outcome === 'failure');
    expect(failures.length).toBe(before + 1);
    expect(String(failures[0]!.details?.reason)).toMatch(/state/);
  });

  it('a state replayed after use is refused too', async () => {
    const { client, callback } = await toCallback('alice', 'pw-alice');
    const path = `${callback!.pathname}${callback!.search}`;
    expect((await client.request('GET', path)).status).toBe(302);
    expect((await client.json('GET', '/api/me', undefined, 200)).user.email).toBe('alice@corp.example');
    const replay = new TestClient(app);
    const res = await replay.request('GET', path);
    expect(new URL(res.headers.get('location')!, appUrl).searchParams.get('error')).toBeTruthy();
    expect((await replay.request('GET', '/api/me')).status).toBe(401);
  });

  it('an unverified e-mail is refused, and creates no account', async () => {
    const flow = await signIn('unverified', 'pw-u');
    expect(errorOf(flow)).toBe('email_not_verified');
    expect((await flow.client.request('GET', '/api/me')).status).toBe(401);
    const admin = app.runtime.services.users;
    expect((await admin.list({ limit: 100 })).some((u) => u.email === 'unverified@corp.example')).toBe(false);
    const failure = (await audit('user.sign_in')).find((r) => r.actorEmail === 'unverified@corp.example');
    expect(failure).toMatchObject({ outcome: 'failure', details: { method: 'oidc', reason: 'email_not_verified' } });
  });

  it('a disallowed domain is refused, and creates no account', async () => {
    const flow = await signIn('outsider', 'pw-out');
    expect(errorOf(flow)).toBe('domain_not_allowed');
    expect((await flow.client.request('GET', '/api/me')).status).toBe(401);
    expect((await app.runtime.services.users.list({ limit: 100 })).some((u) => u.email === 'out@elsewhere.example')).toBe(false);
  });

  it('group mapping: a member of the admin group is an admin; removed from it, a member at the next sign-in', async () => {
    const first = await signIn('boss', 'pw-boss');
    expect((await first.client.json('GET', '/api/me', undefined, 200)).user.role).toBe('admin');
    expect((await first.client.request('GET', '/api/admin/users')).status).toBe(200);

    idp.accounts.get('boss')!.groups = ['staff'];
    const second = await signIn('boss', 'pw-boss');
    expect((await second.client.json('GET', '/api/me', undefined, 200)).user.role).toBe('member');
    expect((await second.client.request('GET', '/api/admin/users')).status).toBe(403);
    const changes = (await audit('user.role_changed')).filter((r) => r.details?.source === 'oidc_group');
    expect(changes.map((r) => r.details?.to)).toContain('member');

    idp.accounts.get('boss')!.groups = ['quarry-admins'];
    const third = await signIn('boss', 'pw-boss');
    expect((await third.client.json('GET', '/api/me', undefined, 200)).user.role).toBe('admin');
  });

  it('workspace group mapping: membership and role follow the groups at each sign-in, audited; a sole owner is kept', async () => {
    idp.accounts.set('wes', { email: 'wes@corp.example', email_verified: true, name: 'Wes', groups: ['eng-readers'], password: 'pw-wes' });
    const rolesOf = async (flow: Flow) => {
      const me = await flow.client.json('GET', '/api/me', undefined, 200);
      return Object.fromEntries((me.workspaces as Array<{ name: string; role: string }>).map((w) => [w.name, w.role]));
    };
    // A first sign-in: a new account joins what its groups map to, beside its personal workspace.
    const first = await signIn('wes', 'pw-wes');
    expect(await rolesOf(first)).toEqual({ Personal: 'owner', Engineering: 'viewer' });
    const engineeringDocs = await first.client.request('GET', `/api/workspaces/${ENGINEERING}/documents`);
    expect(engineeringDocs.status).toBe(200);
    expect((await first.client.request('GET', `/api/workspaces/${SALES}`)).status).toBe(404);

    // Added to a second Engineering group and to Sales: the higher role wins.
    idp.accounts.get('wes')!.groups = ['eng-readers', 'eng-writers', 'sales', 'ghosts'];
    const second = await signIn('wes', 'pw-wes');
    expect(await rolesOf(second)).toEqual({ Personal: 'owner', Engineering: 'editor', Sales: 'owner' });

    // Out of every Engineering group: no longer a member, and the session of before loses it too. Sales has
    // Wes as its only owner, so leaving the sales group does not leave it ownerless.
    idp.accounts.get('wes')!.groups = [];
    const third = await signIn('wes', 'pw-wes');
    expect(await rolesOf(third)).toEqual({ Personal: 'owner', Sales: 'owner' });
    expect((await first.client.request('GET', `/api/workspaces/${ENGINEERING}/documents`)).status).toBe(404);

    const events = [
      ...(await audit('workspace.member_added')),
      ...(await audit('workspace.member_role_changed')),
      ...(await audit('workspace.member_removed')),
    ].filter((e) => e.details?.source === 'oidc_group');
    const summary = events.map((e) => `${(e as { targetId?: string }).targetId === ENGINEERING ? 'eng' : 'sales'}:${e.details?.from}->${e.details?.to}`).sort();
    expect(summary).toEqual(['eng:editor->null', 'eng:null->viewer', 'eng:viewer->editor', 'sales:null->owner']);
  });

  it('a user removed at the provider cannot sign in again', async () => {
    idp.accounts.set('leaver', { email: 'leaver@corp.example', email_verified: true, name: 'Leaver', password: 'pw-l' });
    const ok = await signIn('leaver', 'pw-l');
    expect((await ok.client.request('GET', '/api/me')).status).toBe(200);
    idp.accounts.delete('leaver');
    const { callback, providerStatus } = await toCallback('leaver', 'pw-l');
    expect(callback).toBeUndefined(); // the provider's login form refuses; nothing comes back to Quarry
    expect(providerStatus).toBe(401);
  });

  it('an existing password account is linked only when the provider has verified the address', async () => {
    // Paula signed up with a password (an administrator's invitation for her address), before SSO.
    const root = new TestClient(app);
    await root.signUp('root@corp.example'); // ADMIN_EMAIL: the first-run path
    const { token } = await root.json('POST', '/api/admin/invitations', { email: 'paula@corp.example' }, 201);
    const pw = new TestClient(app);
    await pw.signUp('paula@corp.example', { inviteToken: token });
    const passwordUser = (await pw.json('GET', '/api/me', undefined, 200)).user;

    const unverified = await signIn('paula-unverified', 'pw-pu');
    expect(errorOf(unverified)).toBe('account_not_linked'); // better-auth's link rule answers before Quarry's gate
    expect((await unverified.client.request('GET', '/api/me')).status).toBe(401);

    const verified = await signIn('paula', 'pw-paula');
    expect(errorOf(verified)).toBeNull();
    expect((await verified.client.json('GET', '/api/me', undefined, 200)).user.id).toBe(passwordUser.id);
  });

  it('only the flow endpoints are reachable: other OAuth endpoints 404, and the start refuses foreign redirects and ID tokens', async () => {
    const client = new TestClient(app);
    for (const [method, path] of [
      ['POST', '/api/auth/link-social'],
      ['GET', '/api/auth/list-accounts'],
      ['POST', '/api/auth/unlink-account'],
      ['POST', '/api/auth/get-access-token'],
      ['POST', '/api/auth/refresh-token'],
      ['GET', '/api/auth/account-info'],
      ['POST', '/api/auth/callback/oidc'],
      ['GET', '/api/auth/callback/github'],
      ['POST', '/api/auth/oauth2/link'],
      ['POST', '/api/auth/sign-in/oauth2'],
    ] as const) {
      const res = await client.request(method, path, method === 'POST' ? {} : undefined);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    for (const body of [
      { provider: 'oidc', callbackURL: 'https://evil.example/' },
      { provider: 'oidc', callbackURL: '//evil.example/' },
      { provider: 'github' },
      { provider: 'oidc', idToken: { token: 'x' } },
    ]) {
      const res = await client.request('POST', '/api/auth/sign-in/social', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('PASSWORD_SIGNIN=off', () => {
  it('refuses password sign-in and sign-up with a precise 403, and says so on /api/setup', async () => {
    const app = await startTestApp({
      env: { OIDC_ISSUER: 'http://127.0.0.1:9/', OIDC_CLIENT_ID: 'x', OIDC_CLIENT_SECRET: 'y', PASSWORD_SIGNIN: 'off' },
    });
    try {
      const client = new TestClient(app);
      const up = await client.request('POST', '/api/auth/sign-up/email', { email: 'a@example.com', password: 'correct horse battery staple', name: 'A' });
      expect(up.status).toBe(403);
      expect((await up.json()).error.code).toBe('password_signin_disabled');
      const inn = await client.signIn('a@example.com');
      expect(inn.status).toBe(403);
      const setup = await (await fetch(`${app.url}/api/setup`)).json();
      expect(setup.passwordSignIn).toBe(false);
    } finally {
      await app.dispose();
    }
  });
});
