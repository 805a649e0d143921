/**
 * Production guard: files must never land in a container's writable layer.
 * With local-disk storage in production, DATA_DIR must sit on a mounted
 * volume (a bind mount or a named volume), which /proc/self/mountinfo shows.
 */
import { readFileSync, realpathSync, existsSync } from 'node:fs';
import path from 'node:path';

export class StorageGuardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageGuardError';
  }
}

interface GuardInput {
  production: boolean;
  storage: { driver: 'fs'; dir: string } | { driver: 's3' };
  dataDir: string;
  /** For tests: the text of /proc/self/mountinfo. */
  mountinfo?: string;
}

/** Mount points from mountinfo (field 5), with octal escapes (\040 = space) decoded. */
export function parseMountPoints(mountinfo: string): string[] {
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined && p.startsWith('/'))
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))));
}

/** The mount point that holds `dir` (the longest mount-point prefix of its real path). */
export function mountPointOf(dir: string, mountPoints: string[]): string {
  // The directory may not exist yet: resolve symlinks of its nearest existing ancestor.
  let existing = path.resolve(dir);
  let rest = '';
  while (!existsSync(existing) && path.dirname(existing) !== existing) {
    rest = path.join(path.basename(existing), rest);
    existing = path.dirname(existing);
  }
  let real = existing;
  try {
    real = realpathSync(existing);
  } catch {
    /* keep the resolved path */
  }
  real = path.join(real, rest);
  let best = '/';
  for (const mp of mountPoints) {
    const within = real === mp || real.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (within && mp.length > best.length) best = mp;
  }
  return best;
}

/**
 * Throws StorageGuardError when production would store files on the
 * container's root filesystem. Outside Linux (no mountinfo) it does nothing.
 */
export function assertDurableFileStorage(input: GuardInput): void {
  if (!input.production || input.storage.driver !== 'fs') return;
  let mountinfo = input.mountinfo;
  if (mountinfo === undefined) {
    try {
      mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return;
    }
  }
  const dir = input.storage.dir;
  const mp = mountPointOf(dir, parseMountPoints(mountinfo));
  if (mp === '/') {
    throw new StorageGuardError(
      `refusing to start: NODE_ENV=production stores files on local disk in ${path.resolve(dir)}, ` +
        `which is not on a mounted volume (it would live in the container's writable layer and be lost). ` +
        `Mount a volume at DATA_DIR (${path.resolve(input.dataDir)}), or configure Cloudflare R2 ` +
        `(R2_ACCOUNT_ID, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY, R2_BUCKET).`,
    );
  }
}
