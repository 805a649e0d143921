/**
 * Stored objects that no document row points at (a crash between storing the
 * file and committing the row, or a failed delete) are removed once they are
 * older than any upload in flight could be.
 */
import { inArray } from 'drizzle-orm';
import { documents, type Database } from '@quarry/db';
import type { ObjectStorage } from '@quarry/storage';

export const DOCUMENTS_PREFIX = 'documents/';

export function documentStorageKey(workspaceId: string, documentId: string): string {
  return `${DOCUMENTS_PREFIX}${workspaceId}/${documentId}`;
}

export async function sweepOrphanObjects(db: Database, storage: ObjectStorage, olderThanMs = 6 * 60 * 60_000): Promise<number> {
  let deleted = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const known = await db.select({ key: documents.storageKey }).from(documents).where(inArray(documents.storageKey, batch));
    const keep = new Set(known.map((k) => k.key));
    for (const key of batch) {
      if (!keep.has(key)) {
        await storage.delete(key);
        deleted++;
      }
    }
    batch = [];
  };
  for await (const { key, lastModified } of storage.list(DOCUMENTS_PREFIX)) {
    if (lastModified && Date.now() - lastModified.getTime() < olderThanMs) continue;
    batch.push(key);
    if (batch.length >= 500) await flush();
  }
  await flush();
  return deleted;
}
