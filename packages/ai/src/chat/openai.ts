/**
 * Streaming chat completions from any OpenAI-compatible `/chat/completions`
 * endpoint (OpenAI, Ollama, vLLM, llama.cpp server). Retries 429, 5xx and
 * network errors with exponential back-off (honouring Retry-After) — but only
 * before the first token: a stream that has started is never replayed. Every
 * wait is bounded: the connection and each gap between chunks by `timeoutMs`.
 */
import type { ChatMessage, ChatProvider } from '../types.js';
import { sleep } from '../sleep.js';

export interface OpenAIChatOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
  maxRetries?: number;
  /** First back-off delay; doubles per retry (with jitter), capped at 20 s. */
  retryBaseMs?: number;
  temperature?: number;
  fetch?: typeof fetch;
}

export class ChatProviderError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** Worth retrying later (rate limit, server error, network, timeout). */
    readonly transient = false,
  ) {
    super(message);
    this.name = 'ChatProviderError';
  }
}

/** The server's own message from an error body, shortened; never echoes request content. */
function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === 'string') return message.slice(0, 200);
  } catch {
    /* not JSON */
  }
  return body.slice(0, 200).replace(/\s+/g, ' ');
}

export function createOpenAIChatProvider(options: OpenAIChatOptions): ChatProvider {
  const maxRetries = options.maxRetries ?? 3;
  const retryBase = options.retryBaseMs ?? 500;
  const doFetch = options.fetch ?? fetch;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;

  /** One attempt per loop turn, each with its own controller (linked to the caller's signal). */
  async function open(messages: ChatMessage[], maxTokens: number | undefined, signal: AbortSignal | undefined) {
    let lastError: ChatProviderError | undefined;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      signal?.throwIfAborted();
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timedOut = new ChatProviderError(`chat model did not answer within ${options.timeoutMs} ms`, undefined, true);
      const timer = setTimeout(() => controller.abort(timedOut), options.timeoutMs);
      let retryAfterMs: number | undefined;
      try {
        const response = await doFetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify({
            model: options.model,
            messages,
            stream: true,
            temperature: options.temperature ?? 0.1,
            ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
          }),
          signal: controller.signal,
        });
        clearTimeout(timer);
        if (response.ok && response.body) return { body: response.body, controller, release: () => signal?.removeEventListener('abort', onAbort) };
        const transient = response.status === 429 || response.status >= 500;
        const detail = errorDetail(await response.text().catch(() => ''));
        lastError = new ChatProviderError(`chat model answered ${response.status}${detail ? `: ${detail}` : ''}`, response.status, transient);
        if (!transient) throw lastError;
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = Math.min(retryAfter * 1000, 20_000);
      } catch (error) {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error instanceof ChatProviderError && !error.transient) throw error;
        if (signal?.aborted) throw signal.reason;
        if (controller.signal.reason === timedOut) lastError = timedOut;
        else if (error instanceof ChatProviderError) lastError = error;
        else lastError = new ChatProviderError(`chat model unreachable: ${(error as Error).message}`, undefined, true);
      }
      signal?.removeEventListener('abort', onAbort);
      if (attempt < maxRetries) {
        const backoff = Math.min(20_000, retryBase * 2 ** attempt) * (0.75 + Math.random() * 0.5);
        await sleep(retryAfterMs ?? backoff, signal);
      }
    }
    throw lastError ?? new ChatProviderError('chat request failed', undefined, true);
  }

  return {
    provider: 'openai',
    model: options.model,
    async *stream(messages, streamOptions = {}) {
      const { signal, maxTokens } = streamOptions;
      const { body, controller, release } = await open(messages, maxTokens, signal);
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        yield* readStream(body, controller, options.timeoutMs, signal);
      } finally {
        release();
        signal?.removeEventListener('abort', onAbort);
        // Stops the HTTP stream when the consumer leaves early or an error ends it.
        controller.abort();
      }
    },
  };
}

/** Parses `data: {...}` server-sent events of a chat-completions stream into content pieces. */
async function* readStream(body: ReadableStream<Uint8Array>, controller: AbortController, idleMs: number, signal?: AbortSignal): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let finished = false;
  const read = async () => {
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ChatProviderError(`chat model stalled for ${idleMs} ms`, undefined, true);
        controller.abort(error);
        reject(error);
      }, idleMs);
    });
    try {
      return await Promise.race([reader.read(), idle]);
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    for (;;) {
      const { done, value } = await read().catch((error: unknown) => {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof ChatProviderError) throw error;
        throw new ChatProviderError(`chat stream broke: ${(error as Error).message}`, undefined, true);
      });
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') {
          finished = true;
          return;
        }
        let chunk: { choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>; error?: { message?: string } };
        try {
          chunk = JSON.parse(data) as typeof chunk;
        } catch {
          throw new ChatProviderError('chat model sent a malformed stream chunk');
        }
        if (chunk.error) throw new ChatProviderError(`chat model error: ${String(chunk.error.message ?? 'unknown').slice(0, 200)}`);
        const content = chunk.choices?.[0]?.delta?.content;
        if (typeof content === 'string' && content !== '') yield content;
        if (chunk.choices?.[0]?.finish_reason) finished = true;
      }
    }
    if (!finished) throw new ChatProviderError('chat stream ended before the model finished', undefined, true);
  } finally {
    try {
      reader.releaseLock();
    } catch {
      /* a read was still pending; the caller aborts the request */
    }
  }
}
