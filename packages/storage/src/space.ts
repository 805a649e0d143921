/**
 * Free space on the filesystem(s) under DATA_DIR, from statfs, cached for a
 * moment so upload checks and /api/health stay cheap. Quarry keeps a reserve
 * free at all times so the embedded database never meets a full disk: an
 * upload is refused when storing it would eat into the reserve.
 */
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import path from 'node:path';

export interface DiskSpace {
  /** Bytes an unprivileged writer may still use (the smallest over the watched filesystems). */
  freeBytes: number;
  totalBytes: number;
  /** Space Quarry keeps free for the embedded database (DISK_RESERVE_MB). */
  reserveBytes: number;
  /** True when free space is below the reserve. */
  low: boolean;
  /** The directory whose filesystem is the tightest. */
  dir: string;
}

export interface SpaceMonitor {
  /** The current picture, at most `ttlMs` old. */
  read(): Promise<DiskSpace | undefined>;
  /** Forgets the cached picture (after a write failed or a large write finished). */
  invalidate(): void;
}

/** True for "the disk (or the quota) is full" from Node, PostgreSQL or PGlite. */
export function isNoSpaceError(error: unknown): boolean {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT' || e.code === '53100') return true;
    if (typeof e.message === 'string' && /no space left on device|disk quota exceeded/i.test(e.message)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

export const MiB = 1024 * 1024;

/** "12.3 MB" — for messages operators read. */
export function formatMb(bytes: number): string {
  return `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MB`;
}

function nearestExisting(dir: string): string {
  let d = path.resolve(dir);
  while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

export function createSpaceMonitor(options: { dirs: string[]; reserveBytes: number; ttlMs?: number }): SpaceMonitor {
  const ttlMs = options.ttlMs ?? 1_500;
  const dirs = [...new Set(options.dirs.map((d) => path.resolve(d)))];
  let last: { at: number; value: DiskSpace | undefined } | undefined;
  let inflight: Promise<DiskSpace | undefined> | undefined;
  const measure = async (): Promise<DiskSpace | undefined> => {
    let best: DiskSpace | undefined;
    for (const dir of dirs) {
      try {
        const s = await statfs(nearestExisting(dir));
        const freeBytes = Number(s.bavail) * Number(s.bsize);
        if (!best || freeBytes < best.freeBytes) {
          best = { freeBytes, totalBytes: Number(s.blocks) * Number(s.bsize), reserveBytes: options.reserveBytes, low: false, dir };
        }
      } catch {
        /* statfs unavailable here: no picture for this directory */
      }
    }
    if (best) best.low = best.freeBytes < best.reserveBytes;
    return best;
  };
  return {
    read() {
      if (last && Date.now() - last.at < ttlMs) return Promise.resolve(last.value);
      inflight ??= measure().then((value) => {
        last = { at: Date.now(), value };
        inflight = undefined;
        return value;
      });
      return inflight;
    },
    invalidate() {
      last = undefined;
    },
  };
}
