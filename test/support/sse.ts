/** Reads a server-sent event stream into `{event, data}` pairs (tests only). */
export interface SseEvent {
  event: string;
  data: any;
}

export function parseSse(text: string): SseEvent[] {
  return text
    .split(/\n\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim() ?? 'message';
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      return { event, data: JSON.parse(data) };
    });
}

/**
 * Reads a streamed response event by event as it arrives, calling `onEvent` with the time since `started`;
 * returning false from it stops reading (and cancels the body).
 */
export async function readSse(res: Response, onEvent: (event: SseEvent, elapsedMs: number) => boolean | void, started = performance.now()): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const [event] = parseSse(`${block}\n\n`);
      if (!event) continue;
      events.push(event);
      if (onEvent(event, performance.now() - started) === false) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
}
