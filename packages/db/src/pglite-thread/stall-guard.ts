/**
 * The threaded counterpart of pglite-watchdog.ts. PGlite on a full disk can
 * wedge inside a call that never returns (see pglite-gate.ts); on the main
 * thread only killing the process ends that. In its own thread the call is
 * ended by stopping the thread: its pending calls fail as "disk full", the
 * gate retires the instance and reopens the directory once there is room
 * (crash recovery keeps every committed row). A long call with room on the
 * disk (an index build) is left alone.
 */
import { statfsSync } from 'node:fs';
import type { PgliteThread } from './client.js';

export interface StallGuardOptions {
  dir: string;
  stallMs: number;
  /** A stall counts as a wedge only below this many free bytes. */
  floorBytes: number;
  current: () => PgliteThread;
  everyMs?: number;
}

export function startStallGuard(options: StallGuardOptions): { stop(): void } {
  const timer = setInterval(() => {
    const thread = options.current();
    if (thread.stalledMs() < options.stallMs) return;
    let free: number;
    try {
      const s = statfsSync(options.dir);
      free = Number(s.bavail) * Number(s.bsize);
    } catch {
      return;
    }
    if (free >= options.floorBytes) return;
    // ENOSPC: what the gate recognises as PGlite's own disk-full failure, so it retires the instance.
    void thread.terminate(`wedged on a full disk (${Math.floor(free / 1048576)} MB free under DATA_DIR); reopened once space is freed`, {
      code: 'ENOSPC',
    });
  }, options.everyMs ?? 500);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
