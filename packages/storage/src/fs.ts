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
import { assertValidKey, assertValidPrefix, cachedCheck, ObjectNotFoundError, type ObjectStorage, type StoredObject } from './types.js';

const TMP = '.tmp';

export function createFsStorage(options: { dir: string }): ObjectStorage {
  const root = path.resolve(options.dir);
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
      try {
        if (Buffer.isBuffer(body)) await writeFile(tmp, body, { flag: 'wx' });
        else await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
        await mkdir(path.dirname(target), { recursive: true });
        await rename(tmp, target);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
      const s = await stat(target);
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

    check: cachedCheck('fs', async () => {
      await ensureRoot();
      const probe = path.join(tmpDir, `health-${randomUUID()}`);
      await writeFile(probe, 'ok');
      await rm(probe, { force: true });
    }),
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
    if (s && Date.now() - s.mtimeMs > olderThanMs) {
      await rm(full, { force: true });
      n++;
    }
  }
  return n;
}

