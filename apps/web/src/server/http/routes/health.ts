/**
 * GET/HEAD /api/health — cheap enough to be polled forever, and never queued
 * behind a busy database: the `SELECT 1` ping and the queue counts are sampled
 * at most about once a second, a probe waits only a few milliseconds for a
 * sample in flight and otherwise answers from the last one, and a database
 * that has not answered for `staleMs` is reported degraded. The storage check
 * is answered from memory by the adapter.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { EmbedderStatus } from '@quarry/ai';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { isDiskFullError } from '@quarry/db';
import type { AppEnv } from '../context.js';
import { version } from '../../version.js';

export interface HealthSources {
  /** `SELECT 1` round-trip in ms; `timeoutMs` is how long health tolerates silence before calling it degraded. */
  pingDatabase(timeoutMs: number): Promise<number>;
  storage(): Promise<{ ok: boolean; driver: string; error?: string }>;
  queue(): Promise<{ pending: number; failed: number } | undefined>;
  /**
   * How long the database has been running one statement or transaction (ms; 0 idle), when it can say
   * (embedded PGlite in its own thread): a ping waiting behind a long ingest write is busy, not down.
   */
  databaseActiveMs?(): number;
  /** Which embedder this process uses, and why when it is a fallback (informational: never makes the status degraded). */
  embedder?(): EmbedderStatus | undefined;
  /** Sampling of the database ping and queue counts (tests shorten these). */
  timing?: Partial<HealthTiming>;
}

export interface HealthTiming {
  /** A sample younger than this is reused without asking again. */
  freshMs: number;
  /** How long a probe waits for a sample in flight before answering from the last one. */
  waitMs: number;
  /** No successful ping for this long (one in flight all that time): degraded. */
  staleMs: number;
  /** A database still running one call this long is reported degraded, busy or not (its thread is stuck). */
  busyLimitMs: number;
}

export const defaultHealthTiming: HealthTiming = { freshMs: 1_000, waitMs: 50, staleMs: 5_000, busyLimitMs: 120_000 };

type Sample<T> = { ok: true; value: T; at: number } | { ok: false; error: unknown; at: number };

/**
 * The latest result of `read`, refreshed when older than `freshMs` by at most one call at a time.
 * A caller waits at most `waitMs` for that call, then gets the previous sample (or none yet):
 * a probe's latency is bounded by `waitMs`, not by how busy the thing it asks about is.
 */
export function sampler<T>(read: () => Promise<T>, timing: Pick<HealthTiming, 'freshMs' | 'waitMs'>) {
  let last: Sample<T> | undefined;
  let inflight: Promise<void> | undefined;
  return async (): Promise<Sample<T> | undefined> => {
    if (!inflight && (!last || Date.now() - last.at >= timing.freshMs)) {
      inflight = Promise.resolve()
        .then(read)
        .then(
          (value) => void (last = { ok: true, value, at: Date.now() }),
          (error: unknown) => void (last = { ok: false, error, at: Date.now() }),
        )
        .finally(() => (inflight = undefined));
    }
    // The very first sample is awaited in full (the read bounds itself): with nothing to answer
    // from, a probe in the first 50 ms would otherwise be told the database is down.
    if (inflight && !last) await inflight;
    if (inflight) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([inflight, new Promise<void>((resolve) => (timer = setTimeout(resolve, timing.waitMs)))]);
      clearTimeout(timer);
    }
    return last;
  };
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
      /** `ageMs`: how long ago the ping this answer reports finished (pings are sampled, not run per probe). */
      database: z.object({ ok: z.boolean(), latencyMs: z.number().optional(), ageMs: z.number().optional(), error: z.string().optional() }),
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
  const timing = { ...defaultHealthTiming, ...sources.timing };
  // The ping's own bound: long enough to wait behind a long write (health then says "busy").
  const ping = sampler(() => sources.pingDatabase(sources.databaseActiveMs ? timing.busyLimitMs : timing.staleMs), timing);
  const queueCounts = sampler(() => sources.queue(), timing);

  const databaseCheck = async (): Promise<{ ok: boolean; latencyMs?: number; ageMs?: number; busyMs?: number; error?: string }> => {
    const sample = await ping();
    if (!sample) return { ok: false, error: 'no answer yet (busy or starting)' };
    const ageMs = Date.now() - sample.at;
    // No fresh answer because one long statement or transaction (an ingest of a big sheet) holds the
    // embedded database: it is working, in its own thread; HTTP is unaffected. Stuck past the limit is not.
    const busyMs = sources.databaseActiveMs?.() ?? 0;
    if (sample.ok && ageMs > timing.staleMs && busyMs > 0 && busyMs < timing.busyLimitMs) {
      return { ok: true, latencyMs: sample.value, ageMs, busyMs: Math.round(busyMs) };
    }
    if (!sample.ok) {
      const error = sample.error;
      // A full disk is named (the operator's fix); any other failure stays generic.
      return { ok: false, ageMs, error: isDiskFullError(error) ? (error as Error).message.slice(0, 300) : 'database unreachable' };
    }
    if (ageMs > timing.staleMs) return { ok: false, ageMs, error: `no answer for ${Math.round(ageMs / 1000)} s (busy or unreachable)` };
    return { ok: true, latencyMs: sample.value, ageMs };
  };

  app.openapi(route, async (c) => {
    const [database, storage, queue] = await Promise.all([
      databaseCheck(),
      sources.storage().catch(() => ({ ok: false, driver: 'unknown', error: 'storage check failed' })),
      queueCounts().then((sample) => (sample?.ok ? sample.value : undefined)),
    ]);
    const healthy = database.ok && storage.ok;
    const reasons = [
      ...(database.ok ? [] : [`database: ${database.error ?? 'unreachable'}`]),
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
