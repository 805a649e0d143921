/**
 * The local-disk adapter on a full filesystem (a small tmpfs this test mounts; root only, as in CI):
 * a write that hits ENOSPC mid-stream rejects promptly with a StorageWriteError and leaves no
 * partial file; health and the space picture say the disk is low.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillDisk, mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../../../test/support/tmpfs.js';
import { createFsStorage, MiB, StorageWriteError } from './index.js';

/** `total` bytes in 64 KiB chunks, produced only as fast as they are read. */
function slowSource(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(64 * 1024, total - sent);
      sent += n;
      this.push(Buffer.alloc(n, 0x62));
    },
  });
}

/** Rejects when `promise` has not settled within `ms` (the hang this file guards against). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    }),
  ]);
}

describe('fs storage on a full disk', { timeout: 60_000 }, () => {
  let fs: Tmpfs | undefined;

  beforeAll(() => {
    if (!tmpfsUnavailable) fs = mountTmpfs(8);
  });
  afterAll(() => fs?.unmount());

  it.skipIf(tmpfsUnavailable !== undefined)('a stream that hits ENOSPC rejects promptly, names the cause and leaves no partial file', async () => {
    const dir = path.join(fs!.dir, 'objects');
    const storage = createFsStorage({ dir, reserveBytes: 2 * MiB, watchDirs: [fs!.dir] });
    // 20 MB into an 8 MB filesystem: the write stream fails part-way.
    const error = await within(storage.put('documents/a/b', slowSource(20 * MiB), { contentType: 'text/plain' }), 20_000, 'put').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageWriteError);
    expect((error as StorageWriteError).noSpace).toBe(true);
    expect((error as StorageWriteError).code).toBe('ENOSPC');
    expect(readdirSync(path.join(dir, '.tmp'))).toEqual([]);
    expect(await storage.head('documents/a/b')).toBeUndefined();

    // The partial file is gone, so the disk has room again: a fresh write probe proves it and health
    // does not stay degraded for a failure that no longer holds.
    // Room again: the same adapter stores and health clears.
    await storage.put('documents/a/c', Buffer.from('small'), { contentType: 'text/plain' });
    expect((await storage.head('documents/a/c'))?.size).toBe(5);
    const after = await storage.check();
    expect(after.ok).toBe(true);
    expect(after.disk?.low).toBe(false);
  });

  it.skipIf(tmpfsUnavailable !== undefined)('a body piped through a PassThrough (as the upload service does) is destroyed, not left waiting', async () => {
    const dir = path.join(fs!.dir, 'objects');
    const storage = createFsStorage({ dir, reserveBytes: 2 * MiB });
    const body = new PassThrough();
    const put = storage.put('documents/a/d', body, { contentType: 'text/plain' });
    // Write far more than fits, honouring backpressure the way the upload pump does.
    const pump = (async () => {
      const chunk = Buffer.alloc(256 * 1024, 0x63);
      for (let i = 0; i < 200 && !body.destroyed; i++) {
        if (!body.write(chunk)) {
          await new Promise<void>((resolve) => {
            body.once('drain', resolve);
            body.once('close', resolve);
          });
        }
      }
      if (!body.destroyed) body.end();
    })();
    await expect(within(put, 20_000, 'put')).rejects.toBeInstanceOf(StorageWriteError);
    await within(pump, 5_000, 'pump');
    expect(body.destroyed).toBe(true);
    expect(readdirSync(path.join(dir, '.tmp'))).toEqual([]);
  });

  it.skipIf(tmpfsUnavailable !== undefined)('space() and health report a disk below the reserve', async () => {
    const storage = createFsStorage({ dir: path.join(fs!.dir, 'objects'), reserveBytes: 4 * MiB, watchDirs: [fs!.dir] });
    const filler = path.join(fs!.dir, 'filler');
    fillDisk(fs!.dir, filler, 1 * MiB);
    const space = await storage.space!();
    expect(space?.low).toBe(true);
    expect(space!.freeBytes).toBeLessThan(4 * MiB);
    const check = await storage.check();
    expect(check.ok).toBe(false);
    expect(check.error).toMatch(/low disk space: .* free .* below the 4\.0 MB reserve \(DISK_RESERVE_MB\)/);
    expect(check.error).not.toMatch(/storage write failing/);

    // Completely full: the write probe fails too, and health names both.
    fillDisk(fs!.dir, filler, 0);
    const full = createFsStorage({ dir: path.join(fs!.dir, 'objects'), reserveBytes: 4 * MiB, watchDirs: [fs!.dir] });
    const both = await full.check();
    expect(both.ok).toBe(false);
    expect(both.error).toMatch(/low disk space: 0\.0 MB free/);
    expect(both.error).toMatch(/storage write failing: ENOSPC/);
    await expect(full.put('documents/a/e', Buffer.from('x'), { contentType: 'text/plain' })).rejects.toBeInstanceOf(StorageWriteError);
    expect(readdirSync(path.join(fs!.dir, 'objects', '.tmp')).filter((f) => f.endsWith('.part'))).toEqual([]);
  });
});
