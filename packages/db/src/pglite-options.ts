/**
 * How Quarry opens PGlite, on the main thread or in its own (pglite-thread/entry.ts): one place,
 * so both open the same database the same way.
 *
 * shared_buffers is chosen when the database opens, from how much it holds. PGlite touches its
 * whole buffer pool while opening (+224 MB RSS at PostgreSQL's default 128 MB, +111 MB at 32 MB,
 * measured on an empty cluster), so a pool much larger than the data is memory spent on nothing.
 * Too small a pool is worse the other way: at 32 MB the HNSW index of a 100k-passage workspace
 * fell out of it and its searches slowed five-fold (semantic p95 518 ms, hybrid 548 ms in
 * `bench:search`). So the pool is the relations' size with room to grow in this run, between
 * 32 MB and PostgreSQL's 128 MB; a database that grows past its pool gets a bigger one at the
 * next start. PGLITE_SHARED_BUFFERS=<n>MB fixes it instead.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';

export const SHARED_BUFFERS_MIN_MB = 32;
export const SHARED_BUFFERS_MAX_MB = 128;

/** 'auto' (sized by the data, see above) or a fixed pool in MB. */
export type SharedBuffers = 'auto' | number;

/**
 * Bytes of table and index files of the largest database under `pgdata/base` (0 for a directory not
 * made yet). The largest is Quarry's: template0 and template1 hold only catalogs and are never read.
 */
export function relationBytes(pgdata: string): number {
  const base = path.join(pgdata, 'base');
  let largest = 0;
  let databases: string[];
  try {
    databases = readdirSync(base);
  } catch {
    return 0;
  }
  for (const db of databases) {
    let files: string[];
    try {
      files = readdirSync(path.join(base, db));
    } catch {
      continue;
    }
    let total = 0;
    for (const f of files) {
      try {
        total += statSync(path.join(base, db, f)).size;
      } catch {
        /* removed while we looked */
      }
    }
    largest = Math.max(largest, total);
  }
  return largest;
}

/** The pool for a database whose relations take `bytes`: 1.5× that, in 16 MB steps, within 32–128 MB. */
export function sharedBuffersForSize(bytes: number): number {
  const wanted = Math.ceil((bytes * 1.5) / (16 * 1024 * 1024)) * 16;
  return Math.min(SHARED_BUFFERS_MAX_MB, Math.max(SHARED_BUFFERS_MIN_MB, wanted));
}

export function pgliteOptions(dataDir: string, sharedBuffers: SharedBuffers = 'auto'): PGliteOptions & { dataDir: string } {
  const mb = sharedBuffers === 'auto' ? sharedBuffersForSize(relationBytes(dataDir)) : sharedBuffers;
  return {
    dataDir,
    extensions: { vector },
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${mb}MB`],
  };
}
