/**
 * The embedded database in a thread of its own. PGlite runs PostgreSQL in
 * WebAssembly, synchronously: on the main thread every statement (a 100 ms
 * ingest batch, an index build) stops HTTP, health checks and timers for as
 * long as it runs. Here the main thread keeps a stand-in with the part of
 * PGlite's interface Quarry uses — `query`, `exec`, `transaction`, `close` —
 * and the thread (entry.ts) does the work. The gate (pglite-gate.ts) wraps
 * this stand-in exactly as it wrapped PGlite.
 *
 * A thread can also be stopped while it spins: `terminate()` ends it even in
 * the middle of a WebAssembly call that would never return (PGlite on a full
 * disk), which an instance on the main thread could never allow.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { reviveError, type FromThread, type QueryOptions, type SerializedError, type ToThread } from './protocol.js';
import type { SharedBuffers } from '../pglite-options.js';

type Outgoing = ToThread extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** How the thread starts: entry.ts through tsx in source, `pglite-worker.js` beside the server bundle. */
function threadEntry(): string | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = new URL('./entry.ts', here).href;
    const tsxDir = path.dirname(createRequire(here).resolve('tsx/package.json'));
    const tsx = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
    return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  }
  const bundled = new URL('./pglite-worker.js', here);
  return existsSync(fileURLToPath(bundled)) ? `import(${JSON.stringify(bundled.href)})` : undefined;
}

/**
 * QUARRY_PGLITE_THREAD=off (read once, at start) runs PGlite on the main thread, as before it had a
 * thread of its own: an escape hatch, and the "before" of `bench:load` on one build.
 */
// eslint-disable-next-line no-restricted-properties -- a benchmark switch, deliberately outside @quarry/config
export const threadByDefault = process.env.QUARRY_PGLITE_THREAD !== 'off';

/** True when this build can run PGlite in a thread (the bundle ships the thread's entry). */
export function pgliteThreadAvailable(): boolean {
  return threadEntry() !== undefined;
}

/** Drizzle's parsers are identity functions that keep a type as text: name their OIDs. */
function toThreadOptions(options: unknown): QueryOptions | undefined {
  if (!options || typeof options !== 'object') return undefined;
  const { rowMode, parsers } = options as { rowMode?: 'array' | 'object'; parsers?: Record<string, unknown> };
  return {
    ...(rowMode ? { rowMode } : {}),
    ...(parsers ? { rawTypes: Object.keys(parsers).map(Number) } : {}),
  };
}

export class ThreadStoppedError extends Error {
  constructor(readonly reason: string) {
    super(`the embedded database thread stopped: ${reason}`);
    this.name = 'ThreadStoppedError';
  }
}

export class PgliteThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextTx = 1;
  private stopped: Error | undefined;
  /** Since when the thread has owed an answer without giving any (the stall guard reads it). */
  private waitingSince = 0;

  /** How long calls have been waiting with no answer from the thread (0: none waits). */
  stalledMs(now = performance.now()): number {
    return this.pending.size > 0 ? now - this.waitingSince : 0;
  }

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: FromThread) => {
      if (message.type !== 'reply' && message.type !== 'error') return;
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      this.waitingSince = performance.now();
      if (message.type === 'reply') pending.resolve(message.value);
      else pending.reject(reviveError(message.error));
    });
    worker.on('error', (error) => this.stop(new ThreadStoppedError(error.message)));
    worker.on('exit', (code) => this.stop(new ThreadStoppedError(`it exited (${code})`)));
  }

  /** Starts the thread and opens PGlite on `dataDir` in it; rejects as PGlite.create would. */
  static async open(dataDir: string, sharedBuffers: SharedBuffers = 'auto'): Promise<PgliteThread> {
    const code = threadEntry();
    if (!code) throw new Error('the embedded database thread entry (pglite-worker.js) is missing beside the server bundle');
    const worker = new Worker(code, { eval: true, workerData: { dataDir, sharedBuffers } });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromThread) => {
        if (message.type === 'ready') done(undefined);
        else if (message.type === 'failed') done(reviveError(message.error));
      };
      const onExit = (code: number) => done(new Error(`the embedded database thread exited while opening (${code})`));
      const onError = (error: Error) => done(error);
      const done = (error: Error | undefined) => {
        worker.off('message', onMessage).off('exit', onExit).off('error', onError);
        if (error) {
          void worker.terminate();
          reject(error);
        } else resolve();
      };
      worker.on('message', onMessage).on('exit', onExit).on('error', onError);
    });
    return new PgliteThread(worker);
  }

  private call(message: Outgoing): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    if (this.pending.size === 0) this.waitingSince = performance.now();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id } as ToThread);
    });
  }

  private stop(error: Error): void {
    if (this.stopped) return;
    this.stopped = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  query(sql: string, params?: unknown[], options?: unknown): Promise<unknown> {
    return this.call({ type: 'query', sql, params, options: toThreadOptions(options) });
  }

  exec(sql: string): Promise<unknown> {
    return this.call({ type: 'exec', sql });
  }

  /** As PGlite's: `fn` gets a handle whose statements run inside; commits if it resolves, rolls back if it throws. */
  async transaction<T>(fn: (tx: Pick<PgliteThread, 'query' | 'exec'>) => Promise<T>): Promise<T> {
    const tx = this.nextTx++;
    await this.call({ type: 'begin', tx });
    const handle = {
      query: (sql: string, params?: unknown[], options?: unknown) => this.call({ type: 'query', tx, sql, params, options: toThreadOptions(options) }),
      exec: (sql: string) => this.call({ type: 'exec', tx, sql }),
    };
    let result: T;
    try {
      result = await fn(handle);
    } catch (error) {
      await this.call({ type: 'end', tx, commit: false }).catch(() => {});
      throw error;
    }
    await this.call({ type: 'end', tx, commit: true });
    return result;
  }

  /** Closes PGlite (a clean shutdown: checkpoint, files closed) and ends the thread. */
  async close(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.call({ type: 'close' });
    } finally {
      await this.terminate('closed');
    }
  }

  /** Ends the thread now, whatever it is doing (a call that spins for ever included); pending calls reject. */
  async terminate(reason: string, fields: SerializedError['fields'] = {}): Promise<void> {
    this.stop(Object.assign(new ThreadStoppedError(reason), fields));
    await this.worker.terminate();
  }
}
