/**
 * Runs extraction in worker threads with a memory ceiling and a deadline. A
 * thread that overruns either is terminated and the document fails with a
 * readable reason; the worker process carries on. Threads are reused between
 * documents (starting one costs ~0.1–1 s) and recycled after a number of jobs.
 *
 * Source (tsx/vitest) and bundled builds locate the thread's entry file
 * differently; see `entryPoint()`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SupportedMime } from '../sniff.js';
import { extractDocument } from './index.js';
import { ExtractionError, defaultExtractLimits, type Extracted, type ExtractLimits } from './types.js';

export interface ExtractorOptions {
  limits?: ExtractLimits;
  /** Heap ceiling per extraction thread. */
  maxMemoryMb?: number;
  /** Threads are replaced after this many documents. */
  recycleAfter?: number;
}

interface Slot {
  worker: Worker;
  jobs: number;
}

type Reply = { id: number; ok: true; result: Extracted } | { id: number; ok: false; extraction: boolean; message: string };

/** The thread entry: `worker-entry.ts` beside this file in source, `extract-worker.js` beside the bundle. */
function entryPoint(): { code: string } | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = new URL('./worker-entry.ts', here).href;
    const tsxDir = path.dirname(createRequire(here).resolve('tsx/package.json'));
    const tsx = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
    return { code: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })` };
  }
  const bundled = new URL('./extract-worker.js', here);
  if (existsSync(fileURLToPath(bundled))) return { code: `import(${JSON.stringify(bundled.href)})` };
  return undefined;
}

export class IsolatedExtractor {
  private idle: Slot[] = [];
  private nextId = 1;
  private closed = false;
  private readonly limits: ExtractLimits;
  private readonly maxMemoryMb: number;
  private readonly recycleAfter: number;
  private readonly entry = entryPoint();

  constructor(options: ExtractorOptions = {}) {
    this.limits = options.limits ?? defaultExtractLimits;
    this.maxMemoryMb = options.maxMemoryMb ?? 512;
    this.recycleAfter = options.recycleAfter ?? 25;
  }

  /** True when extraction really runs in threads (false only if the bundle lacks the entry file). */
  get isolated(): boolean {
    return this.entry !== undefined;
  }

  async extract(bytes: Uint8Array, mime: SupportedMime | string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<Extracted> {
    if (this.closed) throw new Error('extractor is closed');
    // Text formats are parsed by linear-time code of ours: no thread needed.
    if (!this.entry || mime === 'text/plain' || mime === 'text/markdown') {
      return extractDocument(bytes, mime, this.limits);
    }
    const slot = this.idle.pop() ?? this.spawn();
    const id = this.nextId++;
    const copy = new Uint8Array(bytes); // transferred: the caller keeps its buffer
    return new Promise<Extracted>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void, reusable: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        slot.worker.off('message', onMessage);
        slot.worker.off('error', onError);
        slot.worker.off('exit', onExit);
        slot.jobs++;
        if (reusable && !this.closed && slot.jobs < this.recycleAfter) this.idle.push(slot);
        else void slot.worker.terminate();
        fn();
      };
      const onMessage = (reply: Reply) => {
        if (reply.id !== id) return;
        if (reply.ok) finish(() => resolve(reply.result), true);
        else finish(() => reject(reply.extraction ? new ExtractionError(reply.message) : new Error(reply.message)), true);
      };
      const onError = (error: Error & { code?: string }) => {
        const oom = error.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory|heap/i.test(error.message);
        finish(
          () =>
            reject(
              oom
                ? new ExtractionError(`extracting the text needed more than ${this.maxMemoryMb} MB of memory`)
                : new Error(`extraction thread failed: ${error.message}`),
            ),
          false,
        );
      };
      const onExit = (code: number) => finish(() => reject(new Error(`extraction thread exited (${code})`)), false);
      const onAbort = () => finish(() => reject(options.signal!.reason ?? new Error('aborted')), false);
      const timer = setTimeout(
        () => finish(() => reject(new ExtractionError(`extracting the text took longer than ${Math.round(options.timeoutMs / 1000)} s`)), false),
        options.timeoutMs,
      );
      slot.worker.on('message', onMessage);
      slot.worker.once('error', onError);
      slot.worker.once('exit', onExit);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.signal?.aborted) return onAbort();
      slot.worker.postMessage({ id, bytes: copy, mime, limits: this.limits }, [copy.buffer]);
    });
  }

  private spawn(): Slot {
    const worker = new Worker(this.entry!.code, {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: this.maxMemoryMb, maxYoungGenerationSizeMb: 64 },
      stdout: true,
      stderr: true,
    });
    // pdf.js warnings go to the thread's console; never let them (or document text) reach our logs.
    worker.stdout.resume();
    worker.stderr.resume();
    worker.unref();
    const slot: Slot = { worker, jobs: 0 };
    worker.once('exit', () => {
      this.idle = this.idle.filter((s) => s !== slot);
    });
    return slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle;
    this.idle = [];
    await Promise.all(idle.map((s) => s.worker.terminate()));
  }
}
