/**
 * Small tmpfs mounts for disk-full tests (root only, as in CI). `tmpfsUnavailable`
 * is computed once, synchronously, so tests can `it.skipIf(tmpfsUnavailable)` and
 * print the reason.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function probe(): string | undefined {
  if (process.platform !== 'linux') return `tmpfs mounts need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (run as root, as CI does)';
  const dir = mkdtempSync(path.join(tmpdir(), 'quarry-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1M', 'tmpfs', dir], { stdio: 'pipe', timeout: 10_000 });
    execFileSync('umount', [dir], { stdio: 'pipe', timeout: 10_000 });
    return undefined;
  } catch (error) {
    return `mount -t tmpfs is not available here: ${(error as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why tmpfs tests cannot run here, or undefined when they can. */
export const tmpfsUnavailable: string | undefined = probe();
if (tmpfsUnavailable) console.warn(`[disk-full tests skipped] ${tmpfsUnavailable}`);

export interface Tmpfs {
  dir: string;
  /** Unmounts (lazily if still busy) and removes the mount point; safe to call twice. */
  unmount(): void;
}

export function mountTmpfs(sizeMb: number, prefix = 'quarry-tmpfs-'): Tmpfs {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}M`, 'tmpfs', dir], { stdio: 'pipe', timeout: 10_000 });
  let mounted = true;
  return {
    dir,
    unmount() {
      if (!mounted) return;
      mounted = false;
      try {
        execFileSync('umount', [dir], { stdio: 'pipe', timeout: 10_000 });
      } catch {
        // A child still holding a file: detach now, the kernel frees it when the last user goes.
        try {
          execFileSync('umount', ['-l', dir], { stdio: 'pipe', timeout: 10_000 });
        } catch {
          /* nothing more to do */
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * Writes `file` until the filesystem of `dir` has at most `leaveBytes` free (0: until ENOSPC).
 * Returns how many bytes it wrote.
 */
export function fillDisk(dir: string, file: string, leaveBytes = 0): number {
  const fd = openSync(file, 'a');
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  let written = 0;
  try {
    // Bounded: never more chunks than the filesystem could hold.
    for (let i = 0; i < 1_000_000; i++) {
      const room = freeBytes(dir) - leaveBytes;
      if (room <= 0) break;
      const n = Math.min(chunk.length, room);
      try {
        written += writeSync(fd, chunk, 0, n);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw error;
      }
    }
    if (leaveBytes === 0) {
      // The last pages: small writes until the kernel says no.
      for (let i = 0; i < 100_000; i++) {
        try {
          written += writeSync(fd, chunk, 0, 4096);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
