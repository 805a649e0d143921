/**
 * What an error may put in a log line (docs/security.md §9). Error messages
 * carry the caller's data more often than one would think: Drizzle's
 * `Failed query: … params: …` holds every bound value (search text, a
 * question, a title, an API key's hash, an e-mail), PostgreSQL quotes the
 * offending value (`invalid input syntax for type uuid: "…"`) and puts keys
 * in `detail`. So a logged error keeps its name, code, our own SQL (never its
 * parameters), messages with quoted values masked, and stack frames — enough
 * for an operator to find the fault, nothing a user typed.
 */

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  stack?: unknown;
  cause?: unknown;
  query?: unknown;
  params?: unknown;
}

const MAX_MESSAGE = 500;
const MAX_FRAMES = 12;
const MAX_DEPTH = 3;

/** Replaces quoted substrings ("…", '…') with an ellipsis: they are where messages put values. */
export function maskQuoted(message: string): string {
  return message.replace(/"[^"\n]*"/g, '"…"').replace(/'[^'\n]*'/g, "'…'");
}

/** The error as a log field: `{ name, code?, message, query?, stack?, cause? }`, without any value the caller sent. */
export function loggableError(error: unknown, depth = 0): Record<string, unknown> {
  if (error === null || typeof error !== 'object') return { message: typeof error === 'string' ? maskQuoted(error.slice(0, 4 * MAX_MESSAGE)).slice(0, MAX_MESSAGE) : typeof error };
  const e = error as ErrorLike;
  const out: Record<string, unknown> = { name: typeof e.name === 'string' ? e.name : 'Error' };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  const isQueryError = typeof e.query === 'string' && 'params' in e;
  if (isQueryError) {
    // Our parameterized SQL, minus any literal: the values live in `params`, which never leaves here.
    out.message = 'Failed query';
    out.query = (e.query as string).replace(/'(?:[^']|'')*'/g, "'…'").slice(0, 2000);
  } else if (typeof e.message === 'string') {
    // A message may still hold a `params:` tail when the error was re-wrapped: cut it.
    out.message = maskQuoted(e.message.slice(0, 4 * MAX_MESSAGE).split(/\nparams:/)[0]!).slice(0, MAX_MESSAGE);
  }
  if (typeof e.stack === 'string') {
    // Frames only: the stack's first line repeats the message.
    const frames = e.stack.split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, MAX_FRAMES);
    if (frames.length > 0) out.stack = frames.map((f) => f.trim()).join('\n');
  }
  if (e.cause !== undefined && depth < MAX_DEPTH) out.cause = loggableError(e.cause, depth + 1);
  return out;
}
