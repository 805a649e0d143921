/**
 * Runs every extractor, and the passage splitter, in child processes with a
 * memory ceiling and a deadline. Nothing parses document bytes or text on the
 * server's event loop, whatever the format.
 *
 * Why processes and not worker threads: a thread's `resourceLimits` bound
 * only the V8 heap, while pdf.js, mammoth and zlib keep decoded streams in
 * ArrayBuffers outside it (a 2 MB PDF whose content stream inflates to
 * 800 MB took a thread "limited" to 256 MB to 3.4 GB). A child process gets
 * an OS data limit (RLIMIT_DATA, via `ulimit -d` in /bin/sh on Linux) that
 * covers heap, buffers and native memory alike, plus a V8 heap limit inside
 * it. A process that overruns either is gone, and only it: the document
 * fails with a readable reason, and the server carries on.
 *
 * Processes are reused between documents (starting one costs ~0.1–1 s) and
 * recycled after a number of jobs or after any failure that may have left
 * them in a bad state. They get an environment without secrets and no
 * stdout/stderr (pdf.js warnings and V8 crash notes never reach our logs).
 *
 * Source (tsx/vitest) and bundled builds locate the entry file differently;
 * see `entryPoint()`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ChunkOptions, Passage } from '../chunk.js';
import type { SupportedMime } from '../sniff.js';
import { ExtractionError, defaultExtractLimits, type Extracted, type ExtractedAttachment, type ExtractLimits } from './types.js';
import type { ExtractRequest, ReplyErrorKind } from './worker-entry.js';

export interface ExtractorOptions {
  limits?: ExtractLimits;
  /** Memory ceiling per extraction process: heap, buffers and native memory together. */
  maxMemoryMb?: number;
  /** Processes are replaced after this many documents. */
  recycleAfter?: number;
  /**
   * An idle process exits after this many ms without a document (default 60 s): each holds 50–100 MB
   * that a server with nothing to ingest should give back; the next document starts one again.
   */
  idleExitMs?: number;
}

/** A document as passages, split in the extraction process. */
export interface ExtractedPassages {
  passages: Passage[];
  pageCount?: number;
  title?: string;
  /** Pages recognised by OCR (see Extracted). */
  ocrPages?: number[];
  /** Files inside the document to index as documents of their own (see Extracted). */
  attachments?: ExtractedAttachment[];
  /** Time spent extracting and splitting, measured in the extraction process. */
  extractMs: number;
  splitMs: number;
}

export interface ExtractCallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Told what the extraction is doing ("OCR page 3 of 40"), while it runs. */
  onProgress?: (message: string) => void;
}

interface Slot {
  child: ChildProcess;
  jobs: number;
  ready: Promise<void>;
  exited: boolean;
  idleTimer?: NodeJS.Timeout;
}

type Reply<T> =
  | { id: number; ok: true; result: T }
  | { id: number; ok: false; kind: ReplyErrorKind; message: string }
  | { id: number; ok?: undefined; progress: string };

/** The smallest sensible ceiling: Node itself needs ~40 MB before reading a byte. */
const MIN_MEMORY_MB = 96;

/**
 * What an idle Node.js process of this version already counts against RLIMIT_DATA (kB), measured
 * once: the limit is this plus the extraction allowance. Node 24 reserves ~580 MB of writable
 * address space before running a line (a fixed 384 MB limit killed it at start with SIGTRAP);
 * Node 20 far less. A margin covers start-up peaks. 0 where it cannot be measured.
 */
let idleData: Promise<number> | undefined;
function idleDataKb(): Promise<number> {
  idleData ??= new Promise((resolve) => {
    if (process.platform !== 'linux') return resolve(0);
    const probe = "const m=/VmData:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'));console.log(m?m[1]:0)";
    execFile(
      process.execPath,
      ['--max-old-space-size=48', '--max-semi-space-size=8', '--v8-pool-size=2', '-e', probe],
      { env: { UV_THREADPOOL_SIZE: '1' }, timeout: 15_000 },
      (error, stdout) => {
        const kb = Number.parseInt(String(stdout).trim(), 10);
        resolve(error || !Number.isFinite(kb) ? 0 : kb + 64 * 1024);
      },
    );
  });
  return idleData;
}

/** How to start the entry: `worker-entry.ts` beside this file (through tsx) in source, `extract-worker.js` beside the bundle. */
function entryPoint(): { args: string[] } | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = fileURLToPath(new URL('./worker-entry.ts', here));
    const tsxDir = path.dirname(createRequire(here).resolve('tsx/package.json'));
    const tsx = pathToFileURL(path.join(tsxDir, 'dist/esm/index.mjs')).href;
    return { args: ['--import', tsx, entry] };
  }
  const bundled = fileURLToPath(new URL('./extract-worker.js', here));
  if (existsSync(bundled)) return { args: [bundled] };
  return undefined;
}

/** A readable reason for a process that ended while working on a document. */
function exitReason(code: number | null, signal: NodeJS.Signals | null, maxMemoryMb: number): Error {
  // V8 aborts when its heap limit is reached or an allocation is refused by the data limit.
  if (signal === 'SIGABRT' || code === 134 || signal === 'SIGSEGV' || signal === 'SIGBUS') {
    return new ExtractionError(`extracting the text needed more than ${maxMemoryMb} MB of memory (the extraction was stopped)`);
  }
  // Killed from outside (an operator, the kernel's OOM killer under pressure from elsewhere): worth another try.
  if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') return new Error(`the extraction process was stopped (${signal})`);
  return new ExtractionError(`the extraction process failed on this file (exit ${code ?? signal})`);
}

export class IsolatedExtractor {
  private idle: Slot[] = [];
  private readonly all = new Set<Slot>();
  private nextId = 1;
  private closed = false;
  private readonly limits: ExtractLimits;
  private readonly maxMemoryMb: number;
  private readonly recycleAfter: number;
  private readonly idleExitMs: number;
  private readonly entry = entryPoint();

  constructor(options: ExtractorOptions = {}) {
    this.limits = options.limits ?? defaultExtractLimits;
    this.maxMemoryMb = Math.max(MIN_MEMORY_MB, Math.floor(options.maxMemoryMb ?? 384));
    this.recycleAfter = options.recycleAfter ?? 25;
    this.idleExitMs = options.idleExitMs ?? 60_000;
  }

  /** Extraction processes running now, busy or idle. */
  get processes(): number {
    return this.all.size;
  }

  /** True when extraction can run (false only if a bundle lacks the entry file: then every extraction fails). */
  get isolated(): boolean {
    return this.entry !== undefined;
  }

  /** The memory ceiling of one extraction process, in MB. */
  get memoryLimitMb(): number {
    return this.maxMemoryMb;
  }

  /** Extracts blocks in an extraction process. */
  extract(bytes: Uint8Array, mime: SupportedMime | string, options: ExtractCallOptions): Promise<Extracted> {
    return this.run<Extracted>(bytes, mime, undefined, options);
  }

  /** Extracts and splits into passages in an extraction process: the blocks never reach this thread. */
  extractPassages(bytes: Uint8Array, mime: SupportedMime | string, options: ExtractCallOptions & { chunk: ChunkOptions }): Promise<ExtractedPassages> {
    const chunk: ChunkOptions = { maxTokens: options.chunk.maxTokens, overlap: options.chunk.overlap, tokenizer: options.chunk.tokenizer ?? 'approximate' };
    return this.run<ExtractedPassages>(bytes, mime, chunk, options);
  }

  private async run<T>(bytes: Uint8Array, mime: string, chunk: ChunkOptions | undefined, options: ExtractCallOptions): Promise<T> {
    if (this.closed) throw new Error('extractor is closed');
    if (!this.entry) throw new Error('the extraction process entry file is missing from this build');
    options.signal?.throwIfAborted();
    const slot = this.idle.pop() ?? this.spawn(await idleDataKb());
    clearTimeout(slot.idleTimer);
    slot.child.ref();
    slot.child.channel?.ref();
    const id = this.nextId++;
    const request: ExtractRequest = { id, bytes, mime, limits: this.limits, ...(chunk ? { chunk } : {}) };
    const { child } = slot;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void, reusable: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        child.off('message', onMessage);
        child.off('exit', onExit);
        child.off('error', onError);
        slot.jobs++;
        if (reusable && !this.closed && !slot.exited && slot.jobs < this.recycleAfter) {
          child.unref();
          child.channel?.unref();
          slot.idleTimer = setTimeout(() => this.kill(slot), this.idleExitMs);
          slot.idleTimer.unref();
          this.idle.push(slot);
        } else this.kill(slot);
        fn();
      };
      const onMessage = (reply: Reply<T>) => {
        if (reply.id !== id) return;
        if (reply.ok === undefined) {
          if (typeof reply.progress === 'string') options.onProgress?.(reply.progress);
          return;
        }
        if (reply.ok) return finish(() => resolve(reply.result), true);
        const error =
          reply.kind === 'memory'
            ? new ExtractionError(`extracting the text needed more than ${this.maxMemoryMb} MB of memory (the extraction was stopped)`)
            : new ExtractionError(reply.message);
        finish(() => reject(error), reply.kind === 'extraction');
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => finish(() => reject(exitReason(code, signal, this.maxMemoryMb)), false);
      const onError = (error: Error) => finish(() => reject(new Error(`the extraction process could not run: ${error.message}`)), false);
      const onAbort = () => finish(() => reject(options.signal!.reason ?? new Error('aborted')), false);
      const timer = setTimeout(
        () =>
          finish(
            () =>
              reject(
                new ExtractionError(
                  `extracting the text took longer than ${Math.max(1, Math.round(options.timeoutMs / 1000))} s, the limit for one document (the extraction was stopped)`,
                ),
              ),
            false,
          ),
        options.timeoutMs,
      );
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.once('error', onError);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      slot.ready.then(
        () => {
          if (settled) return;
          child.send(request, (error) => {
            if (error) finish(() => reject(new Error(`the extraction process could not be reached: ${error.message}`)), false);
          });
        },
        () => {}, // exit or error reports it
      );
    });
  }

  private spawn(baselineKb: number): Slot {
    const heapMb = Math.max(48, Math.floor(this.maxMemoryMb * 0.6));
    // Fewer helper threads: each thread's stack counts against the data limit.
    const node = [`--max-old-space-size=${heapMb}`, '--max-semi-space-size=8', '--v8-pool-size=2', ...this.entry!.args];
    const env = { UV_THREADPOOL_SIZE: '1' };
    const stdio: ['ignore', 'ignore', 'ignore', 'ipc'] = ['ignore', 'ignore', 'ignore', 'ipc'];
    // The data limit covers heap, ArrayBuffers and malloc; address-space reservations (V8, WASM) are not counted.
    // If the hard limit is already lower, `ulimit` fails and that lower limit applies.
    const child =
      process.platform === 'linux' && existsSync('/bin/sh')
        ? spawn('/bin/sh', ['-c', `ulimit -d ${baselineKb + this.maxMemoryMb * 1024} 2>/dev/null; exec "$0" "$@"`, process.execPath, ...node], {
            stdio,
            serialization: 'advanced',
            env,
          })
        : spawn(process.execPath, node, { stdio, serialization: 'advanced', env });
    const slot: Slot = { child, jobs: 0, exited: false, ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve, reject) => {
      const onReady = (message: { ready?: boolean }) => {
        if (message?.ready !== true) return;
        child.off('message', onReady);
        resolve();
      };
      child.on('message', onReady);
      child.once('exit', () => reject(new Error('exited before it was ready')));
      child.once('error', reject);
    });
    slot.ready.catch(() => {});
    child.once('exit', () => {
      slot.exited = true;
      this.all.delete(slot);
      this.idle = this.idle.filter((s) => s !== slot);
    });
    child.on('error', () => {}); // reported to the job by its own listener; never an unhandled 'error'
    this.all.add(slot);
    return slot;
  }

  private kill(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    this.idle = this.idle.filter((s) => s !== slot);
    if (!slot.exited) slot.child.kill('SIGKILL');
  }

  /** Stops every extraction process (running extractions are cut short). */
  async close(): Promise<void> {
    this.closed = true;
    this.idle = [];
    const slots = [...this.all];
    await Promise.all(
      slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            if (slot.exited) return resolve();
            slot.child.ref(); // an unreferenced child's exit would not keep us waiting for it
            slot.child.once('exit', () => resolve());
            slot.child.kill('SIGKILL');
          }),
      ),
    );
  }
}
