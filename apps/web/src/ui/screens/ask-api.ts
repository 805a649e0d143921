/**
 * The Ask screen's calls: threads and their messages (routes/threads.ts on
 * the server, documented in docs/api.md), and the answer's event stream —
 * asked with a POST (EventSource only does GET), or followed again after a
 * reload with GET …/events.
 */
import { request, toApiError } from '../api/client.js';
import type { Citation } from '../api/contract.js';
import { createSseParser } from '../api/stream.js';

export type ClosestMatch = Omit<Citation, 'n'>;

export interface Thread {
  id: string;
  title: string;
  shared: boolean;
  mine: boolean;
  ownerName: string;
  createdAt: string;
  updatedAt: string;
}

export type MessageStatus = 'pending' | 'done' | 'stopped' | 'failed';

export interface ThreadMessage {
  id: string;
  ordinal: number;
  question: string;
  retrievalQuery: string;
  status: MessageStatus;
  answer: string;
  citations: Citation[];
  closestMatches: ClosestMatch[];
  removedCitations: number[];
  mode: 'generated' | 'extractive' | null;
  model: string | null;
  errorCode: string | null;
  feedback: 'up' | 'down' | null;
  createdAt: string;
  completedAt: string | null;
}

/** The longest question the server takes (ANSWER_LIMITS.maxQuestionChars). */
export const MAX_QUESTION_CHARS = 2000;

const base = (ws: string) => `/api/workspaces/${encodeURIComponent(ws)}/threads`;
const threadPath = (ws: string, thread: string) => `${base(ws)}/${encodeURIComponent(thread)}`;
const messagePath = (ws: string, thread: string, message: string) => `${threadPath(ws, thread)}/messages/${encodeURIComponent(message)}`;

export const threadsApi = {
  list: (ws: string, scope: 'mine' | 'shared') =>
    request<{ items: Thread[]; nextCursor: string | null }>('GET', base(ws), { query: { scope, limit: 100 } }),
  create: (ws: string) => request<Thread>('POST', base(ws), { body: {} }),
  get: (ws: string, thread: string) => request<{ thread: Thread; messages: ThreadMessage[] }>('GET', threadPath(ws, thread)),
  update: (ws: string, thread: string, change: { title?: string; shared?: boolean }) => request<Thread>('PATCH', threadPath(ws, thread), { body: change }),
  remove: (ws: string, thread: string) => request<void>('DELETE', threadPath(ws, thread)),
  stop: (ws: string, thread: string, message: string) => request<{ stopping: boolean }>('POST', `${messagePath(ws, thread, message)}/stop`),
  feedback: (ws: string, thread: string, message: string, rating: 'up' | 'down' | null) =>
    request<ThreadMessage>('PUT', `${messagePath(ws, thread, message)}/feedback`, { body: { rating } }),
  message: (ws: string, thread: string, message: string) => request<ThreadMessage>('GET', messagePath(ws, thread, message)),
};

export interface AnswerEvents {
  onMessage?(message: { id: string; ordinal: number; question: string; retrievalQuery: string }): void;
  onCitations?(citations: Citation[]): void;
  onDelta?(text: string): void;
  onDone?(answer: { answer: string; citations: Citation[]; closestMatches: ClosestMatch[]; mode: 'generated' | 'extractive'; model: string | null; removedCitations: number[] }): void;
  onStopped?(partial: { answer: string; citations: Citation[] }): void;
}

async function follow(res: Response, handlers: AnswerEvents): Promise<void> {
  if (!res.ok) {
    const payload: unknown = await res.json().catch(() => undefined);
    throw toApiError(res.status, payload, res.headers.get('x-request-id') ?? undefined);
  }
  if (!res.body) throw toApiError(502, { error: { code: 'no_stream', message: 'The server sent no answer stream.' } });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const parse = createSseParser();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    for (const ev of parse(value)) {
      const data: unknown = JSON.parse(ev.data);
      if (ev.event === 'message') handlers.onMessage?.(data as Parameters<NonNullable<AnswerEvents['onMessage']>>[0]);
      else if (ev.event === 'citations') handlers.onCitations?.(data as Citation[]);
      else if (ev.event === 'delta') handlers.onDelta?.((data as { text: string }).text);
      else if (ev.event === 'done') handlers.onDone?.(data as Parameters<NonNullable<AnswerEvents['onDone']>>[0]);
      else if (ev.event === 'stopped') handlers.onStopped?.(data as { answer: string; citations: Citation[] });
      else if (ev.event === 'error') throw toApiError(503, data);
    }
  }
}

const streamHeaders = { accept: 'text/event-stream', 'content-type': 'application/json' };

/** Asks in a thread (or regenerates one message) and follows the answer's events. */
export async function askInThread(
  ws: string,
  thread: string,
  input: { question: string } | { regenerate: string },
  handlers: AnswerEvents,
  signal?: AbortSignal,
): Promise<void> {
  const url = 'regenerate' in input ? `${messagePath(ws, thread, input.regenerate)}/regenerate` : `${threadPath(ws, thread)}/messages`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: streamHeaders,
      body: 'regenerate' in input ? undefined : JSON.stringify({ question: input.question }),
      signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw toApiError(0, { error: { code: 'network_error', message: 'Could not reach the server. Check your connection and try again.' } });
  }
  await follow(res, handlers);
}

/** Follows an answer still being written (after a reload): its events so far, then the rest. */
export async function followAnswer(ws: string, thread: string, message: string, handlers: AnswerEvents, signal?: AbortSignal) {
  const res = await fetch(`${messagePath(ws, thread, message)}/events`, { credentials: 'same-origin', headers: { accept: 'text/event-stream' }, signal });
  await follow(res, handlers);
}
