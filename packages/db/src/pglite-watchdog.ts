/**
 * Last line of defence against a wedged PGlite (see pglite-gate.ts): a
 * worker thread that watches the main thread. When a PGlite call has held the
 * main thread for `stallMs` without a heartbeat *and* the DATA_DIR filesystem
 * is short of space, the call is spinning on a full disk and will never
 * return (nor will SIGTERM be handled): the watchdog writes one line to stderr
 * and kills the process, so a supervisor (compose `restart: unless-stopped`)
 * starts it again; start-up then says how much space it needs. A long call
 * with room on the disk (an index build) is left alone.
 */
import { Worker } from 'node:worker_threads';

export interface Watchdog {
  /** The main thread is inside / outside a PGlite call. */
  inside(inside: boolean): void;
  stop(): void;
}

const source = `
const { workerData } = require('node:worker_threads');
const { statfsSync, writeSync } = require('node:fs');
const state = new Int32Array(workerData.shared);
const { dir, stallMs, floorBytes, pid, base } = workerData;
setInterval(() => {
  if (Atomics.load(state, 1) === 0) return;
  const beat = Atomics.load(state, 0);
  const stalled = Math.floor((Date.now() - base) / 100) - beat;
  if (stalled * 100 < stallMs) return;
  let free;
  try { const s = statfsSync(dir); free = Number(s.bavail) * Number(s.bsize); } catch { return; }
  if (free >= floorBytes) return;
  const line = JSON.stringify({ level: 60, time: Date.now(), pid, msg:
    'the embedded database is wedged on a full disk (no answer for ' + Math.round(stalled / 10) + ' s, ' +
    Math.floor(free / 1048576) + ' MB free under DATA_DIR): exiting so the supervisor restarts Quarry; ' +
    'free space under DATA_DIR — nothing committed is lost' });
  try { writeSync(2, line + '\\n'); } catch {}
  process.kill(pid, 'SIGKILL');
}, 500);
`;

export function startPgliteWatchdog(options: { dir: string; stallMs: number; floorBytes: number }): Watchdog {
  const shared = new SharedArrayBuffer(8);
  const state = new Int32Array(shared);
  // Tenths of a second since start (fits an Int32 for years).
  const base = Date.now();
  const beat = () => Atomics.store(state, 0, Math.floor((Date.now() - base) / 100));
  beat();
  const heartbeat = setInterval(beat, 250);
  let depth = 0;
  heartbeat.unref();
  const worker = new Worker(source, {
    eval: true,
    workerData: { shared, dir: options.dir, stallMs: options.stallMs, floorBytes: options.floorBytes, pid: process.pid, base },
  });
  worker.unref();
  worker.on('error', () => {});
  return {
    inside(inside) {
      // Nested (a transaction and its statements): inside until the outermost call ends.
      depth = Math.max(0, depth + (inside ? 1 : -1));
      if (inside) beat();
      Atomics.store(state, 1, depth > 0 ? 1 : 0);
    },
    stop() {
      clearInterval(heartbeat);
      void worker.terminate();
    },
  };
}
