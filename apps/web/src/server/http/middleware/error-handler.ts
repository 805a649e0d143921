/** Maps every thrown error to the API's JSON error shape; never leaks a stack. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import { isDiskFullError } from '@quarry/db';
import { AppError } from '../errors.js';
import type { AppEnv } from '../context.js';

export function errorBody(c: Context<AppEnv>, code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, requestId: c.get('requestId'), ...extra } };
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
  if (isDiskFullError(error)) {
    // The embedded database's disk is full: it stops writing and resumes once space is freed.
    log?.error({ err: { name: error.name, message: error.message.slice(0, 300) } }, 'database write refused: disk full');
    c.header('Retry-After', '30');
    return c.json(
      errorBody(c, 'service_unavailable', 'The server is out of disk space and cannot save changes right now. Try again later.'),
      503,
    );
  }
  log?.error({ err: { name: error.name, message: error.message, stack: error.stack } }, 'unhandled error');
  return c.json(errorBody(c, 'internal_error', 'Something went wrong on our side. The request id helps an operator find it.'), 500);
}
