/**
 * How Quarry opens PGlite, on the main thread or in its own (pglite-thread/entry.ts): one place,
 * so both open the same database the same way.
 *
 * shared_buffers stays at PostgreSQL's 128 MB on purpose. PGlite touches the whole pool while
 * opening (+224 MB RSS for an empty cluster, measured, against +111 MB at 32 MB), but at 32 MB
 * the HNSW index of a 100k-passage workspace no longer stays in the pool and its searches slowed
 * (semantic p95 518 ms, hybrid 548 ms in `bench:search`): memory is the cheaper of the two.
 */
import type { PGliteOptions } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';

export function pgliteOptions(dataDir: string): PGliteOptions & { dataDir: string } {
  return { dataDir, extensions: { vector } };
}
