/**
 * A full disk and the embedded database.
 *
 * What PGlite 0.5 does on ENOSPC (reproduced on a small tmpfs): a failed data
 * file extension comes back as an ordinary error (SQLSTATE 53100, "could not
 * extend file"), but once WAL cannot be written ("could not write to file
 * pg_wal/xlogtemp…") the *next* call into that instance — any call, even
 * `SELECT 1`, even after space has been freed — spins in WebAssembly on the
 * main thread for ever: ~100 % CPU, no HTTP, no timers, no SIGTERM. A fresh
 * instance on the same directory opens fine (crash recovery replays the WAL;
 * committed work is kept) once ~16 MB are free again.
 *
 * Worse, when the new WAL segment is needed at COMMIT, the COMMIT itself
 * spins: no guard in this thread can stop that call. So, in order:
 *
 * 1. Floor: below `floorBytes` free (a statfs before every write statement)
 *    no statement but a plain SELECT reaches PGlite; they fail at once with
 *    DatabaseDiskFullError (HTTP 503) and reads keep working. PGlite meets
 *    ENOSPC only if something else fills the last `floorBytes` during one
 *    statement.
 * 2. Retire: the gate serializes calls, and the first disk-full error from an
 *    instance retires it: no further call ever reaches it (not even PGlite's
 *    own ROLLBACK), every call fails at once, and a timer reopens the
 *    directory once the filesystem has room again.
 * 3. Watchdog (pglite-watchdog.ts): if a call still wedges the main thread
 *    while the disk is short, a watchdog thread says so on stderr and kills
 *    the process, so the supervisor restarts it (start-up then waits for room
 *    with a clear message) — the process never sits spinning, deaf to SIGTERM.
 */
import { statfsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import { currentLane, lanesByDefault, type DatabaseLane } from './lanes.js';

/** The embedded database stopped writing because its disk is full; retried once space is back. */
export class DatabaseDiskFullError extends Error {
  readonly code = 'database_disk_full';
  constructor(
    message: string,
    /** Refused by the floor before PGlite saw the statement (the instance is fine). */
    readonly floor = false,
  ) {
    super(message);
    this.name = 'DatabaseDiskFullError';
  }
}

/** A disk-full error that came from PGlite itself (not the gate's own refusal). */
function fromPglite(error: unknown): boolean {
  for (let e = error as { cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e instanceof DatabaseDiskFullError) return false;
    e = e.cause as typeof e;
  }
  return isDiskFullError(error);
}

/** The message of the disk-full error inside `error` (Drizzle wraps driver errors), or undefined. */
export function diskFullReason(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    const message = typeof e.message === 'string' ? e.message : '';
    if (e instanceof DatabaseDiskFullError || e.code === '53100' || e.code === 'ENOSPC' || e.code === 'EDQUOT') return message || 'disk full';
    if (/no space left on device|disk quota exceeded/i.test(message)) return message;
    e = e.cause as typeof e;
  }
  return undefined;
}

export function isDiskFullError(error: unknown): boolean {
  return diskFullReason(error) !== undefined;
}

function freeBytesNow(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

/** Bytes free to an unprivileged writer on the filesystem of `dir`, or undefined when unknown. */
export async function freeBytesOf(dir: string): Promise<number | undefined> {
  try {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

export interface PgliteGateOptions {
  /** Opens a fresh instance on the same directory. */
  open: () => Promise<PGlite>;
  /** The directory whose filesystem must have room before reopening. */
  dir: string;
  /** Free bytes needed before a retired instance is replaced. */
  minFreeBytes: number;
  /** Below this many free bytes only plain SELECTs reach PGlite (0: no floor). */
  floorBytes: number;
  /** A retired instance that was replaced (or is left at close): end it if that is safe (a thread is; see pglite-thread). */
  discard?: (instance: PGlite) => void;
  /** Told when a PGlite call starts and ends (the watchdog's view). */
  onCall?: (inside: boolean) => void;
  /** How often to look for room while retired (ms). */
  retryMs?: number;
  onRetired?: (reason: string) => void;
  onRecovered?: () => void;
  /**
   * Two lanes (default: on, unless QUARRY_PGLITE_LANES=off at start): calls made inside
   * `runInBackgroundLane` (the ingest worker) wait behind every foreground call (HTTP requests).
   * Off: one FIFO, as before.
   */
  lanes?: boolean;
  /** A background call is served anyway once its lane has waited this long (ms; default 200). */
  starvationMs?: number;
  /** The clock for the starvation guard (tests). */
  now?: () => number;
}

interface Waiting {
  since: number;
  start: () => Promise<void>;
}

type Method = (...args: unknown[]) => Promise<unknown>;

/** One statement with no data-modifying word, no locking clause and no sequence call. */
function writesNothing(query: string): boolean {
  return (
    !/;\s*\S/.test(query) &&
    !/\b(insert|update|delete|merge|truncate|copy|call|do|create|alter|drop|vacuum|analyze|cluster|reindex|refresh|lock)\b/i.test(query) &&
    !/\bfor\s+(share|no\s+key|key)\b/i.test(query) &&
    !/\b(nextval|setval|pg_advisory\w*)\s*\(/i.test(query)
  );
}

const isSelect = (query: string) => /^\s*\(?\s*(select|with)\b/i.test(query) && writesNothing(query);

/** Statements PREPAREd through the gate, by name: whether what each runs is a read. */
const preparedReads = new Map<string, boolean>();

/**
 * A single read: SELECT, or WITH … SELECT, that writes nothing (above); or the PREPARE of such a
 * read and an EXECUTE of one (the session lookup's, so that a full disk still lets signed-in users
 * read). Conservative: anything else counts as a write and meets the floor.
 */
export function readOnly(query: unknown): boolean {
  if (typeof query !== 'string') return false;
  const prepare = /^\s*prepare\s+([a-z_][a-z0-9_]*)\s*(?:\([^)]*\))?\s+as\s+([\s\S]+)$/i.exec(query);
  if (prepare) {
    const read = isSelect(prepare[2]!);
    preparedReads.set(prepare[1]!.toLowerCase(), read);
    return read;
  }
  const execute = /^\s*execute\s+([a-z_][a-z0-9_]*)\b/i.exec(query);
  if (execute) return preparedReads.get(execute[1]!.toLowerCase()) === true && writesNothing(query);
  return isSelect(query);
}

export class PgliteGate {
  private current: PGlite;
  private retired: { reason: string; instance: PGlite } | undefined;
  private readonly waiting: Record<DatabaseLane, Waiting[]> = { foreground: [], background: [] };
  /** A call (or a whole transaction) holds the gate, or the yield before the next one runs. */
  private busy = false;
  /** When the background lane was last served (the starvation guard counts from here). */
  private backgroundServedAt = Number.NEGATIVE_INFINITY;
  private idle: (() => void)[] = [];
  private readonly lanes: boolean;
  private readonly starvationMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private reopening = false;
  private closed = false;
  /** What Drizzle talks to: `query`, `exec` and `transaction` go through the gate. */
  readonly client: PGlite;

  constructor(
    first: PGlite,
    private readonly options: PgliteGateOptions,
  ) {
    this.current = first;
    this.lanes = options.lanes ?? lanesByDefault;
    this.starvationMs = options.starvationMs ?? 200;
    this.now = options.now ?? (() => performance.now());
    const gated: Record<string, Method> = {
      query: (...args) => this.run((c) => (c.query as Method)(...args), readOnly(args[0])),
      exec: (...args) => this.run((c) => (c.exec as Method)(...args), readOnly(args[0])),
      transaction: (fn) => this.transaction(fn as (tx: unknown) => Promise<unknown>),
    };
    this.client = new Proxy({} as PGlite, {
      get: (_, prop) => {
        if (typeof prop === 'string' && prop in gated) return gated[prop];
        const value = (this.current as unknown as Record<string | symbol, unknown>)[prop];
        return typeof value === 'function' ? (value as Method).bind(this.current) : value;
      },
    });
  }

  /** When the call (or whole transaction) holding the gate began, while one does. */
  private runningSince: number | undefined;

  /** How long the call holding the gate has run (ms; 0 when idle): a long transaction, not a dead database. */
  get activeMs(): number {
    return this.runningSince === undefined ? 0 : this.now() - this.runningSince;
  }

  /** The instance calls go to now (the stall guard watches it). */
  get instance(): PGlite {
    return this.current;
  }

  /** Why writes stop, while they do (a retired instance, or free space below the floor). */
  get unavailable(): string | undefined {
    if (this.retired) return this.retired.reason;
    try {
      this.checkFloor();
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  private fail(): never {
    throw new DatabaseDiskFullError(this.retired!.reason);
  }

  /** Refuses a write when the filesystem is below the floor (a fresh statfs: a few µs, against a query's ms). */
  private checkFloor(): void {
    if (this.options.floorBytes <= 0) return;
    const free = freeBytesNow(this.options.dir);
    if (free !== undefined && free < this.options.floorBytes) {
      throw new DatabaseDiskFullError(
        `the embedded database is not writing: only ${Math.floor(free / 1048576)} MB free under DATA_DIR, ` +
          `below the ${Math.floor(this.options.floorBytes / 1048576)} MB it keeps for itself; it resumes by itself once space is freed`,
        true,
      );
    }
  }

  private async tracked<T>(call: () => Promise<T>): Promise<T> {
    this.options.onCall?.(true);
    try {
      return await call();
    } finally {
      this.options.onCall?.(false);
    }
  }

  private retire(instance: PGlite, error: unknown): void {
    if (this.retired || instance !== this.current) return;
    const detail = error instanceof Error ? error.message.slice(0, 200) : String(error);
    const reason = `the embedded database stopped writing: its disk is full (${detail}); it resumes by itself once space is freed under DATA_DIR`;
    this.retired = { reason, instance };
    this.options.onRetired?.(reason);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tryReopen();
    }, this.options.retryMs ?? 1_000);
    this.timer.unref();
  }

  /** Replaces a retired instance once the filesystem has room (crash recovery on the same directory). */
  async tryReopen(): Promise<boolean> {
    if (!this.retired || this.reopening || this.closed) return !this.retired;
    this.reopening = true;
    try {
      const free = await freeBytesOf(this.options.dir);
      if (free !== undefined && free < this.options.minFreeBytes) return false;
      const fresh = await this.options.open();
      if (this.closed) {
        await fresh.close().catch(() => {});
        return false;
      }
      // The retired instance is dropped, never closed: any call into it would spin.
      const retired = this.retired.instance;
      this.current = fresh;
      this.retired = undefined;
      this.options.discard?.(retired);
      this.options.onRecovered?.();
      return true;
    } catch {
      return false;
    } finally {
      this.reopening = false;
      if (this.retired) this.schedule();
    }
  }

  /**
   * One call at a time (as PGlite itself does), so nothing queued reaches an instance that just failed.
   * Each call first yields to the event loop (setImmediate runs after pending I/O): PGlite runs on this
   * thread, and a queue of calls chained through promises alone would never let an HTTP request in —
   * under 30 concurrent searches a health probe waited 12 s. With the yield it waits one call at most.
   *
   * The next call is chosen after that yield, so a request that arrived meanwhile is already waiting:
   * a foreground call if any waits, else a background one — unless the background lane has waited
   * `starvationMs` since it was last served (or since its oldest call came), then one background call
   * goes first, so ingest always progresses (at least one call per `starvationMs`).
   */
  private run<T>(call: (client: PGlite) => Promise<T>, read = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const lane = this.lanes ? currentLane() : 'foreground';
      this.waiting[lane].push({ since: this.now(), start: () => this.execute(call, read).then(resolve, reject) });
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy) return;
    if (this.waiting.foreground.length === 0 && this.waiting.background.length === 0) {
      for (const done of this.idle.splice(0)) done();
      return;
    }
    this.busy = true;
    setImmediate(() => {
      const next = this.next();
      this.runningSince = this.now();
      void next.start().finally(() => {
        this.runningSince = undefined;
        this.busy = false;
        this.pump();
      });
    });
  }

  private next(): Waiting {
    const { foreground, background } = this.waiting;
    const now = this.now();
    const head = background[0];
    if (head && (foreground.length === 0 || now - Math.max(head.since, this.backgroundServedAt) >= this.starvationMs)) {
      this.backgroundServedAt = now;
      return background.shift()!;
    }
    return foreground.shift()!;
  }

  private async execute<T>(call: (client: PGlite) => Promise<T>, read: boolean): Promise<T> {
    if (this.retired) this.fail();
    if (!read) this.checkFloor();
    const instance = this.current;
    try {
      return await this.tracked(() => call(instance));
    } catch (error) {
      if (fromPglite(error)) this.retire(instance, error);
      throw error;
    }
  }

  /** Resolves once no call runs or waits. */
  private drained(): Promise<void> {
    if (!this.busy && this.waiting.foreground.length === 0 && this.waiting.background.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private transaction(fn: (tx: unknown) => Promise<unknown>): Promise<unknown> {
    return this.run(
      (instance) =>
        new Promise((resolve, reject) => {
          // If a statement inside hits the full disk, answer the caller now and leave PGlite's
          // transaction pending for ever: its automatic ROLLBACK would be the call that spins.
          const abandon = (error: unknown) => {
            this.retire(instance, error);
            reject(error);
            return new Promise<never>(() => {});
          };
          const guard = (tx: Record<string, unknown>) =>
            new Proxy(tx, {
              get: (target, prop) => {
                const value = target[prop as string];
                if (typeof value !== 'function') return value;
                if (prop !== 'query' && prop !== 'exec' && prop !== 'sql') return (value as Method).bind(target);
                return async (...args: unknown[]) => {
                  // A long transaction (an ingest batch) lets HTTP in between its statements too.
                  await new Promise<void>((resolve) => setImmediate(resolve));
                  if (this.retired) return abandon(new DatabaseDiskFullError(this.retired.reason));
                  try {
                    // Below the floor mid-transaction: fail the statement; PGlite rolls back (no WAL needed).
                    if (!readOnly(args[0])) this.checkFloor();
                    return await this.tracked(() => (value as Method).apply(target, args));
                  } catch (error) {
                    if (fromPglite(error)) return abandon(error);
                    throw error;
                  }
                };
              },
            });
          instance
            .transaction(async (tx) => {
              try {
                return await fn(guard(tx as unknown as Record<string, unknown>));
              } catch (error) {
                if (this.retired || fromPglite(error)) return abandon(error);
                throw error;
              }
            })
            .then(resolve, reject);
        }),
    );
  }

  /** Closes the live instance (a retired one is left alone: closing it would spin). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.drained();
    if (!this.retired) await this.current.close();
    else this.options.discard?.(this.retired.instance);
  }
}
