/**
 * Messages between the main thread and the thread that owns PGlite (entry.ts).
 * Everything here is structured-clonable: SQL, parameters, rows and plain error
 * fields. Parser functions cannot cross threads, so a query names the type OIDs
 * whose values are to stay as PostgreSQL's text (all Drizzle asks of its parsers).
 */

export interface QueryOptions {
  rowMode?: 'array' | 'object';
  /** Type OIDs left as text rather than parsed. */
  rawTypes?: number[];
}

export type ToThread =
  | { type: 'query'; id: number; tx?: number; sql: string; params?: unknown[]; options?: QueryOptions }
  | { type: 'exec'; id: number; tx?: number; sql: string }
  /** Opens a transaction; the reply comes once statements with `tx` may be sent. */
  | { type: 'begin'; id: number; tx: number }
  | { type: 'end'; id: number; tx: number; commit: boolean }
  | { type: 'close'; id: number };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** PostgreSQL's fields (code, detail, position, …) and Node's (errno, syscall, …). */
  fields: Record<string, string | number | boolean>;
}

export type FromThread =
  | { type: 'ready' }
  | { type: 'failed'; error: SerializedError }
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: SerializedError['fields'] = {};
  for (const [key, value] of Object.entries(error)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
  }
  return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}), fields };
}

/** The thread's error, rebuilt here with its fields (what disk-full detection and Drizzle's wrapper read). */
export function reviveError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack) error.stack = serialized.stack;
  return Object.assign(error, serialized.fields);
}
