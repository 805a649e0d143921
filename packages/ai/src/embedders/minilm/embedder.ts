/**
 * all-MiniLM-L6-v2 as an `Embedder`: the tokenizer and the ONNX session live
 * in one worker thread per process (started on the first embed, restarted if
 * it dies), so embedding never blocks the HTTP event loop. Requests queue in
 * this thread; query embeddings jump ahead of queued passage batches, and a
 * call's texts are sent in slices so a search never waits behind a whole
 * document. An aborted request leaves the queue at once (a slice already
 * running finishes in the thread and its result is dropped).
 *
 * Source (tsx/vitest) and bundled builds locate the thread's entry file
 * differently; see `workerEntry()` (the same scheme as the extraction threads).
 */
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Embedder, EmbedderStatus, EmbeddingSpaceIdentity } from '../../types.js';
import type { WeightPrecision } from './build-graph.js';
import {
  locateMiniLmFiles,
  MINILM_DIMENSIONS,
  MINILM_INT8_MODEL,
  MINILM_MAX_TOKENS,
  MINILM_MODEL,
  MINILM_QUERY_MAX_TOKENS,
} from './model-files.js';
import type { FromWorker, ReadyInfo, ToWorker } from './protocol.js';
import { createMiniLmTokenCounter } from './tokenizer.js';

export interface MiniLmEmbedderOptions {
  /** Where the built ONNX file is cached (config `MODEL_CACHE_DIR`, default `DATA_DIR/models`). */
  cacheDir: string;
  /**
   * ONNX Runtime intra-op threads; by default 2 (1 on a one-core machine). A query is one
   * run, so a second thread halves the wait of every semantic search (bench/query-embed.ts);
   * more than 2 buys little at MiniLM's size and takes cores from the HTTP thread.
   */
  threads?: number;
  /** Texts per ONNX run. 1 by default: measured fastest on CPU (no padding). */
  runBatch?: number;
  /** Texts per message to the thread: the granularity at which queries overtake passages and aborts take effect. */
  sliceSize?: number;
  /**
   * The dense layers' weights (config `EMBEDDING_PRECISION`): 'int8' by default, 0.65–0.75× the
   * query time and half the memory of 'fp32' at the same CISI quality
   * (docs/benchmarks.md); each is its own embedding space.
   */
  precision?: WeightPrecision;
}

/** The thread entry: `worker-entry.ts` beside this file in source, `minilm-worker.js` beside the bundle. */
function workerEntry(): { code: string } | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = new URL('./worker-entry.ts', here).href;
    const tsxDir = path.dirname(createRequire(here).resolve('tsx/package.json'));
    const tsx = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
    return { code: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })` };
  }
  const bundled = new URL('./minilm-worker.js', here);
  if (existsSync(fileURLToPath(bundled))) return { code: `import(${JSON.stringify(bundled.href)})` };
  return undefined;
}

/**
 * Why the MiniLM embedder cannot run in this process, or undefined when it can:
 * the model package, the thread entry and ONNX Runtime's native add-on must all
 * be there (the add-on is loaded once, ~40 ms, to prove it links on this system).
 */
export function miniLmUnavailableReason(): string | undefined {
  try {
    locateMiniLmFiles();
  } catch (error) {
    return (error as Error).message;
  }
  if (!workerEntry()) return 'the embedding thread entry (minilm-worker.js) is missing beside the server bundle';
  try {
    createRequire(import.meta.url)('onnxruntime-node');
  } catch (error) {
    return `onnxruntime-node's native add-on could not load on ${process.platform}-${process.arch}: ${(error as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

interface Task {
  id: number;
  texts: string[];
  query: boolean;
  signal?: AbortSignal;
  resolve(vectors: Float32Array): void;
  reject(error: unknown): void;
  onAbort?: () => void;
}

/** After a failed start, calls fail fast with the same reason for this long before the thread is tried again. */
const RETRY_AFTER_FAILURE_MS = 30_000;

class MiniLmHost {
  state: 'idle' | 'loading' | 'ready' | 'failed' = 'idle';
  error?: string;
  info?: ReadyInfo;
  restarts = 0;
  private worker?: Worker;
  private failedAt = 0;
  private queue: Task[] = [];
  private running?: Task;
  private nextId = 1;

  constructor(private readonly options: Required<MiniLmEmbedderOptions>) {}

  submit(texts: string[], query: boolean, signal?: AbortSignal): Promise<Float32Array> {
    return new Promise<Float32Array>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const task: Task = { id: this.nextId++, texts, query, signal, resolve, reject };
      if (signal) {
        task.onAbort = () => {
          this.queue = this.queue.filter((t) => t !== task);
          this.settle(task, () => reject(signal.reason));
        };
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      if (query) {
        const firstPassage = this.queue.findIndex((t) => !t.query);
        this.queue.splice(firstPassage === -1 ? this.queue.length : firstPassage, 0, task);
      } else {
        this.queue.push(task);
      }
      this.pump();
    });
  }

  private settled = new WeakSet<Task>();
  private settle(task: Task, fn: () => void) {
    if (this.settled.has(task)) return;
    this.settled.add(task);
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    fn();
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) {
      if (!this.running && this.queue.length === 0) this.worker?.unref();
      return;
    }
    if (this.state === 'failed' && Date.now() - this.failedAt < RETRY_AFTER_FAILURE_MS) {
      const failed = this.queue;
      this.queue = [];
      for (const t of failed) this.settle(t, () => t.reject(new Error(`the all-MiniLM-L6-v2 embedder is unavailable: ${this.error}`)));
      return;
    }
    if (!this.worker) {
      this.start();
      return;
    }
    if (this.state !== 'ready') return;
    const task = this.queue.shift()!;
    this.running = task;
    this.worker.ref();
    const message: ToWorker = { type: 'embed', id: task.id, texts: task.texts, maxTokens: task.query ? MINILM_QUERY_MAX_TOKENS : MINILM_MAX_TOKENS };
    this.worker.postMessage(message);
  }

  private start(): void {
    const entry = workerEntry();
    if (!entry) return this.fail('the embedding thread entry (minilm-worker.js) is missing beside the server bundle');
    this.state = 'loading';
    // The thread silences its own console (worker-entry.ts): its stdio is not captured here, because a
    // captured stream being read keeps the thread referenced after unref() and the process alive.
    const worker = new Worker(entry.code, { eval: true });
    this.worker = worker;
    worker.on('message', (message: FromWorker) => this.onMessage(worker, message));
    worker.on('error', (error) => this.onExit(worker, `embedding thread failed: ${error.message}`));
    worker.on('exit', (code) => this.onExit(worker, `embedding thread exited (${code})`));
    const init: ToWorker = {
      type: 'init',
      cacheDir: this.options.cacheDir,
      threads: this.options.threads,
      runBatch: this.options.runBatch,
      precision: this.options.precision,
    };
    worker.postMessage(init);
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    if (worker !== this.worker) return;
    switch (message.type) {
      case 'ready':
        this.state = 'ready';
        this.error = undefined;
        this.info = message.info;
        break;
      case 'fatal':
        this.fail(message.message);
        return;
      case 'result':
      case 'error': {
        const task = this.running;
        if (!task || task.id !== message.id) break;
        this.running = undefined;
        if (message.type === 'result') this.settle(task, () => task.resolve(message.vectors));
        else this.settle(task, () => task.reject(new Error(`embedding failed: ${message.message}`)));
        break;
      }
    }
    this.pump();
  }

  /** The thread died: fail what it was running, start a new one for the rest. */
  private onExit(worker: Worker, reason: string): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    const task = this.running;
    this.running = undefined;
    if (task) this.settle(task, () => task.reject(new Error(reason)));
    if (this.state === 'loading') return this.fail(reason);
    this.state = 'idle';
    this.restarts++;
    this.pump();
  }

  private fail(reason: string): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
    this.state = 'failed';
    this.error = reason;
    this.failedAt = Date.now();
    const task = this.running;
    this.running = undefined;
    if (task) this.queue.unshift(task);
    this.pump();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.state = 'idle';
    const pending = [...(this.running ? [this.running] : []), ...this.queue];
    this.running = undefined;
    this.queue = [];
    for (const t of pending) this.settle(t, () => t.reject(new Error('the embedder was closed')));
    await worker?.terminate();
  }
}

/** sentence-transformers' all-MiniLM-L6-v2 uses no instruction prefixes (e5/bge-style models would set them here). */
const PREFIXES = { query: '', passage: '' } as const;

const defaultThreads = () => Math.min(2, availableParallelism());

const hosts = new Map<string, MiniLmHost>();

function hostFor(options: Required<MiniLmEmbedderOptions>): MiniLmHost {
  const key = JSON.stringify([path.resolve(options.cacheDir), options.threads, options.runBatch, options.sliceSize, options.precision]);
  let host = hosts.get(key);
  if (!host) hosts.set(key, (host = new MiniLmHost(options)));
  return host;
}

/**
 * The all-MiniLM-L6-v2 embedder (space local / all-MiniLM-L6-v2 / 384). Cheap
 * to create: embedders with the same options share one worker thread, which
 * starts on the first `embed`. Call `miniLmUnavailableReason()` first to learn
 * whether this process can run it at all.
 */
export function createMiniLmEmbedder(options: MiniLmEmbedderOptions): Embedder {
  const resolved: Required<MiniLmEmbedderOptions> = {
    cacheDir: options.cacheDir,
    threads: options.threads ?? defaultThreads(),
    runBatch: options.runBatch ?? 1,
    sliceSize: options.sliceSize ?? 8,
    precision: options.precision ?? 'int8',
  };
  const host = hostFor(resolved);
  const model = resolved.precision === 'int8' ? MINILM_INT8_MODEL : MINILM_MODEL;
  const space: EmbeddingSpaceIdentity = { provider: 'local', model, dimensions: MINILM_DIMENSIONS };
  const counter = createMiniLmTokenCounter();
  return {
    space,
    maxTokens: MINILM_MAX_TOKENS,
    prefixes: PREFIXES,
    countTokens: (text) => counter.count(text),
    get status(): EmbedderStatus {
      return {
        ...space,
        runtime: 'onnxruntime-node',
        state: host.state,
        ...(host.error ? { error: host.error } : {}),
        ...(host.restarts ? { restarts: host.restarts } : {}),
      };
    },
    async embed(texts, purpose, signal) {
      signal?.throwIfAborted();
      const prefix = purpose === 'query' ? PREFIXES.query : PREFIXES.passage;
      const inputs = prefix ? texts.map((t) => prefix + t) : texts;
      // One failed slice cancels the rest of this call.
      const local = new AbortController();
      const combined = signal ? AbortSignal.any([signal, local.signal]) : local.signal;
      // Each slice listens on this call's own signal until it settles: a long call (a bulk load) has more than
      // Node's default of ten, which is not a leak, and would print a warning.
      setMaxListeners(Math.max(10, Math.ceil(inputs.length / resolved.sliceSize) + 1), combined);
      const slices: Promise<Float32Array>[] = [];
      for (let i = 0; i < inputs.length; i += resolved.sliceSize) {
        const slice = host.submit(inputs.slice(i, i + resolved.sliceSize), purpose === 'query', combined);
        slice.catch((error: unknown) => local.abort(error));
        slices.push(slice);
      }
      const out: number[][] = [];
      for (const vectors of await Promise.all(slices)) {
        for (let k = 0; k < vectors.length; k += MINILM_DIMENSIONS) out.push(Array.from(vectors.subarray(k, k + MINILM_DIMENSIONS)));
      }
      return out;
    },
    close: () => host.close(),
  };
}
