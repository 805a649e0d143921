/**
 * An exclusive, PID-stamped lock on DATA_DIR. PGlite has no multi-process
 * protection: two processes on one directory both "succeed" and one loses its
 * writes. The lock file names the holder so the refusal can say who it is.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
    readonly holderHost: string,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another Quarry process (pid ${holderPid} on ${holderHost}). ` +
        'Two processes on one embedded database lose writes: stop that process first, or point DATA_DIR elsewhere.',
    );
    this.name = 'DataDirLockedError';
  }
}

interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const file = path.join(dataDir, 'quarry.lock');
  const me: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const candidate = `${file}.${process.pid}.${Date.now()}`;
  writeFileSync(candidate, JSON.stringify(me));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // link() is atomic and fails if the target exists: exactly one process wins.
        linkSync(candidate, file);
        return { file, release: () => releaseIfMine(file) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(file);
      if (holder && holder.host === me.host && isAlive(holder.pid) && holder.pid !== process.pid) {
        throw new DataDirLockedError(dataDir, holder.pid, holder.host);
      }
      if (holder && holder.host !== me.host) {
        // Cannot check a process on another host; refuse rather than risk it.
        throw new DataDirLockedError(dataDir, holder.pid, holder.host);
      }
      // Stale lock from a process that died: move it aside atomically, then retry.
      try {
        renameSync(file, `${file}.stale.${Date.now()}`);
      } catch {
        /* another starter moved it first; retry the link */
      }
    }
    throw new Error(`could not take the lock ${file}; remove it if no Quarry process is running`);
  } finally {
    unlinkSync(candidate);
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseIfMine(file: string): void {
  const holder = readHolder(file);
  if (holder?.pid === process.pid) {
    try {
      unlinkSync(file);
    } catch {
      /* already gone */
    }
  }
}
