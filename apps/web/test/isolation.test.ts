/**
 * The isolation matrix: for every workspace-scoped route, a signed-in
 * non-member gets 404 (never a hint the workspace exists), a viewer gets 403
 * on editor/owner actions, and an API key of one user cannot reach another's
 * workspace. Later route groups add their rows to `routes`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

type MinRole = 'viewer' | 'editor' | 'owner';
interface RouteCase {
  method: string;
  path: (ids: { ws: string; ownerId: string; viewerId: string; doc: string }) => string;
  body?: unknown | (() => unknown);
  min: MinRole;
}

export const workspaceRoutes: RouteCase[] = [
  { method: 'GET', path: ({ ws }) => `/api/workspaces/${ws}`, min: 'viewer' },
  { method: 'PATCH', path: ({ ws }) => `/api/workspaces/${ws}`, body: { name: 'Renamed' }, min: 'owner' },
  { method: 'GET', path: ({ ws }) => `/api/workspaces/${ws}/members`, min: 'viewer' },
  { method: 'POST', path: ({ ws }) => `/api/workspaces/${ws}/members`, body: { email: 'someone@example.com', role: 'viewer' }, min: 'owner' },
  { method: 'PATCH', path: ({ ws, ownerId }) => `/api/workspaces/${ws}/members/${ownerId}`, body: { role: 'viewer' }, min: 'owner' },
  { method: 'DELETE', path: ({ ws, ownerId }) => `/api/workspaces/${ws}/members/${ownerId}`, min: 'owner' },
  { method: 'GET', path: ({ ws }) => `/api/workspaces/${ws}/documents`, min: 'viewer' },
  { method: 'POST', path: ({ ws }) => `/api/workspaces/${ws}/documents`, body: () => upload('denied.md', '# Denied\n\nA viewer cannot add this.'), min: 'editor' },
  { method: 'GET', path: ({ ws, doc }) => `/api/workspaces/${ws}/documents/${doc}`, min: 'viewer' },
  { method: 'GET', path: ({ ws, doc }) => `/api/workspaces/${ws}/documents/${doc}/file`, min: 'viewer' },
  { method: 'GET', path: ({ ws, doc }) => `/api/workspaces/${ws}/documents/${doc}/passages`, min: 'viewer' },
  { method: 'GET', path: ({ ws, doc }) => `/api/workspaces/${ws}/documents/${doc}/matches?q=secret`, min: 'viewer' },
  { method: 'PATCH', path: ({ ws, doc }) => `/api/workspaces/${ws}/documents/${doc}`, body: { title: 'Renamed' }, min: 'editor' },
  { method: 'POST', path: ({ ws, doc }) => `/api/workspaces/${ws}/documents/${doc}/reindex`, min: 'editor' },
  { method: 'DELETE', path: ({ ws, doc }) => `/api/workspaces/${ws}/documents/${doc}`, min: 'editor' },
  { method: 'GET', path: ({ ws }) => `/api/workspaces/${ws}/search?q=secret`, min: 'viewer' },
  { method: 'POST', path: ({ ws }) => `/api/workspaces/${ws}/ask`, body: { question: 'What are the secret plans?' }, min: 'viewer' },
  { method: 'GET', path: ({ ws }) => `/api/workspaces/${ws}/threads`, min: 'viewer' },
  { method: 'POST', path: ({ ws }) => `/api/workspaces/${ws}/threads`, body: { title: 'Plans' }, min: 'viewer' },
  { method: 'GET', path: ({ ws }) => `/api/workspaces/${ws}/threads?scope=shared`, min: 'viewer' },
  // Destructive last: deleting the workspace.
  { method: 'DELETE', path: ({ ws }) => `/api/workspaces/${ws}`, min: 'owner' },
];

function upload(name: string, text: string) {
  const form = new FormData();
  form.append('file', new Blob([text], { type: 'text/markdown' }), name);
  return form;
}

const bodyOf = (route: RouteCase) => (typeof route.body === 'function' ? route.body() : route.body);

describe('workspace isolation matrix', () => {
  let app: TestApp;
    let ownerClient: TestClient;
  let viewerClient: TestClient;
  let strangerClient: TestClient;
  let strangerKey: string;
  let ids: { ws: string; ownerId: string; viewerId: string; doc: string };

  beforeAll(async () => {
    app = await startTestApp();
    ownerClient = new TestClient(app);
    viewerClient = new TestClient(app);
    strangerClient = new TestClient(app);
    const o = await ownerClient.signUp('owner@example.com');
    const v = await viewerClient.signUp('viewer@example.com');
    await strangerClient.signUp('stranger@example.com');
    const ws = await ownerClient.json('POST', '/api/workspaces', { name: 'Private' }, 201);
    await ownerClient.json('POST', `/api/workspaces/${ws.id}/members`, { email: 'viewer@example.com', role: 'viewer' }, 201);
    const doc = await ownerClient.json('POST', `/api/workspaces/${ws.id}/documents`, upload('secret.md', '# Secret plans\n\nOnly members may read this.'), 202);
    ids = { ws: ws.id, ownerId: o.user.id, viewerId: v.user.id, doc: doc.id };
    strangerKey = (await strangerClient.json('POST', '/api/account/api-keys', { name: 'k' }, 201)).key;
  });
  afterAll(() => app.dispose());

  it.each(workspaceRoutes.map((r) => [`${r.method} ${r.path({ ws: ':ws', ownerId: ':owner', viewerId: ':viewer', doc: ':doc' })}`, r] as const))(
    '%s: non-member 404, API key of another user 404, viewer 403 when above viewer',
    async (_name, route) => {
      const path = route.path(ids);
      const asStranger = await strangerClient.request(route.method, path, bodyOf(route));
      expect(asStranger.status).toBe(404);
      expect((await asStranger.json()).error.code).toBe('not_found');

      const body = bodyOf(route);
      const viaKey = await fetch(`${app.url}${path}`, {
        method: route.method,
        headers: { 'x-api-key': strangerKey, ...(body instanceof FormData || body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body instanceof FormData ? body : body !== undefined ? JSON.stringify(body) : undefined,
      });
      expect(viaKey.status).toBe(404);

      const asViewer = await viewerClient.request(route.method, path, bodyOf(route));
      if (route.min === 'viewer') expect(asViewer.status).toBeLessThan(400);
      else expect(asViewer.status).toBe(403);

      const anonymous = await fetch(`${app.url}${path}`, { method: route.method });
      expect(anonymous.status).toBe(401);
    },
  );

  it('an unknown or malformed workspace id is 404 too', async () => {
    expect((await ownerClient.request('GET', '/api/workspaces/not-a-uuid')).status).toBe(404);
    expect((await ownerClient.request('GET', '/api/workspaces/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('the last owner can neither leave nor be demoted', async () => {
    const ws = await ownerClient.json('POST', '/api/workspaces', { name: 'Solo' }, 201);
    const demote = await ownerClient.request('PATCH', `/api/workspaces/${ws.id}/members/${ids.ownerId}`, { role: 'editor' });
    expect(demote.status).toBe(409);
    expect((await demote.json()).error.code).toBe('last_owner');
    const leave = await ownerClient.request('DELETE', `/api/workspaces/${ws.id}/members/${ids.ownerId}`);
    expect(leave.status).toBe(409);
  });
});

/**
 * The matrix for restricted API keys (issue 16): every workspace route above, through a key scoped to
 * another workspace (404, as a non-member), through a read-only key of the owner (reads pass, writes
 * 403), and an expired key (401) — the refusals also under 100 requests at once.
 */
describe('scoped API keys in the isolation matrix', () => {
  let app: TestApp;
  let owner: TestClient;
  let a: { id: string };
  let b: { id: string };
  let idsB: { ws: string; ownerId: string; viewerId: string; doc: string };
  let idsA: typeof idsB;
  let keyA: string; // workspace A, read and write
  let readOnlyA: string; // workspace A, read-only
  let readOnlyAll: string; // every workspace, read-only

  const viaKey = (key: string, method: string, path: string, body?: unknown) =>
    fetch(`${app.url}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body instanceof FormData || body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body instanceof FormData ? body : body !== undefined ? JSON.stringify(body) : undefined,
    });

  beforeAll(async () => {
    app = await startTestApp();
    owner = new TestClient(app);
    const o = await owner.signUp('key-owner@example.com');
    a = await owner.json('POST', '/api/workspaces', { name: 'A' }, 201);
    b = await owner.json('POST', '/api/workspaces', { name: 'B' }, 201);
    const docA = await owner.json('POST', `/api/workspaces/${a.id}/documents`, upload('a.md', '# Alpha\n\nA plans.'), 202);
    const docB = await owner.json('POST', `/api/workspaces/${b.id}/documents`, upload('b.md', '# Beta\n\nB plans.'), 202);
    idsA = { ws: a.id, ownerId: o.user.id, viewerId: o.user.id, doc: docA.id };
    idsB = { ws: b.id, ownerId: o.user.id, viewerId: o.user.id, doc: docB.id };
    keyA = (await owner.json('POST', '/api/account/api-keys', { name: 'A rw', workspaceId: a.id }, 201)).key;
    readOnlyA = (await owner.json('POST', '/api/account/api-keys', { name: 'A ro', workspaceId: a.id, readOnly: true }, 201)).key;
    readOnlyAll = (await owner.json('POST', '/api/account/api-keys', { name: 'all ro', readOnly: true }, 201)).key;
  });
  afterAll(() => app.dispose());

  it.each(workspaceRoutes.map((r) => [`${r.method} ${r.path({ ws: ':ws', ownerId: ':owner', viewerId: ':viewer', doc: ':doc' })}`, r] as const))(
    '%s: a key for A gets 404 on B; a read-only key reads and is refused writes (403)',
    async (_name, route) => {
      const onB = await viaKey(keyA, route.method, route.path(idsB), bodyOf(route));
      expect(onB.status).toBe(404);
      expect((await onB.json()).error.code).toBe('not_found');

      const isRead = route.method === 'GET' || route.path(idsA).endsWith('/ask');
      for (const key of [readOnlyA, readOnlyAll]) {
        const res = await viaKey(key, route.method, route.path(idsA), bodyOf(route));
        if (isRead) expect(res.status).toBeLessThan(400);
        else {
          expect(res.status).toBe(403);
          expect((await res.json()).error.code).toBe('api_key_read_only');
        }
      }
    },
  );

  it('what the refused requests would have changed is unchanged', async () => {
    // The matrix above sent DELETE workspace/document and an upload through read-only keys.
    const docs = await owner.json('GET', `/api/workspaces/${a.id}/documents`, undefined, 200);
    expect(docs.items.map((d: { id: string }) => d.id)).toEqual([idsA.doc]);
    expect((await owner.request('GET', `/api/workspaces/${b.id}`)).status).toBe(200);
  });

  it('a key for A lists only A, and cannot reach account, admin or new workspaces', async () => {
    const list = await (await viaKey(keyA, 'GET', '/api/workspaces')).json();
    expect(list.items.map((w: { id: string }) => w.id)).toEqual([a.id]);
    const all = await (await viaKey(readOnlyAll, 'GET', '/api/workspaces')).json();
    // Unscoped: every workspace of the user (sign-up's own one too), A and B among them.
    expect(all.items.map((w: { id: string }) => w.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(all.items.length).toBeGreaterThan(list.items.length);
    for (const [method, path, body] of [
      ['POST', '/api/workspaces', { name: 'Escape' }],
      ['POST', '/api/account/api-keys', { name: 'wider' }],
      ['GET', '/api/account/api-keys', undefined],
      ['GET', '/api/admin/users', undefined],
    ] as const) {
      const res = await viaKey(keyA, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await res.json()).error.code).toBe('api_key_scope');
    }
    // A read-write key for A uploads into A.
    expect((await viaKey(keyA, 'POST', `/api/workspaces/${a.id}/documents`, upload('k.md', '# Via key\n\nUploaded by a scoped key.'))).status).toBe(202);
    expect((await viaKey(keyA, 'GET', '/api/me')).status).toBe(200);
  });

  it('creating a key checks its scope and expiry, and the list shows scope, expiry and last use', async () => {
    const stranger = new TestClient(app);
    await stranger.signUp('key-stranger@example.com');
    const foreign = await stranger.request('POST', '/api/account/api-keys', { name: 'x', workspaceId: a.id });
    expect(foreign.status).toBe(404);
    const past = await owner.request('POST', '/api/account/api-keys', { name: 'x', expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(past.status).toBe(400);
    expect((await past.json()).error.message).toMatch(/expiresAt/);
    const far = await owner.request('POST', '/api/account/api-keys', { name: 'x', expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString() });
    expect(far.status).toBe(400);
    expect((await owner.request('POST', '/api/account/api-keys', { name: 'x', expiresAt: 'tomorrow' })).status).toBe(400);

    const keys = await owner.json('GET', '/api/account/api-keys', undefined, 200);
    const ro = keys.items.find((k: { name: string }) => k.name === 'A ro');
    expect(ro).toMatchObject({ workspaceId: a.id, workspaceName: 'A', readOnly: true, expiresAt: null, expired: false });
    // last use is recorded after the response (best effort): wait for it, bounded.
    let lastUsedAt: string | null = ro.lastUsedAt;
    for (let i = 0; i < 20 && !lastUsedAt; i++) {
      await new Promise((r) => setTimeout(r, 100));
      lastUsedAt = (await owner.json('GET', '/api/account/api-keys', undefined, 200)).items.find((k: { name: string }) => k.name === 'A ro').lastUsedAt;
    }
    expect(Date.parse(lastUsedAt ?? '')).toBeGreaterThan(Date.now() - 120_000);
  });

  it('an expired key gets 401, and 100 requests at once are each refused as a single one would be', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const created = await owner.json('POST', '/api/account/api-keys', { name: 'short', expiresAt }, 201);
    expect((await viaKey(created.key, 'GET', '/api/workspaces')).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now()) + 50));
    const single = await viaKey(created.key, 'GET', '/api/workspaces');
    expect(single.status).toBe(401);
    expect((await single.json()).error.code).toBe('api_key_expired');
    const listed = (await owner.json('GET', '/api/account/api-keys', undefined, 200)).items.find((k: { id: string }) => k.id === created.id);
    expect(listed.expired).toBe(true);

    // 100 at once, three kinds mixed: expired (401), A's key on B (404), read-only upload (403).
    const kinds = Array.from({ length: 100 }, (_, i) => i % 3);
    const statuses = await Promise.all(
      kinds.map(async (kind) => {
        const res =
          kind === 0
            ? await viaKey(created.key, 'GET', `/api/workspaces/${a.id}/documents`)
            : kind === 1
              ? await viaKey(keyA, 'GET', `/api/workspaces/${b.id}/documents/${idsB.doc}/file`)
              : await viaKey(readOnlyA, 'POST', `/api/workspaces/${a.id}/documents`, upload('p.md', '# Parallel\n\nMust not land.'));
        return { kind, status: res.status, code: (await res.json()).error?.code };
      }),
    );
    const expected = [
      { status: 401, code: 'api_key_expired' },
      { status: 404, code: 'not_found' },
      { status: 403, code: 'api_key_read_only' },
    ];
    for (const s of statuses) expect({ status: s.status, code: s.code }).toEqual(expected[s.kind]);
    const docs = await owner.json('GET', `/api/workspaces/${a.id}/documents`, undefined, 200);
    expect(docs.items.some((d: { name?: string; filename?: string }) => (d.name ?? d.filename) === 'p.md')).toBe(false);
  });
});
