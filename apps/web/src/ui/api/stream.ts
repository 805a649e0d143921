/**
 * Server-sent events over a POST (EventSource only does GET): read the
 * response body as a stream and split it into events by the SSE rules.
 */
import { toApiError } from './client.js';
import type { Answer, Citation } from './contract.js';

export interface SseEvent {
  event: string;
  data: string;
}

/** Incremental SSE parser: feed it text chunks, get whole events back. */
export function createSseParser() {
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  return (chunk: string): SseEvent[] => {
    buffer += chunk;
    const out: SseEvent[] = [];
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone CR at the end may be the first half of a CRLF split across chunks.
      if (newline === buffer.length - 1 && buffer.endsWith('\r')) break;
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length) out.push({ event, data: data.join('\n') });
        event = 'message';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
    }
    return out;
  };
}

export interface AskHandlers {
  onCitations(citations: Citation[]): void;
  onDelta(text: string): void;
  onDone(answer: Answer): void;
}

/** POSTs a question and streams the answer's events to the handlers. Throws ApiError on failure. */
export async function askStream(
  url: string,
  body: { question: string; documentIds?: string[] },
  handlers: AskHandlers,
  signal?: AbortSignal,
): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) {
    const payload: unknown = await res.json().catch(() => undefined);
    throw toApiError(res.status, payload, res.headers.get('x-request-id') ?? undefined);
  }
  if (!res.body) throw toApiError(502, { error: { code: 'no_stream', message: 'The server sent no answer stream.' } });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const parse = createSseParser();
  let finished = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const ev of parse(value)) {
      const payload: unknown = JSON.parse(ev.data);
      if (ev.event === 'citations') handlers.onCitations(payload as Citation[]);
      else if (ev.event === 'delta') handlers.onDelta((payload as { text: string }).text);
      else if (ev.event === 'done') {
        finished = true;
        handlers.onDone(payload as Answer);
      } else if (ev.event === 'error') {
        throw toApiError(500, payload);
      }
    }
  }
  if (!finished)
    throw toApiError(502, {
      error: { code: 'stream_ended', message: 'The answer stream ended before the answer was complete. Try again.' },
    });
}
