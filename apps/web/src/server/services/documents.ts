/**
 * Documents: upload (streamed, size-limited, sniffed and hashed on the way to
 * storage), list, get, download, delete, reindex, and the workspace cleanup
 * hook. The row and the stored object stay consistent: the object is stored
 * first and the row committed after; any failure in between deletes the
 * object, and a crash in between leaves an object the orphan sweep removes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { and, desc, eq, inArray, like, lt, ne, or } from 'drizzle-orm';
import { documents, jobs, type Database, type DocumentStatus } from '@quarry/db';
import {
  claimedBinaryType,
  createJobQueue,
  DOCUMENTS_PREFIX,
  documentStorageKey,
  SNIFF_BYTES,
  sniffHead,
  vectorProgress,
  ZIP_NOT_SUPPORTED,
  ZipMarkerScanner,
  type SupportedMime,
} from '@quarry/ingest';
import { formatMb, isNoSpaceError, StorageWriteError, type ObjectStorage } from '@quarry/storage';
import { AppError, badRequest, conflict, notFound, payloadTooLarge, unsupportedMediaType } from '../http/errors.js';

export type DocumentRow = typeof documents.$inferSelect;

export interface DocumentServiceDeps {
  db: Database;
  storage: ObjectStorage;
  maxBytes: number;
  maxAttempts: number;
  /** Wakes an in-process worker after a job is queued. */
  onQueued?: () => void;
  onWarning?: (obj: object, msg: string) => void;
}

export interface UploadInput {
  workspaceId: string;
  userId: string;
  filename: string;
  stream: Readable;
  /** The request's declared length, when it has one (what the free-space check reserves). */
  declaredBytes?: number;
  /** Resolved once the whole multipart body has been read (fields may follow the file). */
  title?: () => Promise<string | undefined>;
  /** Where the file sat in an uploaded folder (`reports/2026/q1.pdf`), resolved like `title`. */
  path?: () => Promise<string | undefined>;
}

/** Limits of a document's folder path: segments as file systems allow, the whole bounded for the index. */
const MAX_PATH_CHARS = 1_000;
const MAX_PATH_SEGMENT_CHARS = 255;
const MAX_PATH_DEPTH = 64;

/**
 * A folder-relative path safe to store, show and filter by: `/` separated (a backslash becomes one), no empty or
 * `.` segments, no control or format characters; `..`, an absolute path or one past the limits is refused
 * (400 `invalid_path`), never silently rewritten into another folder. Empty → undefined (no path).
 */
export function safeDocumentPath(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const refuse = (why: string) => badRequest(`path: ${why}.`, 'invalid_path', { field: 'path' });
  const unified = raw.normalize('NFC').replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[a-z]:/i.test(unified)) throw refuse('give the path relative to the uploaded folder, not an absolute one');
  const segments = unified
    .split('/')
    .map((s) => s.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '').trim())
    .filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) return undefined;
  if (segments.includes('..')) throw refuse('".." is not allowed in a path');
  if (segments.length > MAX_PATH_DEPTH) throw refuse(`at most ${MAX_PATH_DEPTH} folders deep`);
  if (segments.some((s) => s.length > MAX_PATH_SEGMENT_CHARS)) throw refuse(`a folder or file name is longer than ${MAX_PATH_SEGMENT_CHARS} characters`);
  const path = segments.join('/');
  if (path.length > MAX_PATH_CHARS) throw refuse(`longer than ${MAX_PATH_CHARS} characters`);
  return path;
}

/** `LIKE` pattern text matching `s` literally. */
const likeLiteral = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);

/** A file name safe to store and show: last path segment, no control or bidi characters. */
export function safeFilename(name: string): string {
  const base = name.normalize('NFC').split(/[/\\]/).pop() ?? '';
  const clean = base
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '')
    .replace(/\s+/g, ' ')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 200);
  return clean || 'document';
}

/**
 * A title safe to store and show, cleaned as file names are: no control characters (CR/LF, NUL …),
 * no format characters (the bidi overrides U+202A–U+202E and isolates U+2066–U+2069 among them, which
 * can make a title read backwards in the UI and in the audit export), runs of spaces collapsed.
 * Empty after cleaning → the caller falls back to the file name.
 */
export function safeTitle(title: string): string {
  return title
    .normalize('NFC')
    // Line breaks and other controls separate words; invisible format characters just go.
    .replace(/[\p{Cc}\u2028\u2029]/gu, ' ')
    .replace(/\p{Cf}/gu, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300)
    .trim();
}

/** `Content-Disposition: attachment` with an ASCII fallback and the exact name in RFC 5987 form. */
export function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_').replace(/[;%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** A document row, with how many of its passages have vectors when that is still under way. */
export type DocumentView = DocumentRow & { vectorsReady?: number };

export function presentDocument(d: DocumentView) {
  return {
    id: d.id,
    workspaceId: d.workspaceId,
    title: d.title,
    filename: d.filename,
    mimeType: d.mimeType,
    sizeBytes: d.sizeBytes,
    sha256: d.sha256,
    status: d.status,
    error: d.error,
    pageCount: d.pageCount,
    passageCount: d.passageCount,
    // Where it sat in an uploaded folder; what extraction is doing ("OCR page 3 of 40"); pages read by OCR.
    path: d.path,
    progress: d.progress,
    ocrPages: d.ocrPages,
    // Keyword search works once a document is ready; semantic search as its vectors arrive.
    vectors: { ready: d.status === 'ready' ? Math.min(d.vectorsReady ?? d.passageCount, d.passageCount) : 0, total: d.passageCount },
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

class UploadTooLarge extends Error {}

/**
 * 507: the upload was not stored (the disk is full or below the reserve, or the storage write failed).
 * `log` says why, for the operator's log line; the response says only what the user can act on.
 */
export class UploadNotStored extends AppError {
  constructor(
    message: string,
    readonly log: Record<string, unknown>,
  ) {
    super(507, 'insufficient_storage', message);
  }
}

/** Raised inside the pump when free space falls below the reserve while a file streams in. */
class OutOfRoom extends Error {
  constructor(
    readonly freeBytes: number,
    readonly reserveBytes: number,
  ) {
    super('below the disk reserve');
  }
}

const NO_ROOM = 'The server is out of storage space, so the file was not stored. Try again later, or ask an administrator to free disk space.';
/** How often (bytes) a streaming upload looks at free space again. */
const SPACE_RECHECK_BYTES = 4 * 1024 * 1024;

/** Reads until `SNIFF_BYTES` are buffered or the stream ends. */
async function readHead(stream: Readable): Promise<{ head: Buffer; ended: boolean; rest: AsyncIterator<Buffer> }> {
  const chunks: Buffer[] = [];
  let size = 0;
  // The rest of the body is read from this same iterator.
  const rest = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (size < SNIFF_BYTES) {
    const next = await rest.next();
    if (next.done) return { head: Buffer.concat(chunks), ended: true, rest };
    chunks.push(next.value);
    size += next.value.length;
  }
  return { head: Buffer.concat(chunks), ended: false, rest };
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return e?.code === '23505' || e?.cause?.code === '23505';
}

function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return e?.code === '23503' || e?.cause?.code === '23503';
}

export function createDocumentService(deps: DocumentServiceDeps) {
  const { db, storage } = deps;
  const queue = createJobQueue(db, { defaultMaxAttempts: deps.maxAttempts });
  const mb = Math.round(deps.maxBytes / 1048576);
  /** Bytes promised to uploads still streaming (so two at once cannot both take the last room). */
  let promised = 0;

  /** Refuses (507) when storing `bytes` more would eat into the reserve kept free for the database. */
  async function assertRoomFor(bytes: number): Promise<void> {
    const space = await storage.space?.({ fresh: true });
    if (!space) return;
    const needed = bytes + space.reserveBytes;
    if (space.freeBytes - promised < needed) {
      throw new UploadNotStored(NO_ROOM, {
        reason: 'below_reserve',
        freeBytes: space.freeBytes,
        promisedBytes: promised,
        neededBytes: needed,
        message: `${formatMb(space.freeBytes)} free, ${formatMb(needed)} needed (upload + DISK_RESERVE_MB)`,
      });
    }
  }

  async function find(workspaceId: string, id: string): Promise<DocumentRow> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('document');
    const [row] = await db.select().from(documents).where(and(eq(documents.id, id), eq(documents.workspaceId, workspaceId)));
    if (!row) throw notFound('document');
    return row;
  }

  async function withVectorProgress(rows: DocumentRow[]): Promise<DocumentView[]> {
    const progress = await vectorProgress(db, rows.filter((r) => r.status === 'ready').map((r) => r.id));
    return rows.map((r) => (progress.has(r.id) ? { ...r, vectorsReady: progress.get(r.id)! } : r));
  }

  async function existingWithHash(workspaceId: string, sha256: string): Promise<string | undefined> {
    const [row] = await db
      .select({ id: documents.id })
      .from(documents)
      .where(and(eq(documents.workspaceId, workspaceId), eq(documents.sha256, sha256)));
    return row?.id;
  }

  /** Stores the file (streamed), then commits the row and its ingest job. */
  async function upload(input: UploadInput): Promise<DocumentRow> {
    const filename = safeFilename(input.filename);
    const source = input.stream;
    const drain = () => {
      source.resume();
    };
    const { head, ended, rest } = await readHead(source);
    if (head.length === 0) throw badRequest('file: the file is empty (0 bytes).', 'empty_file', { field: 'file' });
    if (head.length > deps.maxBytes) {
      drain();
      throw payloadTooLarge(`Files are limited to ${mb} MB (MAX_UPLOAD_MB).`);
    }
    // Judge by the first bytes only (a first chunk may be much larger).
    const verdict = sniffHead(head.subarray(0, SNIFF_BYTES), { final: ended && head.length <= SNIFF_BYTES, filename });
    const claimed = claimedBinaryType(filename);
    const rejectType = (reason: string) => {
      drain();
      return unsupportedMediaType(`Unsupported file: ${reason}. Quarry indexes PDF, images (by OCR), Word, PowerPoint, Excel, CSV, OpenDocument, EPUB, e-mail, RTF, HTML, Markdown and plain text.`);
    };
    if (verdict.kind === 'unsupported') throw rejectType(verdict.reason);
    if (claimed === 'pdf' && verdict.kind !== 'pdf') throw rejectType('the file is named .pdf but its content is not a PDF');
    if (claimed === 'docx' && verdict.kind !== 'zip') throw rejectType('the file is named .docx but its content is not a Word document');
    let mime: SupportedMime = verdict.mime;

    // Everything after the head flows through: count, hash, check, store.
    const hash = createHash('sha256');
    const scanner = verdict.kind === 'zip' ? new ZipMarkerScanner() : undefined;
    let size = 0;
    let binaryInText = false;
    const body = new PassThrough();
    const take = (chunk: Buffer) => {
      size += chunk.length;
      if (size > deps.maxBytes) throw new UploadTooLarge();
      hash.update(chunk);
      scanner?.push(chunk);
      // RTF is the one text format that may carry raw bytes (`\binN` pictures).
      if (verdict.kind === 'text' && verdict.mime !== 'application/rtf' && chunk.includes(0)) binaryInText = true;
      return body.write(chunk);
    };
    // Wait for the store to take more — or for it to have failed: a destroyed body never drains.
    const writable = () =>
      new Promise<void>((resolve) => {
        if (body.destroyed) return resolve();
        const done = () => {
          body.off('drain', done);
          body.off('close', done);
          resolve();
        };
        body.on('drain', done);
        body.on('close', done);
      });
    let pumpError: Error | undefined;
    let nextSpaceCheck = SPACE_RECHECK_BYTES;
    const pump = (async () => {
      try {
        if (!take(head)) await writable();
        if (!ended) {
          for (let next = await rest.next(); !next.done && !body.destroyed; next = await rest.next()) {
            if (!take(next.value)) await writable();
            if (size >= nextSpaceCheck && !body.destroyed) {
              // Other writers (or other uploads) may be filling the disk: stop at the reserve.
              nextSpaceCheck = size + SPACE_RECHECK_BYTES;
              const space = await storage.space?.();
              if (space && space.freeBytes < space.reserveBytes) throw new OutOfRoom(space.freeBytes, space.reserveBytes);
            }
          }
        }
        if (body.destroyed) return;
        if ((source as Readable & { truncated?: boolean }).truncated) throw new UploadTooLarge();
        body.end();
      } catch (error) {
        pumpError = error as Error;
        body.destroy(pumpError);
      }
    })();

    const documentId = randomUUID();
    const storageKey = documentStorageKey(input.workspaceId, documentId);
    try {
      await storage.put(storageKey, body, { contentType: mime });
      await pump;
    } catch (error) {
      await pump;
      await storage.delete(storageKey).catch(() => {});
      drain();
      if (error instanceof UploadTooLarge || pumpError instanceof UploadTooLarge) {
        throw payloadTooLarge(`Files are limited to ${mb} MB (MAX_UPLOAD_MB).`);
      }
      // The body itself failed with the answer it deserves (multipart.ts: 400 incomplete_upload, 408 upload_too_slow).
      if (pumpError instanceof AppError) throw pumpError;
      if (pumpError instanceof OutOfRoom) {
        throw new UploadNotStored(NO_ROOM, {
          reason: 'below_reserve_while_streaming',
          freeBytes: pumpError.freeBytes,
          reserveBytes: pumpError.reserveBytes,
          receivedBytes: size,
        });
      }
      // Not the body's own failure (the client going away): the store could not write it.
      if (error instanceof StorageWriteError || (error !== pumpError && !(error instanceof AppError))) {
        const err = error as Error & { code?: string };
        throw new UploadNotStored(isNoSpaceError(error) ? NO_ROOM : 'The file could not be stored, so it was not saved. Try again later.', {
          reason: isNoSpaceError(error) ? 'disk_full' : 'storage_write_failed',
          code: err.code,
          err: err.message?.slice(0, 200),
          receivedBytes: size,
        });
      }
      throw error;
    }
    const discard = async (e: Error) => {
      await storage.delete(storageKey).catch(() => {});
      return e;
    };
    if (size > deps.maxBytes) throw await discard(payloadTooLarge(`Files are limited to ${mb} MB (MAX_UPLOAD_MB).`));
    if (scanner && !scanner.mime) throw await discard(rejectType(ZIP_NOT_SUPPORTED));
    if (scanner?.mime) mime = scanner.mime;
    if (binaryInText) throw await discard(rejectType('the file contains binary data'));
    if (verdict.kind === 'text' && mime === 'text/plain' && /\.(md|markdown)$/i.test(filename)) mime = 'text/markdown';
    const sha256 = hash.digest('hex');

    const existing = await existingWithHash(input.workspaceId, sha256);
    if (existing) {
      throw await discard(conflict('The same file is already in this workspace.', { existingId: existing }, 'duplicate_document'));
    }
    // The fields resolve once the whole body is parsed: a body that ends after the file but before its
    // closing boundary fails here, and the stored file must go with it.
    let rawTitle: string | undefined;
    let path: string | undefined;
    try {
      rawTitle = await input.title?.();
      path = safeDocumentPath(await input.path?.());
    } catch (error) {
      throw await discard(error as Error);
    }
    const title = safeTitle(rawTitle ?? '') || filename;
    try {
      return await db.transaction(async (tx) => {
        const [row] = await tx
          .insert(documents)
          .values({
            id: documentId,
            workspaceId: input.workspaceId,
            title,
            filename,
            mimeType: mime,
            sizeBytes: size,
            sha256,
            storageKey,
            status: 'queued',
            path,
            createdBy: input.userId,
          })
          .returning();
        await queue.enqueue({ kind: 'ingest', payload: { documentId }, documentId }, tx as unknown as Database);
        return row!;
      });
    } catch (error) {
      await storage.delete(storageKey).catch(() => {});
      if (isUniqueViolation(error)) {
        const id = await existingWithHash(input.workspaceId, sha256);
        throw conflict('The same file is already in this workspace.', { existingId: id }, 'duplicate_document');
      }
      if (isForeignKeyViolation(error)) throw notFound('workspace');
      throw error;
    } finally {
      deps.onQueued?.();
    }
  }

  return {
    queue,

    assertRoomFor,

    async upload(input: UploadInput): Promise<DocumentRow> {
      const expected = Math.min(input.declaredBytes ?? deps.maxBytes, deps.maxBytes);
      await assertRoomFor(expected);
      promised += expected;
      try {
        return await upload(input);
      } finally {
        promised -= expected;
      }
    },

    async list(workspaceId: string, query: { status?: DocumentStatus; path?: string; limit: number; after?: { at: string; id: string } }) {
      const where = [eq(documents.workspaceId, workspaceId)];
      if (query.status) where.push(eq(documents.status, query.status));
      // A folder (`reports`) matches what lies under it; a file's full path matches that file.
      const folder = safeDocumentPath(query.path);
      if (folder) where.push(or(eq(documents.path, folder), like(documents.path, `${likeLiteral(folder)}/%`))!);
      if (query.after) {
        const at = new Date(query.after.at);
        where.push(or(lt(documents.createdAt, at), and(eq(documents.createdAt, at), lt(documents.id, query.after.id)))!);
      }
      const rows = await db
        .select()
        .from(documents)
        .where(and(...where))
        .orderBy(desc(documents.createdAt), desc(documents.id))
        .limit(query.limit + 1);
      return withVectorProgress(rows);
    },

    async get(workspaceId: string, id: string): Promise<DocumentView> {
      const [row] = await withVectorProgress([await find(workspaceId, id)]);
      return row!;
    },

    async download(workspaceId: string, id: string) {
      const row = await find(workspaceId, id);
      const object = await storage.get(row.storageKey);
      return { document: row, stream: object.stream, size: object.size };
    },

    /** Deletes the row (passages, vectors and jobs cascade), then the object. */
    async remove(workspaceId: string, id: string): Promise<DocumentRow> {
      const row = await find(workspaceId, id);
      await db.delete(documents).where(and(eq(documents.id, row.id), eq(documents.workspaceId, workspaceId)));
      await storage.delete(row.storageKey).catch((error: unknown) => {
        // The orphan sweep removes it later; the document is gone either way.
        deps.onWarning?.({ document: row.id, err: (error as Error).message }, 'stored file could not be deleted now');
      });
      return row;
    },

    /** A new title (what lists, search hits and citations show); the file keeps its name. */
    async rename(workspaceId: string, id: string, title: string): Promise<DocumentView> {
      const row = await find(workspaceId, id);
      const clean = safeTitle(title);
      if (!clean) throw badRequest('title: must not be empty', 'invalid_request', { field: 'title' });
      const [updated] = await db
        .update(documents)
        .set({ title: clean, updatedAt: new Date() })
        .where(and(eq(documents.id, row.id), eq(documents.workspaceId, workspaceId)))
        .returning();
      const [view] = await withVectorProgress([updated!]);
      return view!;
    },

    async reindex(workspaceId: string, id: string): Promise<DocumentRow> {
      const row = await find(workspaceId, id);
      const updated = await db.transaction(async (tx) => {
        // Only a pending ingest makes another one redundant. A pending embed job (vectors still filling in)
        // did not: the document was marked queued with nothing queued to index it, and stayed so for good.
        const pending = await tx
          .select({ id: jobs.id })
          .from(jobs)
          .where(and(eq(jobs.documentId, row.id), eq(jobs.kind, 'ingest'), inArray(jobs.status, ['queued', 'running'])));
        if (pending.length === 0) {
          // A running embed slice finishes on its own (its vectors join the passages that still exist); the rest go.
          await tx.delete(jobs).where(and(eq(jobs.documentId, row.id), ne(jobs.status, 'running')));
          await queue.enqueue({ kind: 'ingest', payload: { documentId: row.id }, documentId: row.id }, tx as unknown as Database);
        }
        const [u] = await tx.update(documents).set({ status: 'queued', error: null, updatedAt: new Date() }).where(eq(documents.id, row.id)).returning();
        return u!;
      });
      deps.onQueued?.();
      return updated;
    },

    /** Workspace deletion: every stored file of the workspace (rows cascade in the database). */
    async deleteWorkspaceFiles(workspaceId: string): Promise<number> {
      if (!/^[0-9a-f-]{36}$/i.test(workspaceId)) return 0;
      return storage.deletePrefix(`${DOCUMENTS_PREFIX}${workspaceId}/`);
    },
  };
}

export type DocumentService = ReturnType<typeof createDocumentService>;
