import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeChat, type FakeChat } from '../../../../test/support/fake-chat.js';
import { ChatProviderError, createOpenAIChatProvider } from './openai.js';

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const piece of iterable) out.push(piece);
  return out;
}

describe('OpenAI-compatible chat provider', () => {
  let server: FakeChat;
  beforeAll(async () => {
    server = await startFakeChat();
  });
  afterAll(async () => {
    await server.close();
  });

  const provider = (overrides: Partial<Parameters<typeof createOpenAIChatProvider>[0]> = {}) =>
    createOpenAIChatProvider({ baseUrl: server.baseUrl, apiKey: 'sk-test', model: 'test-model', timeoutMs: 2_000, retryBaseMs: 5, ...overrides });

  it('streams the content pieces of the wire format, sending model, messages and the key', async () => {
    server.reply = () => ['Hello', ', ', 'world [1].'];
    const before = server.requests.length;
    const pieces = await collect(provider().stream([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]));
    expect(pieces).toEqual(['Hello', ', ', 'world [1].']);
    const request = server.requests[before]!;
    expect(request).toMatchObject({ model: 'test-model', stream: true, status: 200, authorization: 'Bearer sk-test' });
    expect(request.messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('retries a 429 and a 503, then succeeds', async () => {
    server.reply = () => ['ok'];
    server.script({ kind: 'status', status: 429 }, { kind: 'status', status: 503 });
    const before = server.requests.length;
    expect(await collect(provider().stream([{ role: 'user', content: 'x' }]))).toEqual(['ok']);
    expect(server.requests.slice(before).map((r) => r.status)).toEqual([429, 503, 200]);
  });

  it('does not retry a 400 and surfaces the server message', async () => {
    server.failNext(400);
    const before = server.requests.length;
    const error = await collect(provider().stream([{ role: 'user', content: 'x' }])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatProviderError);
    expect((error as ChatProviderError).message).toMatch(/400: scripted 400/);
    expect(server.requests.length - before).toBe(1);
  });

  it('gives up after the retry budget', async () => {
    server.failNext(500, 500, 500);
    const error = await collect(provider({ maxRetries: 2 }).stream([{ role: 'user', content: 'x' }])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatProviderError);
    expect((error as ChatProviderError).status).toBe(500);
  });

  it('ends with an error when the model reports one mid-stream', async () => {
    server.script({ kind: 'error-mid-stream' });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const piece of provider().stream([{ role: 'user', content: 'x' }])) seen.push(piece);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['Partial']);
    expect((error as Error).message).toMatch(/model overloaded/);
  });

  it('ends a stalled stream after the idle timeout instead of hanging', async () => {
    server.script({ kind: 'stall' });
    const error = await collect(provider({ timeoutMs: 1_000 }).stream([{ role: 'user', content: 'x' }])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatProviderError);
    expect((error as Error).message).toMatch(/stalled/);
  });

  it('reports an unreachable server after retrying', async () => {
    const error = await collect(
      createOpenAIChatProvider({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', timeoutMs: 1_000, retryBaseMs: 1, maxRetries: 1 }).stream([{ role: 'user', content: 'x' }]),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatProviderError);
    expect((error as Error).message).toMatch(/unreachable/);
  });
});
