/**
 * A small HTTP server on 127.0.0.1 speaking the OpenAI chat-completions wire
 * format with streaming (`data: {...}` chunks, then `data: [DONE]`). Tests
 * script failures (`failNext(429)`), a mid-stream model error or a stall,
 * choose the reply, and read back every request body the server received.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequestRecord {
  model: string;
  stream: boolean;
  messages: Array<{ role: string; content: string }>;
  status: number;
  authorization?: string;
}

export type ChatScript =
  | { kind: 'status'; status: number; retryAfter?: number }
  | { kind: 'error-mid-stream' }
  | { kind: 'stall' };

export interface FakeChat {
  baseUrl: string;
  /** What to do for the next requests, in order, before answering normally again. */
  script(...steps: ChatScript[]): void;
  failNext(...statuses: number[]): void;
  /** The reply for normal answers, as pieces streamed one chunk each. */
  reply: (messages: ChatRequestRecord['messages']) => string[];
  requests: ChatRequestRecord[];
  /** Milliseconds between streamed pieces (0: all at once); lets a test stop an answer mid-stream. */
  pieceDelayMs: number;
  /** Every streamed response: whether the client closed the connection before the stream's end. */
  streams: Array<{ closedByClient: boolean; piecesSent: number; closed: Promise<void> }>;
  /** Every request's path (method and URL), to prove which server got which call. */
  paths: string[];
  close(): Promise<void>;
}

function chunk(res: ServerResponse, model: string, delta: Record<string, unknown>, finish: string | null = null) {
  res.write(`data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
}

export async function startFakeChat(): Promise<FakeChat> {
  const steps: ChatScript[] = [];
  const requests: ChatRequestRecord[] = [];
  const open = new Set<ServerResponse>();
  const fake: FakeChat = {
    baseUrl: '',
    script: (...s) => steps.push(...s),
    failNext: (...statuses) => steps.push(...statuses.map((status) => ({ kind: 'status' as const, status }))),
    reply: () => ['The documents say so', ' [1].'],
    requests,
    pieceDelayMs: 0,
    streams: [],
    paths: [],
    close: async () => {
      for (const res of open) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    fake.paths.push(`${req.method} ${req.url}`);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { model?: string; stream?: boolean; messages?: ChatRequestRecord['messages'] } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        /* recorded as empty */
      }
      const model = String(body.model);
      const record = (status: number) =>
        requests.push({ model, stream: body.stream === true, messages: body.messages ?? [], status, authorization: req.headers.authorization });
      if (req.url !== '/v1/chat/completions' || req.method !== 'POST') {
        record(404);
        res.writeHead(404).end();
        return;
      }
      const step = steps.shift();
      if (step?.kind === 'status') {
        record(step.status);
        res.writeHead(step.status, { 'content-type': 'application/json', ...(step.retryAfter ? { 'retry-after': String(step.retryAfter) } : {}) });
        res.end(JSON.stringify({ error: { message: `scripted ${step.status}`, type: 'test' } }));
        return;
      }
      record(200);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      open.add(res);
      res.on('close', () => open.delete(res));
      chunk(res, model, { role: 'assistant', content: '' });
      if (step?.kind === 'stall') {
        chunk(res, model, { content: 'Partial' });
        return; // never finishes: the client's idle timeout must end it
      }
      if (step?.kind === 'error-mid-stream') {
        chunk(res, model, { content: 'Partial' });
        res.write(`data: ${JSON.stringify({ error: { message: 'model overloaded', type: 'server_error' } })}\n\n`);
        res.end();
        return;
      }
      const pieces = fake.reply(body.messages ?? []);
      if (fake.pieceDelayMs <= 0) {
        for (const piece of pieces) chunk(res, model, { content: piece });
        chunk(res, model, {}, 'stop');
        res.write('data: [DONE]\n\n');
        res.end();
        return;
      }
      // Paced: one piece per tick, so a client's abort lands mid-stream; a closed socket ends the loop.
      let ended = false;
      let resolveClosed!: () => void;
      const tracked = { closedByClient: false, piecesSent: 0, closed: new Promise<void>((r) => (resolveClosed = r)) };
      fake.streams.push(tracked);
      res.on('close', () => {
        if (!ended) tracked.closedByClient = true;
        resolveClosed();
      });
      let i = 0;
      const tick = () => {
        if (res.destroyed || res.writableEnded) return;
        if (i < pieces.length) {
          chunk(res, model, { content: pieces[i++]! });
          tracked.piecesSent = i;
          setTimeout(tick, fake.pieceDelayMs);
          return;
        }
        ended = true;
        chunk(res, model, {}, 'stop');
        res.write('data: [DONE]\n\n');
        res.end();
      };
      tick();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.baseUrl = `http://127.0.0.1:${port}/v1`;
  return fake;
}
