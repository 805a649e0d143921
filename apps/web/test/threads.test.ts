/**
 * Ask threads over real HTTP with the offline (extractive) answers: follow-ups
 * read against the thread, threads kept, listed, renamed, shared read-only,
 * deleted (audited), removed with their workspace; the isolation rows (a
 * stranger, a member of a private thread, a member who left — 100 requests
 * in parallel); the ask limits; feedback and its audited admin export.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askMessages, askThreads, auditEvents, queryRows } from '@quarry/db';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';
import { parseSse, readSse } from '../../../test/support/sse.js';

const fast = { ingest: { pollMs: 100, retryBaseMs: 20, leaseMs: 2_000 } };

const MANUAL = `# asn1Coding

asn1Coding is a command-line tool that encodes ASN.1 values into DER. It reads an ASN.1 definitions file and a file of value assignments, and writes the DER encoding of each value.

## Invoking asn1Coding

asn1Coding is invoked as asn1Coding [options] definitions-file assignments-file from a shell. The option -o names the output file; without it the encoding is written beside the assignments file.

# Beekeeping

A beehive is inspected every seven days in swarm season. The beekeeper looks for queen cells on the lower edge of each frame.
`;

function form(name: string, text: string): FormData {
  const f = new FormData();
  f.append('file', new Blob([text], { type: 'text/markdown' }), name);
  return f;
}

async function uploadReady(client: TestClient, ws: string, name: string, text: string) {
  const doc = await client.json('POST', `/api/workspaces/${ws}/documents`, form(name, text), 202);
  const until = Date.now() + 90_000;
  for (;;) {
    const d = await client.json('GET', `/api/workspaces/${ws}/documents/${doc.id}`, undefined, 200);
    if (d.status === 'ready' && d.vectors.ready === d.vectors.total) return doc.id as string;
    if (d.status === 'failed' || Date.now() > until) throw new Error(`${name}: ${d.status} ${d.error ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('ask threads (offline answers)', () => {
  let app: TestApp;
  let owner: TestClient;
  let member: TestClient;
  let stranger: TestClient;
  let ws: string;
  let memberId: string;

  beforeAll(async () => {
    app = await startTestApp({ runtime: fast, env: { ASK_LIMIT_PER_MINUTE: '40' } });
    owner = new TestClient(app);
    member = new TestClient(app);
    stranger = new TestClient(app);
    await owner.signUp('owner@example.com'); // the first account: an admin
    memberId = (await member.signUp('member@example.com')).user.id;
    await stranger.signUp('stranger@example.com');
    ws = (await owner.json('POST', '/api/workspaces', { name: 'Manuals' }, 201)).id;
    await owner.json('POST', `/api/workspaces/${ws}/members`, { email: 'member@example.com', role: 'viewer' }, 201);
    await uploadReady(owner, ws, 'asn1.md', MANUAL);
  }, 180_000);
  afterAll(() => app?.dispose());

  const threadPath = (id: string) => `/api/workspaces/${ws}/threads/${id}`;

  it('a follow-up is answered about the same subject, and the thread keeps both turns', async () => {
    const thread = await owner.json('POST', `/api/workspaces/${ws}/threads`, {}, 201);
    expect(thread).toMatchObject({ title: 'New conversation', shared: false, mine: true });

    const first = await owner.json('POST', `${threadPath(thread.id)}/messages`, { question: 'What does asn1Coding do?' }, 201);
    expect(first).toMatchObject({ status: 'done', mode: 'extractive', model: null, ordinal: 1, retrievalQuery: 'What does asn1Coding do?' });
    expect(first.answer).toMatch(/encodes ASN\.1 values/);

    const started = performance.now();
    let firstToken = 0;
    const res = await owner.request('POST', `${threadPath(thread.id)}/messages`, { question: 'and how is it invoked?' }, { accept: 'text/event-stream' });
    expect(res.status).toBe(200);
    const events = await readSse(res, (e, ms) => {
      if (e.event === 'delta' && firstToken === 0) firstToken = ms;
    }, started);
    console.log(`[threads] time to first token (offline extractive, MiniLM, follow-up): ${firstToken.toFixed(0)} ms`);
    expect(events[0]!.event).toBe('message');
    // The follow-up carries the previous question's subject into retrieval.
    expect(events[0]!.data.retrievalQuery).toBe('and how is it invoked? asn1Coding');
    const done = events.find((e) => e.event === 'done')!.data;
    expect(done.answer).toMatch(/invoked as asn1Coding/);
    expect(done.citations.every((c: { documentTitle: string }) => /asn1/i.test(c.documentTitle))).toBe(true);
    // Streamed per sentence: the deltas add up to the stored answer.
    expect(events.filter((e) => e.event === 'delta').map((e) => e.data.text).join('')).toBe(done.answer);

    const kept = await owner.json('GET', threadPath(thread.id), undefined, 200);
    expect(kept.thread.title).toBe('What does asn1Coding do?');
    expect(kept.messages.map((m: { question: string; status: string }) => [m.question, m.status])).toEqual([
      ['What does asn1Coding do?', 'done'],
      ['and how is it invoked?', 'done'],
    ]);
    expect(kept.messages[1].answer).toBe(done.answer);

    // A change of subject is not dragged back to the old one.
    const other = await owner.json('POST', `${threadPath(thread.id)}/messages`, { question: 'How often is a beehive inspected in swarm season?' }, 201);
    expect(other.retrievalQuery).toBe('How often is a beehive inspected in swarm season?');
    expect(other.answer).toMatch(/seven days/);
  }, 60_000);

  it('threads are listed newest first, renamed and deleted (audited), across sessions', async () => {
    const a = await owner.json('POST', `/api/workspaces/${ws}/threads`, { title: 'First' }, 201);
    const b = await owner.json('POST', `/api/workspaces/${ws}/threads`, { title: 'Second' }, 201);
    const renamed = await owner.json('PATCH', threadPath(a.id), { title: 'Renamed' }, 200);
    expect(renamed.title).toBe('Renamed');
    // A new session (sign in again) sees the same threads.
    const again = new TestClient(app);
    expect((await again.signIn('owner@example.com')).status).toBe(200);
    const list = await again.json('GET', `/api/workspaces/${ws}/threads?limit=2`, undefined, 200);
    expect(list.items.map((t: { id: string }) => t.id)).toEqual([a.id, b.id]);
    expect(list.nextCursor).not.toBeNull();
    const rest = await again.json('GET', `/api/workspaces/${ws}/threads?limit=100&cursor=${list.nextCursor}`, undefined, 200);
    expect(rest.items.map((t: { id: string }) => t.id)).not.toContain(a.id);

    expect((await owner.request('DELETE', threadPath(b.id))).status).toBe(204);
    expect((await owner.request('GET', threadPath(b.id))).status).toBe(404);
    const db = app.runtime.database.db;
    const audited = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'thread.deleted'), eq(auditEvents.targetId, b.id)));
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ actorEmail: 'owner@example.com', outcome: 'success' });
    expect((await owner.request('PATCH', threadPath(a.id), { title: '' })).status).toBe(400);
  });

  it('isolation: a stranger, a member (private thread), and a member who left cannot list, read or continue — 100 requests in parallel', async () => {
    const t = await owner.json('POST', `/api/workspaces/${ws}/threads`, { title: 'Private plans' }, 201);
    const m = await owner.json('POST', `${threadPath(t.id)}/messages`, { question: 'What does asn1Coding do?' }, 201);
    const probes = (client: TestClient) => [
      () => client.request('GET', `/api/workspaces/${ws}/threads`),
      () => client.request('GET', `/api/workspaces/${ws}/threads?scope=shared`),
      () => client.request('GET', threadPath(t.id)),
      () => client.request('GET', `${threadPath(t.id)}/messages/${m.id}`),
      () => client.request('POST', `${threadPath(t.id)}/messages`, { question: 'and how is it invoked?' }),
      () => client.request('POST', `${threadPath(t.id)}/messages/${m.id}/regenerate`),
      () => client.request('PATCH', threadPath(t.id), { shared: true }),
      () => client.request('DELETE', threadPath(t.id)),
      () => client.request('PUT', `${threadPath(t.id)}/messages/${m.id}/feedback`, { rating: 'down' }),
      () => client.request('POST', `${threadPath(t.id)}/messages/${m.id}/stop`),
    ];
    // The stranger: every probe is 404, 100 at once.
    const strangerProbes = probes(stranger);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => strangerProbes[i % strangerProbes.length]!()));
    expect(results.map((r) => r.status)).toEqual(Array(100).fill(404));

    // A member: the list holds none of the owner's threads; the private thread is 404 on every route.
    const listed = await member.json('GET', `/api/workspaces/${ws}/threads?scope=shared`, undefined, 200);
    expect(listed.items.map((x: { id: string }) => x.id)).not.toContain(t.id);
    const memberProbes = probes(member).slice(2);
    const asMember = await Promise.all(Array.from({ length: 100 }, (_, i) => memberProbes[i % memberProbes.length]!()));
    expect(asMember.map((r) => r.status)).toEqual(Array(100).fill(404));

    // Shared: the member reads it (list, thread, message) and still cannot continue or change it (403).
    await owner.json('PATCH', threadPath(t.id), { shared: true }, 200);
    const shared = await member.json('GET', `/api/workspaces/${ws}/threads?scope=shared`, undefined, 200);
    expect(shared.items).toEqual([expect.objectContaining({ id: t.id, shared: true, mine: false, ownerName: 'owner' })]);
    expect((await member.json('GET', threadPath(t.id), undefined, 200)).messages).toHaveLength(1);
    for (const write of probes(member).slice(4)) {
      const res = await write();
      expect(res.status).toBe(403);
      expect((await res.json()).error.code).toBe('read_only_thread');
    }
    const sharedAudit = await app.runtime.database.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'thread.shared'), eq(auditEvents.targetId, t.id)));
    expect(sharedAudit).toHaveLength(1);

    // The member leaves the workspace: nothing of it is visible any more, shared or not.
    await owner.json('DELETE', `/api/workspaces/${ws}/members/${memberId}`, undefined, 204);
    const left = probes(member);
    const afterLeaving = await Promise.all(Array.from({ length: 100 }, (_, i) => left[i % left.length]!()));
    expect(afterLeaving.map((r) => r.status)).toEqual(Array(100).fill(404));
    await owner.json('POST', `/api/workspaces/${ws}/members`, { email: 'member@example.com', role: 'viewer' }, 201);
  }, 60_000);

  it('one answer at a time per thread: two questions at once, one is answered and the other is 409', async () => {
    const t = await owner.json('POST', `/api/workspaces/${ws}/threads`, {}, 201);
    const both = await Promise.all([
      owner.request('POST', `${threadPath(t.id)}/messages`, { question: 'What does asn1Coding do?' }),
      owner.request('POST', `${threadPath(t.id)}/messages`, { question: 'How often is a beehive inspected?' }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    const refused = both.find((r) => r.status === 409)!;
    expect((await refused.json()).error.code).toBe('answer_in_progress');
    expect((await owner.json('GET', threadPath(t.id), undefined, 200)).messages).toHaveLength(1);
  });

  it('a thread id of another workspace is not found, and deleting a workspace deletes its threads', async () => {
    const other = (await owner.json('POST', '/api/workspaces', { name: 'Doomed' }, 201)).id;
    const t = await owner.json('POST', `/api/workspaces/${other}/threads`, {}, 201);
    await owner.json('POST', `/api/workspaces/${other}/threads/${t.id}/messages`, { question: 'Anything?' }, 201);
    expect((await owner.request('GET', `/api/workspaces/${ws}/threads/${t.id}`)).status).toBe(404);
    expect((await owner.request('GET', `/api/workspaces/${ws}/threads/not-a-uuid`)).status).toBe(404);
    const db = app.runtime.database.db;
    expect((await db.select().from(askMessages).where(eq(askMessages.workspaceId, other))).length).toBe(1);
    await owner.json('DELETE', `/api/workspaces/${other}`, undefined, 204);
    expect(await db.select().from(askThreads).where(eq(askThreads.workspaceId, other))).toEqual([]);
    expect(await db.select().from(askMessages).where(eq(askMessages.workspaceId, other))).toEqual([]);
  });

  it('a finished answer survives a dropped stream: GET the message, or follow its events again', async () => {
    const t = await owner.json('POST', `/api/workspaces/${ws}/threads`, {}, 201);
    const res = await owner.request('POST', `${threadPath(t.id)}/messages`, { question: 'What does asn1Coding do?' }, { accept: 'text/event-stream' });
    // Read only the first event, then drop the connection.
    const [first] = await readSse(res, () => false);
    expect(first!.event).toBe('message');
    const id = first!.data.id as string;
    const until = Date.now() + 30_000;
    let stored;
    do {
      stored = await owner.json('GET', `${threadPath(t.id)}/messages/${id}`, undefined, 200);
      if (stored.status !== 'pending') break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < until);
    expect(stored.status).toBe('done');
    expect(stored.answer).toMatch(/encodes ASN\.1 values/);
    const replay = parseSse(await (await owner.request('GET', `${threadPath(t.id)}/messages/${id}/events`)).text());
    expect(replay.at(-1)).toMatchObject({ event: 'done', data: { answer: stored.answer, mode: 'extractive' } });
  });

  it('regenerate, feedback, and the admin export of ratings (audited; members get 403)', async () => {
    const t = await owner.json('POST', `/api/workspaces/${ws}/threads`, {}, 201);
    const m = await owner.json('POST', `${threadPath(t.id)}/messages`, { question: 'How often is a beehive inspected?' }, 201);
    const rated = await owner.json('PUT', `${threadPath(t.id)}/messages/${m.id}/feedback`, { rating: 'up' }, 200);
    expect(rated.feedback).toBe('up');
    expect((await owner.request('PUT', `${threadPath(t.id)}/messages/${m.id}/feedback`, { rating: 'sideways' })).status).toBe(400);
    const exported = await owner.json('GET', '/api/admin/answer-feedback', undefined, 200);
    expect(exported.items).toContainEqual(expect.objectContaining({ messageId: m.id, rating: 'up', question: 'How often is a beehive inspected?', workspaceId: ws, mode: 'extractive' }));
    const audit = await app.runtime.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'answer_feedback.exported'));
    expect(audit.length).toBeGreaterThanOrEqual(1);
    expect((await member.request('GET', '/api/admin/answer-feedback')).status).toBe(403);

    const again = await owner.json('POST', `${threadPath(t.id)}/messages/${m.id}/regenerate`, undefined, 201);
    expect(again).toMatchObject({ id: m.id, status: 'done', feedback: null });
    expect(again.answer).toMatch(/seven days/);
  });

  it('a question too long is refused in words; the ask limit answers 429 with Retry-After', async () => {
    const t = await owner.json('POST', `/api/workspaces/${ws}/threads`, {}, 201);
    const long = await owner.request('POST', `${threadPath(t.id)}/messages`, { question: 'x'.repeat(2001) });
    expect(long.status).toBe(400);
    expect((await long.json()).error.message).toMatch(/at most 2000 characters long/);
    // Another user's limit is their own: spend the member's 40 a minute with one-off asks.
    const asked = await Promise.all(Array.from({ length: 45 }, () => member.request('POST', `/api/workspaces/${ws}/ask`, { question: 'What does asn1Coding do?' })));
    const statuses = asked.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    const refused = asked.find((r) => r.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json()).error.message).toMatch(/You have asked 40 questions in a minute/);
    // The owner is not affected.
    expect((await owner.request('POST', `/api/workspaces/${ws}/ask`, { question: 'What does asn1Coding do?' })).status).toBe(200);
    // Counted in PostgreSQL's auth_limits (every replica shares it): all 45 attempts, refused ones included.
    const rows = await queryRows<{ attempts: number }>(app.runtime.database.db, sql`select attempts from auth_limits where key = ${`ask-user-minute:${memberId}`}`);
    expect(rows.map((r) => Number(r.attempts))).toEqual([45]);
  }, 120_000);
});
