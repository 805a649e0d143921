/**
 * Which lane a database call belongs to (embedded mode: the PGlite gate serves one call at a
 * time). Background work — the ingest and embed job runner — marks itself with
 * `runInBackgroundLane`; everything else (HTTP requests) is foreground. The mark follows the
 * async work started inside (AsyncLocalStorage), so no query call site changes. PostgreSQL
 * mode ignores it: a pool has no single line to wait in.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type DatabaseLane = 'foreground' | 'background';

const lane = new AsyncLocalStorage<DatabaseLane>();

/** Runs `fn` (and everything it starts) with its database calls in the background lane. */
export function runInBackgroundLane<T>(fn: () => T): T {
  return lane.run('background', fn);
}

/** Runs `fn` with its database calls back in the foreground lane (e.g. a request started from background code). */
export function runInForegroundLane<T>(fn: () => T): T {
  return lane.run('foreground', fn);
}

/** The lane of the current async context ('foreground' unless marked). */
export function currentLane(): DatabaseLane {
  return lane.getStore() ?? 'foreground';
}

/**
 * QUARRY_PGLITE_LANES=off (read once, at start) puts every call back in one FIFO. A benchmark
 * switch, not configuration: it lets `bench:load` measure before and after on one build.
 */
// eslint-disable-next-line no-restricted-properties -- a benchmark switch, deliberately outside @quarry/config
export const lanesByDefault = process.env.QUARRY_PGLITE_LANES !== 'off';
