/**
 * Builds the Hono application: middleware in the order a request meets it,
 * then the API routes, then the UI. Routes stay thin: parse → authorize →
 * call a service → present.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from '../logger.js';
import { version } from '../version.js';
import type { AppEnv } from './context.js';
import { AppError } from './errors.js';
import { errorBody, handleError } from './middleware/error-handler.js';
import { requestContext } from './middleware/request-context.js';
import { registerHealthRoutes, type HealthSources } from './routes/health.js';

export interface HttpDeps {
  logger: Logger;
  health: HealthSources;
  /** JSON bodies are small; uploads have their own, larger limit. */
  jsonBodyLimitBytes?: number;
  /** Extra route groups mounted by later layers (auth, workspaces, documents …). */
  mount?: (app: OpenAPIHono<AppEnv>) => void;
  /** Serves the built UI for non-/api paths, when present. */
  ui?: (app: OpenAPIHono<AppEnv>) => void;
}

export function createHttpApp(deps: HttpDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    // Validation failures from route schemas become our 400 shape, naming the field.
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const field = issue?.path.join('.') || 'body';
        throw new AppError(400, 'invalid_request', `${field}: ${issue?.message ?? 'invalid value'}`, { field });
      }
    },
  });

  app.use('*', requestContext(deps.logger));
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        objectSrc: ["'none'"],
      },
      crossOriginEmbedderPolicy: false,
      // A route that sets its own header keeps it: a download's `Content-Security-Policy: default-src 'none';
      // sandbox` (should a stored HTML file ever be rendered, it runs nothing, as no origin) was being
      // replaced by the app-wide policy, which allows the app's own scripts.
      overwrite: false,
    }),
  );
  const jsonLimit = deps.jsonBodyLimitBytes ?? 1024 * 1024;
  const limitJsonBody = bodyLimit({
    maxSize: jsonLimit,
    onError: () => {
      throw new AppError(413, 'payload_too_large', `Request bodies are limited to ${Math.round(jsonLimit / 1024)} KiB.`);
    },
  });
  app.use('/api/*', async (c, next) => {
    // A GET or HEAD has no body to limit, and asking for one (`c.req.raw.body`, the middleware's first step)
    // makes @hono/node-server build a full fetch `Request` with its AbortSignal for every such request.
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    // Uploads stream through their own size limit in the documents route.
    if (c.req.header('content-type')?.startsWith('multipart/form-data')) return next();
    return limitJsonBody(c, next);
  });

  registerHealthRoutes(app, deps.health);
  deps.mount?.(app);

  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Quarry API', version, description: 'The HTTP contract of Quarry, generated from the route schemas. Rendered in the repository as docs/api.md (kept in step by a test).' },
  });

  app.all('/api/*', (c) => c.json(errorBody(c, 'not_found', `No API route matches ${c.req.method} ${c.req.path}.`), 404));
  deps.ui?.(app);
  app.notFound((c) => c.json(errorBody(c, 'not_found', 'Not found.'), 404));
  app.onError(handleError);
  return app;
}
