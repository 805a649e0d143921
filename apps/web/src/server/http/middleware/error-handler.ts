/** Maps every thrown error to the API's JSON error shape; never leaks a stack. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import { isDiskFullError } from '@quarry/db';
import { loggableError } from '../../log-safe.js';
import { AppError } from '../errors.js';
import type { AppEnv } from '../context.js';

export function errorBody(c: Context<AppEnv>, code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, requestId: c.get('requestId'), ...extra } };
}

/**
 * PostgreSQL's refusals of a value no text column can hold: 22021 (a NUL or an invalid byte
 * sequence in `text`) and 22P05 (`\u0000` in `jsonb`). The route schemas refuse NULs first; this
 * is the backstop for a field they missed — the caller's mistake, so a 400, not a 500.
 */
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

function sqlState(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof AppError) {
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    return c.json(errorBody(c, error.code, error.message, error.extra), error.status);
  }
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const field = issue?.path.join('.') || 'body';
    return c.json(errorBody(c, 'invalid_request', `${field}: ${issue?.message ?? 'invalid value'}`, { field }), 400);
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    if (status === 413) return c.json(errorBody(c, 'payload_too_large', 'The request body is too large.'), 413);
    if (status < 500) return c.json(errorBody(c, 'invalid_request', error.message || 'Invalid request.'), status);
  }
  const log = c.get('logger');
  // Every line below logs the error through loggableError: never a query's parameters or a quoted value.
  if (isDiskFullError(error)) {
    // The embedded database's disk is full: it stops writing and resumes once space is freed.
    log?.error({ err: loggableError(error) }, 'database write refused: disk full');
    c.header('Retry-After', '30');
    return c.json(
      errorBody(c, 'service_unavailable', 'The server is out of disk space and cannot save changes right now. Try again later.'),
      503,
    );
  }
  const state = sqlState(error);
  if (state !== undefined && UNSTORABLE_TEXT.has(state)) {
    log?.warn({ err: loggableError(error) }, 'refused a value the database cannot store (a route schema should have)');
    return c.json(errorBody(c, 'invalid_text', 'The request contains characters that cannot be stored (such as NUL, \\u0000).'), 400);
  }
  log?.error({ err: loggableError(error) }, 'unhandled error');
  return c.json(errorBody(c, 'internal_error', 'Something went wrong on our side. The request id helps an operator find it.'), 500);
}
