/**
 * Generated answers in threads against fake OpenAI-compatible servers this
 * test starts on 127.0.0.1 — one for chat, another for embeddings, and
 * OPENAI_BASE_URL pointing at a third address nothing listens on, so a call
 * to the wrong endpoint fails the test. Proves: tokens stream in order; a
 * stop closes the upstream request (the chat server sees its connection
 * close mid-stream); a citation to a passage that was not given is removed
 * from the stream and the stored answer, and the answer is marked; a
 * follow-up is rewritten by the model for retrieval; each server receives
 * only its own calls, with its own key. Prints time to first token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeChat, type FakeChat } from '../../../test/support/fake-chat.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';
import { freePort } from '../../../test/support/process.js';
import { parseSse, readSse, type SseEvent } from '../../../test/support/sse.js';

const fast = { ingest: { pollMs: 100, retryBaseMs: 20, leaseMs: 2_000 } };
const MANUAL = `# asn1Coding

asn1Coding is a command-line tool that encodes ASN.1 values into DER. It reads an ASN.1 definitions file and a file of value assignments.

## Invoking asn1Coding

asn1Coding is invoked as asn1Coding [options] definitions-file assignments-file from a shell.
`;

const isRewrite = (messages: Array<{ role: string; content: string }>) => messages[0]?.content.startsWith('You rewrite');

describe('threads with a chat model on its own endpoint, embeddings on another', () => {
  let chat: FakeChat;
  let embeddings: FakeOpenAI;
  let app: TestApp;
  let alice: TestClient;
  let ws: string;
  let answerPieces: string[] = ['asn1Coding encodes ASN.1 values [1].'];

  beforeAll(async () => {
    chat = await startFakeChat();
    embeddings = await startFakeOpenAI({ dimensions: 64 });
    chat.reply = (messages) => (isRewrite(messages) ? ['How is asn1Coding invoked?'] : answerPieces);
    const nowhere = await freePort(); // nothing listens here: a call sent to OPENAI_BASE_URL would fail
    app = await startTestApp({
      runtime: fast,
      env: {
        OPENAI_BASE_URL: `http://127.0.0.1:${nowhere}/v1`,
        OPENAI_API_KEY: 'shared-key',
        CHAT_BASE_URL: chat.baseUrl,
        CHAT_API_KEY: 'chat-key',
        CHAT_MODEL: 'fake-chat-1',
        EMBEDDING_BASE_URL: embeddings.baseUrl,
        EMBEDDING_API_KEY: 'embedding-key',
        EMBEDDING_MODEL: 'fake-embed',
        EMBEDDING_DIMENSIONS: '64',
        AI_TIMEOUT_MS: '5000',
        ASK_LIMIT_PER_MINUTE: '100',
      },
    });
    alice = new TestClient(app);
    await alice.signUp('alice@example.com');
    ws = (await alice.json('POST', '/api/workspaces', { name: 'Manuals' }, 201)).id;
    const form = new FormData();
    form.append('file', new Blob([MANUAL], { type: 'text/markdown' }), 'asn1.md');
    const doc = await alice.json('POST', `/api/workspaces/${ws}/documents`, form, 202);
    const until = Date.now() + 60_000;
    for (;;) {
      const d = await alice.json('GET', `/api/workspaces/${ws}/documents/${doc.id}`, undefined, 200);
      if (d.status === 'ready' && d.vectors.ready === d.vectors.total) break;
      if (d.status === 'failed' || Date.now() > until) throw new Error(`upload: ${d.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);
  afterAll(async () => {
    await app?.dispose();
    await chat?.close();
    await embeddings?.close();
  });

  async function newThread() {
    return (await alice.json('POST', `/api/workspaces/${ws}/threads`, {}, 201)).id as string;
  }
  const ask = (thread: string, question: string) =>
    alice.request('POST', `/api/workspaces/${ws}/threads/${thread}/messages`, { question }, { accept: 'text/event-stream' });

  it('streams the model tokens in order, each as it arrives; the stored answer is their sum (time to first token printed)', async () => {
    answerPieces = ['asn1Coding', ' encodes', ' ASN.1 values', ' into DER [', '1].'];
    const thread = await newThread();
    const started = performance.now();
    let firstToken = 0;
    const res = await ask(thread, 'What does asn1Coding do?');
    const events = await readSse(res, (e, ms) => {
      if (e.event === 'delta' && firstToken === 0) firstToken = ms;
    }, started);
    const deltas = events.filter((e) => e.event === 'delta').map((e) => e.data.text);
    // Split where the citation check held back an unfinished "[": still in order, nothing lost.
    expect(deltas).toEqual(['asn1Coding', ' encodes', ' ASN.1 values', ' into DER ', '[1].']);
    const done = events.find((e) => e.event === 'done')!.data;
    expect(done).toMatchObject({ answer: 'asn1Coding encodes ASN.1 values into DER [1].', mode: 'generated', model: 'fake-chat-1', removedCitations: [] });
    expect(done.citations.map((c: { n: number }) => c.n)).toEqual([1]);
    console.log(`[threads-chat] time to first token (fake chat server, generated): ${firstToken.toFixed(0)} ms`);
    expect(firstToken).toBeGreaterThan(0);
  });

  it('a citation to a passage that was not given is removed before it is shown, and the answer is marked', async () => {
    answerPieces = ['It encodes values [1]', ' and decodes them [7].', ' It is a shell tool [1, 9].'];
    const thread = await newThread();
    const events = parseSse(await (await ask(thread, 'What does asn1Coding do?')).text());
    const given = events.find((e) => e.event === 'citations')!.data as Array<{ n: number }>;
    expect(given.length).toBeLessThan(7);
    const shown = events.filter((e) => e.event === 'delta').map((e) => e.data.text).join('');
    expect(shown).not.toMatch(/\[7\]|9\]/);
    const done = events.find((e) => e.event === 'done')!.data;
    expect(done.answer).toBe(shown);
    expect(done.answer).toContain('It is a shell tool [1].');
    expect(done.removedCitations).toEqual([7, 9]);
    const stored = (await alice.json('GET', `/api/workspaces/${ws}/threads/${thread}`, undefined, 200)).messages[0];
    expect(stored).toMatchObject({ status: 'done', answer: shown, removedCitations: [7, 9] });
  });

  it('stop cancels the upstream request: the chat server sees its connection close mid-stream, the partial answer is kept', async () => {
    answerPieces = Array.from({ length: 60 }, (_, i) => ` word${i}`);
    chat.pieceDelayMs = 100;
    try {
      const thread = await newThread();
      const streamsBefore = chat.streams.length;
      let messageId = '';
      const res = await ask(thread, 'What does asn1Coding do?');
      const events: SseEvent[] = await readSse(res, (e) => {
        if (e.event === 'message') messageId = e.data.id;
        if (e.event === 'delta' && e.data.text === ' word2') {
          void alice.json('POST', `/api/workspaces/${ws}/threads/${thread}/messages/${messageId}/stop`, undefined, 202);
        }
      });
      expect(events.at(-1)!.event).toBe('stopped');
      const upstream = chat.streams[streamsBefore]!;
      await Promise.race([upstream.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('upstream still open')), 5_000))]);
      expect(upstream.closedByClient).toBe(true);
      expect(upstream.piecesSent).toBeLessThan(60);
      const stored = await alice.json('GET', `/api/workspaces/${ws}/threads/${thread}/messages/${messageId}`, undefined, 200);
      expect(stored.status).toBe('stopped');
      expect(stored.answer.startsWith(' word0 word1 word2')).toBe(true);
      expect(stored.answer).not.toContain('word59');
    } finally {
      chat.pieceDelayMs = 0;
    }
  });

  it('a dropped client does not stop the answer: the upstream stream runs to its end and the answer is stored', async () => {
    answerPieces = Array.from({ length: 10 }, (_, i) => ` part${i}`);
    chat.pieceDelayMs = 30;
    try {
      const thread = await newThread();
      const streamsBefore = chat.streams.length;
      const res = await ask(thread, 'What does asn1Coding do?');
      const [first] = await readSse(res, () => false); // the tab closes after the first event
      for (let i = 0; i < 100 && chat.streams.length === streamsBefore; i++) await new Promise((r) => setTimeout(r, 50));
      const upstream = chat.streams[streamsBefore]!;
      await upstream.closed;
      expect(upstream.closedByClient).toBe(false);
      let stored;
      for (let i = 0; i < 50; i++) {
        stored = await alice.json('GET', `/api/workspaces/${ws}/threads/${thread}/messages/${first!.data.id}`, undefined, 200);
        if (stored.status !== 'pending') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(stored).toMatchObject({ status: 'done', answer: answerPieces.join('') });
    } finally {
      chat.pieceDelayMs = 0;
    }
  });

  it('a follow-up is rewritten by the model into a standalone query, and the model sees the earlier turn', async () => {
    answerPieces = ['asn1Coding encodes ASN.1 values [1].'];
    const thread = await newThread();
    await alice.json('POST', `/api/workspaces/${ws}/threads/${thread}/messages`, { question: 'What does asn1Coding do?' }, 201);
    const before = chat.requests.length;
    answerPieces = ['It is invoked as asn1Coding [options] definitions-file assignments-file [1].'];
    const follow = await alice.json('POST', `/api/workspaces/${ws}/threads/${thread}/messages`, { question: 'and how is it invoked?' }, 201);
    expect(follow.retrievalQuery).toBe('How is asn1Coding invoked?');
    const [rewrite, answer] = chat.requests.slice(before);
    expect(rewrite!.messages.at(-1)!.content).toContain('What does asn1Coding do?');
    expect(answer!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(answer!.messages[1]!.content).toBe('What does asn1Coding do?');
    expect(answer!.messages[2]!.content).not.toContain('[1]');
    expect(follow.answer).toContain('invoked as asn1Coding');
  });

  it('each endpoint received only its own calls, with its own key', () => {
    expect(chat.paths.length).toBeGreaterThan(0);
    expect(new Set(chat.paths)).toEqual(new Set(['POST /v1/chat/completions']));
    expect(new Set(chat.requests.map((r) => r.authorization))).toEqual(new Set(['Bearer chat-key']));
    expect(new Set(chat.requests.map((r) => r.model))).toEqual(new Set(['fake-chat-1']));
    expect(embeddings.requests.length).toBeGreaterThan(0);
    expect(new Set(embeddings.requests.map((r) => r.path))).toEqual(new Set(['POST /v1/embeddings']));
    expect(new Set(embeddings.requests.map((r) => r.authorization))).toEqual(new Set(['Bearer embedding-key']));
  });
});
