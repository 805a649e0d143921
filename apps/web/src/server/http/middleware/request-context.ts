/**
 * Gives every request an id (echoed from `X-Request-Id` when it is sane), a
 * child logger carrying it, and one access-log line with method, path, status
 * and duration. Query strings are not logged: they can hold search text.
 */
import { randomUUID } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { Logger } from '../../logger.js';
import type { AppEnv } from '../context.js';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestContext(logger: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('logger', log);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      const status = c.res.status;
      // Health probes every few seconds would drown the log; keep them at debug.
      const level = c.req.path === '/api/health' && status < 400 ? 'debug' : status >= 500 ? 'error' : 'info';
      log[level]({ method: c.req.method, path: c.req.path, status, durationMs }, 'request');
    }
  });
}
