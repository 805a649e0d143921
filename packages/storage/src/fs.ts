/**
 * Local-disk adapter: objects live under `dir/<key>`. Writes go to a
 * temporary file in `dir/.tmp` and are renamed into place, so a crash never
 * leaves half a file under a real key.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile, unlink } from 'node:fs/promises';
import path from 'node:path';

import { pipeline } from 'node:stream/promises';
import { createSpaceMonitor, formatMb, type SpaceMonitor } from './space.js';
import {
  assertValidKey,
  assertValidPrefix,
  cachedCheck,
  ObjectNotFoundError,
  StorageWriteError,
  type ObjectStorage,
  type StorageCheck,
  type StoredObject,
} from './types.js';

const TMP = '.tmp';

export interface FsStorageOptions {
  dir: string;
  /**
   * Space to keep free on the filesystem(s) of `dir` and `watchDirs` (DISK_RESERVE_MB): below it,
   * health says so and uploads are refused. Without it the adapter reports no disk picture.
   */
  reserveBytes?: number;
  /** Other directories whose filesystem matters (DATA_DIR, where the embedded database lives). */
  watchDirs?: readonly string[];
  /** How long a failed write keeps health degraded when nothing has been stored since (ms). */
  writeFailureTtlMs?: number;
}

export function createFsStorage(options: FsStorageOptions): ObjectStorage {
  const root = path.resolve(options.dir);
  const monitor: SpaceMonitor | undefined =
    options.reserveBytes === undefined ? undefined : createSpaceMonitor({ dirs: [root, ...(options.watchDirs ?? [])], reserveBytes: options.reserveBytes });
  const writeFailureTtlMs = options.writeFailureTtlMs ?? 60_000;
  let lastWriteFailure: { at: number; message: string } | undefined;
  const probe = cachedCheck('fs', async () => {
    await ensureRoot();
    const file = path.join(tmpDir, `health-${randomUUID()}`);
    await writeFile(file, 'ok');
    await rm(file, { force: true });
  });
  const tmpDir = path.join(root, TMP);
  const resolveKey = (key: string) => {
    assertValidKey(key);
    const full = path.join(root, ...key.split('/'));
    if (!full.startsWith(root + path.sep)) throw new Error('invalid storage key');
    return full;
  };
  let ready: Promise<void> | undefined;
  const ensureRoot = () => (ready ??= mkdir(tmpDir, { recursive: true }).then(() => undefined));

  async function* walk(dir: string, relative: string): AsyncGenerator<{ key: string; lastModified?: Date }> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (relative === '' && entry.name === TMP) continue;
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) yield* walk(full, rel);
      else if (entry.isFile()) {
        const s = await stat(full).catch(() => undefined);
        if (s) yield { key: rel, lastModified: s.mtime };
      }
    }
  }

  const storage: ObjectStorage = {
    driver: 'fs',

    async put(key, body) {
      const target = resolveKey(key);
      await ensureRoot();
      const tmp = path.join(tmpDir, `${randomUUID()}.part`);
      // A failing body (the client went away, a size limit) is the caller's error; anything the
      // disk says (ENOSPC, EDQUOT, EIO …) is a StorageWriteError. Either way the partial file goes.
      let writeError: Error | undefined;
      let bodyError: Error | undefined;
      try {
        if (Buffer.isBuffer(body)) {
          await writeFile(tmp, body, { flag: 'wx' }).catch((e: Error) => {
            throw (writeError = e);
          });
        } else {
          const out = createWriteStream(tmp, { flags: 'wx' });
          out.once('error', (e) => (writeError ??= e));
          body.once('error', (e) => (bodyError ??= e));
          await pipeline(body, out);
        }
        await mkdir(path.dirname(target), { recursive: true }).catch((e: Error) => {
          throw (writeError = e);
        });
        await rename(tmp, target).catch((e: Error) => {
          throw (writeError = e);
        });
      } catch (error) {
        await rm(tmp, { force: true }).catch(() => {});
        monitor?.invalidate();
        if (writeError || error !== bodyError) {
          const failure = new StorageWriteError(writeError ?? error);
          lastWriteFailure = { at: Date.now(), message: failure.message };
          probe.invalidate();
          throw failure;
        }
        throw error;
      }
      lastWriteFailure = undefined;
      const s = await stat(target);
      if (s.size > 8 * 1024 * 1024) monitor?.invalidate();
      return { size: s.size };
    },

    async get(key) {
      const full = resolveKey(key);
      const meta = await storage.head(key);
      if (!meta) throw new ObjectNotFoundError(key);
      return { ...meta, stream: createReadStream(full) };
    },

    async head(key): Promise<StoredObject | undefined> {
      try {
        const s = await stat(resolveKey(key));
        return s.isFile() ? { size: s.size, lastModified: s.mtime } : undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },

    async delete(key) {
      try {
        await unlink(resolveKey(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },

    list(prefix) {
      assertValidPrefix(prefix);
      const trimmed = prefix.replace(/\/$/, '');
      // Walk the deepest directory the prefix names, then filter by the remainder.
      const slash = trimmed.lastIndexOf('/');
      const dirPart = prefix.endsWith('/') ? trimmed : slash >= 0 ? trimmed.slice(0, slash) : '';
      const start = dirPart ? path.join(root, ...dirPart.split('/')) : root;
      return (async function* () {
        for await (const entry of walk(start, dirPart)) if (entry.key.startsWith(prefix)) yield entry;
      })();
    },

    async deletePrefix(prefix) {
      let n = 0;
      for await (const { key } of storage.list(prefix)) {
        await storage.delete(key);
        n++;
      }
      if (prefix.endsWith('/')) {
        await rm(path.join(root, ...prefix.replace(/\/$/, '').split('/')), { recursive: true, force: true });
      }
      return n;
    },

    async check(): Promise<StorageCheck> {
      const [probed, space] = await Promise.all([probe(), monitor?.read().catch(() => undefined)]);
      // Nothing to add: the cached probe itself (callers may compare identity).
      if (!space && !lastWriteFailure) return probed;
      const result: StorageCheck = { ...probed };
      const problems: string[] = [];
      if (space) {
        result.disk = { freeBytes: space.freeBytes, reserveBytes: space.reserveBytes, low: space.low };
        if (space.low) {
          problems.push(
            `low disk space: ${formatMb(space.freeBytes)} free on the filesystem of ${space.dir}, ` +
              `below the ${formatMb(space.reserveBytes)} reserve (DISK_RESERVE_MB); uploads are refused`,
          );
        }
      }
      // A probe that succeeded after the last failed write clears it; so does a stored object.
      if (probed.ok && lastWriteFailure && Date.parse(probed.checkedAt) > lastWriteFailure.at) lastWriteFailure = undefined;
      if (!probed.ok) problems.push(`storage write failing: ${probed.error ?? 'the write probe failed'}`);
      else if (lastWriteFailure && Date.now() - lastWriteFailure.at < writeFailureTtlMs) {
        problems.push(`storage write failing: ${lastWriteFailure.message}`);
      }
      if (problems.length > 0) {
        result.ok = false;
        result.error = problems.join('; ');
      }
      return result;
    },

    // `fresh`: an upload's admission measures now (statfs is cheap); health and the streaming pump accept a sample.
    ...(monitor ? { space: (options?: { fresh?: boolean }) => (options?.fresh ? (monitor.invalidate(), monitor.read()) : monitor.read()) } : {}),
  };
  return storage;
}

/** Removes temporary files older than `olderThanMs` left by a crash mid-write. */
export async function sweepFsTemp(dir: string, olderThanMs = 60 * 60 * 1000): Promise<number> {
  const tmpDir = path.join(path.resolve(dir), TMP);
  let n = 0;
  let names: string[];
  try {
    names = await readdir(tmpDir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const full = path.join(tmpDir, name);
    const s = await stat(full).catch(() => undefined);
    if (s && Date.now() - s.mtimeMs >= olderThanMs) {
      await rm(full, { force: true });
      n++;
    }
  }
  return n;
}

