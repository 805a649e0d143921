/**
 * Files found inside a document (an e-mail's attachments) become documents of their own: stored like an
 * upload, listed with the mail's path before their name (`inbox/q3.eml/report.pdf`, so the folder filter
 * finds a mail's attachments), queued for ingest, and audited as uploads by the mail's uploader.
 *
 * Objects are stored first, rows committed in the mail's own transaction after (so the mail is ready
 * exactly when its attachments exist); a failure deletes what was stored, and a crash in between
 * leaves objects the orphan sweep removes. A file already in the workspace (same SHA-256, e.g. when the
 * mail is indexed again) is not stored twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { auditEvents, documents, users, type Database } from '@quarry/db';
import type { ObjectStorage } from '@quarry/storage';
import type { ExtractedAttachment } from './extract/types.js';
import { documentStorageKey } from './orphans.js';
import type { JobQueue } from './queue.js';

type DocumentRow = typeof documents.$inferSelect;

export interface StoredAttachment {
  id: string;
  filename: string;
  mime: string;
  sha256: string;
  sizeBytes: number;
  storageKey: string;
}

const MAX_PATH_CHARS = 1_000;

/** Where an attachment is listed: under the mail's own path (or its file name for a single upload). */
export function attachmentPath(parent: Pick<DocumentRow, 'path' | 'filename'>, filename: string): string {
  const inFolder = `${parent.path ?? parent.filename}/${filename}`;
  return inFolder.length <= MAX_PATH_CHARS ? inFolder : `${parent.filename}/${filename}`.slice(0, MAX_PATH_CHARS);
}

/** Stores the attachments the workspace does not hold yet; returns what was stored (to commit or delete). */
export async function storeAttachments(
  db: Database,
  storage: ObjectStorage,
  parent: DocumentRow,
  files: ExtractedAttachment[],
  signal: AbortSignal,
): Promise<StoredAttachment[]> {
  if (files.length === 0) return [];
  const hashed = files.map((f) => ({ ...f, sha256: createHash('sha256').update(f.bytes).digest('hex') }));
  const present = await db
    .select({ sha256: documents.sha256 })
    .from(documents)
    .where(and(eq(documents.workspaceId, parent.workspaceId), inArray(documents.sha256, hashed.map((f) => f.sha256))));
  const known = new Set(present.map((r) => r.sha256));
  const stored: StoredAttachment[] = [];
  try {
    for (const f of hashed) {
      // The same file attached twice to one mail is one document.
      if (known.has(f.sha256)) continue;
      known.add(f.sha256);
      signal.throwIfAborted();
      const id = randomUUID();
      const storageKey = documentStorageKey(parent.workspaceId, id);
      await storage.put(storageKey, Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength), { contentType: f.mime });
      stored.push({ id, filename: f.filename, mime: f.mime, sha256: f.sha256, sizeBytes: f.bytes.byteLength, storageKey });
    }
  } catch (error) {
    await discardAttachments(storage, stored);
    throw error;
  }
  return stored;
}

/** Deletes stored objects whose rows were not committed. */
export async function discardAttachments(storage: ObjectStorage, stored: StoredAttachment[]): Promise<void> {
  await Promise.all(stored.map((a) => storage.delete(a.storageKey).catch(() => {})));
}

/**
 * Inside the mail's transaction: one queued document and one ingest job per stored attachment, each
 * audited as `document.uploaded` by the mail's uploader. Returns the attachments that were not committed
 * (a document with the same SHA-256 arrived meanwhile): the caller deletes their objects after the commit.
 */
export async function commitAttachments(tx: Database, queue: JobQueue, parent: DocumentRow, stored: StoredAttachment[]): Promise<StoredAttachment[]> {
  if (stored.length === 0) return [];
  const [uploader] = parent.createdBy
    ? await tx.select({ id: users.id, email: users.email }).from(users).where(eq(users.id, parent.createdBy))
    : [];
  const skipped: StoredAttachment[] = [];
  for (const a of stored) {
    const [row] = await tx
      .insert(documents)
      .values({
        id: a.id,
        workspaceId: parent.workspaceId,
        title: a.filename,
        filename: a.filename,
        mimeType: a.mime,
        sizeBytes: a.sizeBytes,
        sha256: a.sha256,
        storageKey: a.storageKey,
        status: 'queued',
        path: attachmentPath(parent, a.filename),
        createdBy: parent.createdBy,
      })
      .onConflictDoNothing({ target: [documents.workspaceId, documents.sha256] })
      .returning({ id: documents.id });
    if (!row) {
      skipped.push(a);
      continue;
    }
    await queue.enqueue({ kind: 'ingest', payload: { documentId: a.id }, documentId: a.id }, tx);
    await tx.insert(auditEvents).values({
      action: 'document.uploaded',
      outcome: 'success',
      actorId: uploader?.id ?? null,
      actorEmail: uploader?.email ?? null,
      targetType: 'document',
      targetId: a.id,
      // As an upload's event, plus the mail it came from.
      details: { workspaceId: parent.workspaceId, sizeBytes: a.sizeBytes, mimeType: a.mime, sha256: a.sha256, attachmentOf: parent.id },
    });
  }
  return skipped;
}
