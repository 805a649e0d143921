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
  { method: 'POST', path: ({ ws, doc }) => `/api/workspaces/${ws}/documents/${doc}/reindex`, min: 'editor' },
  { method: 'DELETE', path: ({ ws, doc }) => `/api/workspaces/${ws}/documents/${doc}`, min: 'editor' },
  { method: 'GET', path: ({ ws }) => `/api/workspaces/${ws}/search?q=secret`, min: 'viewer' },
  { method: 'POST', path: ({ ws }) => `/api/workspaces/${ws}/ask`, body: { question: 'What are the secret plans?' }, min: 'viewer' },
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
