import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestS3, type TestS3 } from '../../../test/support/s3-server.js';
import { createFsStorage, createS3Storage, ObjectNotFoundError, type ObjectStorage } from './index.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A stream of `size` bytes in small uneven chunks, like a network upload. */
function chunked(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; ) {
        const n = 1000 + ((i * 7) % 65_000);
        yield data.subarray(i, i + n);
        i += n;
      }
    })(),
  );
}

let s3: TestS3;
let fsDir: string;
const adapters: Record<string, () => ObjectStorage> = {};

beforeAll(async () => {
  s3 = await startTestS3();
  fsDir = mkdtempSync(path.join(tmpdir(), 'quarry-fs-storage-'));
  adapters.fs = () => createFsStorage({ dir: fsDir });
  // Small parts so the 12 MB case really goes up as a multipart upload.
  adapters.s3 = () => createS3Storage({ ...s3.config, partSizeBytes: 5 * 1024 * 1024, singlePutMaxBytes: 1024 * 1024 });
});

afterAll(async () => {
  await s3?.close();
  rmSync(fsDir, { recursive: true, force: true });
});

describe.each(['fs', 's3'])('%s storage', (driver) => {
  const storage = () => adapters[driver]!();

  it.each([
    ['a streamed 300,000-byte body', 300_000],
    ['a 12 MB multipart body', 12 * 1024 * 1024 + 17],
  ])('stores %s byte-exact (size and SHA-256)', async (_label, size) => {
    const data = randomBytes(size);
    const key = `test/${driver}-${size}`;
    const put = await storage().put(key, chunked(data), { contentType: 'application/octet-stream' });
    expect(put.size).toBe(size);
    expect((await storage().head(key))?.size).toBe(size);
    const got = await storage().get(key);
    expect(got.size).toBe(size);
    const back = await readAll(got.stream);
    expect(back.length).toBe(size);
    expect(sha256(back)).toBe(sha256(data));
  });

  it('stores a Buffer, lists, deletes idempotently and by prefix', async () => {
    const s = storage();
    await s.put('ws/a/one', Buffer.from('one'), { contentType: 'text/plain' });
    await s.put('ws/a/two', Buffer.from('two'), { contentType: 'text/plain' });
    await s.put('ws/b/three', Buffer.from('three'), { contentType: 'text/plain' });
    const keys: string[] = [];
    for await (const { key } of s.list('ws/a/')) keys.push(key);
    expect(keys.sort()).toEqual(['ws/a/one', 'ws/a/two']);
    await s.delete('ws/a/one');
    await s.delete('ws/a/one');
    expect(await s.head('ws/a/one')).toBeUndefined();
    await expect(s.get('ws/a/one')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await s.deletePrefix('ws/a/')).toBe(1);
    expect(await s.head('ws/a/two')).toBeUndefined();
    expect((await s.head('ws/b/three'))?.size).toBe(5);
  });

  it('leaves nothing under the key when the source stream fails', async () => {
    const s = storage();
    const failing = new Readable({
      read() {
        this.push(randomBytes(64 * 1024));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(s.put('test/broken', failing, { contentType: 'application/octet-stream' })).rejects.toThrow();
    expect(await s.head('test/broken')).toBeUndefined();
  });

  it('rejects keys that could escape the store', async () => {
    const s = storage();
    for (const key of ['../etc/passwd', '/abs', 'a/../../b', 'A B', '']) {
      await expect(s.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(/invalid storage key/);
    }
  });

  it('reports health from a cached probe', async () => {
    const s = storage();
    const first = await s.check();
    expect(first).toMatchObject({ ok: true, driver });
    expect(await s.check()).toBe(first);
  });
});

describe('fs storage', () => {
  it('writes through a temporary file and never leaves it behind', async () => {
    const s = createFsStorage({ dir: fsDir });
    await s.put('tmpcheck/x', Buffer.from('hello'), { contentType: 'text/plain' });
    expect(readdirSync(path.join(fsDir, '.tmp'))).toEqual([]);
  });

  it('reports an unwritable directory as unhealthy', async () => {
    const file = path.join(fsDir, 'not-a-dir');
    writeFileSync(file, 'x');
    const check = await createFsStorage({ dir: file }).check();
    expect(check.ok).toBe(false);
    expect(check.error).toBeTruthy();
  });
});

describe('s3 storage', () => {
  it('reports an unreachable endpoint as unhealthy', async () => {
    const s = createS3Storage({ ...s3.config, endpoint: 'http://127.0.0.1:9' });
    const check = await s.check();
    expect(check).toMatchObject({ ok: false, driver: 's3' });
  });
});
