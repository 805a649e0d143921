/**
 * GET/HEAD /api/health — cheap enough to be polled forever: one `SELECT 1`, a
 * storage check the adapter answers from memory, and queue counts cached for
 * a few seconds rather than counted per probe.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { EmbedderStatus } from '@quarry/ai';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { isDiskFullError } from '@quarry/db';
import type { AppEnv } from '../context.js';
import { version } from '../../version.js';

export interface HealthSources {
  pingDatabase(): Promise<number>;
  storage(): Promise<{ ok: boolean; driver: string; error?: string }>;
  queue(): Promise<{ pending: number; failed: number } | undefined>;
  /** Which embedder this process uses, and why when it is a fallback (informational: never makes the status degraded). */
  embedder?(): EmbedderStatus | undefined;
}

const EmbedderInfo = z
  .object({
    provider: z.string(),
    model: z.string(),
    dimensions: z.number(),
    runtime: z.enum(['onnxruntime-node', 'hashed', 'http']),
    state: z.enum(['idle', 'loading', 'ready', 'failed']).optional(),
    fallbackReason: z.string().optional(),
    error: z.string().optional(),
    restarts: z.number().optional(),
  })
  .openapi('EmbedderInfo');

const Check = z.object({ ok: z.boolean() }).passthrough();
const HealthBody = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    uptimeSeconds: z.number(),
    /** Why the status is degraded, one sentence per problem (low disk space, storage write failing, …). */
    reasons: z.array(z.string()).optional(),
    checks: z.object({
      database: z.object({ ok: z.boolean(), latencyMs: z.number().optional(), error: z.string().optional() }),
      storage: Check,
      queue: z.object({ pending: z.number(), failed: z.number() }).partial(),
    }),
    /** The embedding model in use; `fallbackReason` is set when the default local model could not run here. */
    embedder: EmbedderInfo.optional(),
  })
  .openapi('Health');

const route = createRoute({
  method: 'get',
  path: '/api/health',
  tags: ['health'],
  summary: 'Liveness and dependency status',
  responses: {
    200: { description: 'All dependencies answer', content: { 'application/json': { schema: HealthBody } } },
    503: { description: 'A dependency is down', content: { 'application/json': { schema: HealthBody } } },
  },
});

const startedAt = Date.now();

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>, sources: HealthSources) {
  app.openapi(route, async (c) => {
    const [database, storage, queue] = await Promise.all([
      sources.pingDatabase().then(
        (latencyMs) => ({ ok: true, latencyMs }),
        // A full disk is named (the operator's fix); any other failure stays generic.
        (error: unknown) => ({ ok: false, error: isDiskFullError(error) ? (error as Error).message.slice(0, 300) : 'database unreachable' }),
      ),
      sources.storage().catch(() => ({ ok: false, driver: 'unknown', error: 'storage check failed' })),
      sources.queue().catch(() => undefined),
    ]);
    const healthy = database.ok && storage.ok;
    const reasons = [
      ...(database.ok ? [] : [`database: ${'error' in database ? database.error : 'unreachable'}`]),
      ...(storage.ok ? [] : [`storage: ${storage.error ?? 'check failed'}`]),
    ];
    let embedder: EmbedderStatus | undefined;
    try {
      embedder = sources.embedder?.();
    } catch {
      embedder = undefined;
    }
    const body = {
      status: healthy ? ('ok' as const) : ('degraded' as const),
      version,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      ...(reasons.length ? { reasons } : {}),
      checks: { database, storage, queue: queue ?? {} },
      ...(embedder ? { embedder } : {}),
    };
    c.header('Cache-Control', 'no-store');
    return healthy ? c.json(body, 200) : c.json(body, 503);
  });
}
