/**
 * Documents in a workspace: upload, list, get, download, delete, reindex.
 * Each handler: parse → authorize (one function) → call the service → audit →
 * present. The upload body is streamed, so its route is documented in the
 * OpenAPI registry but handled without the (buffering) body validator.
 */
import { Readable } from 'node:stream';
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { AppError, payloadTooLarge } from '../errors.js';
import { errorBody } from '../middleware/error-handler.js';
import { parseUpload } from '../multipart.js';
import { decodeCursor, PageQuery, pageOf } from '../pagination.js';
import { cursorInstant, text } from '../schemas.js';
import { authorizeWorkspace } from '../../services/authorization.js';
import { READER_LIMITS } from '../../services/reader.js';
import { attachmentDisposition, presentDocument, UploadNotStored } from '../../services/documents.js';
import type { Services } from '../../services/index.js';
import { actorOf, meta } from './workspaces.js';

const Status = z.enum(['queued', 'processing', 'ready', 'failed']);
const WsParams = z.object({ ws: z.string().openapi({ param: { name: 'ws', in: 'path' } }) });
const DocParams = WsParams.extend({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
const Document = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    title: z.string(),
    filename: z.string(),
    mimeType: z.string(),
    sizeBytes: z.number(),
    sha256: z.string(),
    status: Status,
    error: z.string().nullable(),
    pageCount: z.number().nullable(),
    passageCount: z.number(),
    path: z.string().nullable().openapi({ description: 'Where the file sat in an uploaded folder (`reports/2026/q1.pdf`); null for a single file' }),
    progress: z.string().nullable().openapi({ description: 'What indexing is doing now ("OCR page 3 of 40"); null when idle' }),
    ocrPages: z.array(z.number()).openapi({ description: 'Pages whose text was recognised by OCR rather than read from a text layer' }),
    vectors: z
      .object({ ready: z.number(), total: z.number() })
      .openapi({ description: 'Passages with a vector for semantic search, of all passages (keyword search needs none)' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Document');
const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
// Document ids are UUIDs (a crafted id reached a uuid comparison and failed as a 500).
const Cursor = z.object({ at: cursorInstant(), id: z.uuid() });

export function registerDocumentRoutes(app: OpenAPIHono<AppEnv>, services: Services) {
  const { db, documents, audit, config, reader } = services;
  const base = '/api/workspaces/{ws}/documents';

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: base,
    tags: ['documents'],
    summary: 'Upload a document (editor)',
    request: {
      params: WsParams,
      body: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: z.object({
              file: z.string().openapi({ format: 'binary' }),
              title: z.string().max(300).optional(),
              path: z.string().max(1000).optional().openapi({ description: "The file's path in an uploaded folder, relative (`reports/q1.pdf`); `..` is refused" }),
            }),
          },
        },
      },
    },
    responses: {
      202: { description: 'Stored and queued for indexing', content: json(Document) },
      400: { description: 'No file, a 0-byte file, a body that ends before its closing boundary (`incomplete_upload`), or a `path` with `..` or past its limits (`invalid_path`)' },
      408: { description: 'The body arrived slower than UPLOAD_MIN_BYTES_PER_SECOND after UPLOAD_RATE_GRACE_SECONDS (`upload_too_slow`); nothing stored' },
      409: { description: 'The same bytes are already in the workspace (`existingId`)' },
      413: { description: 'Larger than MAX_UPLOAD_MB' },
      415: {
        description:
          'Not a PDF, image (PNG, JPEG, TIFF, WebP: read by OCR), Word, PowerPoint, Excel, CSV, OpenDocument, EPUB, e-mail, RTF, HTML, Markdown or plain text file (judged by content)',
      },
      507: { description: 'Not stored: the disk is full or below the reserve kept free (DISK_RESERVE_MB), or the storage write failed' },
    },
  });
  app.post('/api/workspaces/:ws/documents', async (c) => {
    const user = c.get('user')!;
    const access = await authorizeWorkspace(db, user.id, c.req.param('ws'), 'editor');
    const declared = Number(c.req.header('content-length'));
    // Multipart framing adds a little; anything far beyond the limit is refused unread.
    if (Number.isFinite(declared) && declared > config.uploads.maxBytes + 64 * 1024) {
      throw payloadTooLarge(`Files are limited to ${config.uploads.maxMb} MB (MAX_UPLOAD_MB).`);
    }
    const declaredBytes = Number.isFinite(declared) && declared > 0 ? declared : undefined;
    let row;
    try {
      // Refused unread when the disk has no room for it (the reserve keeps the database writable).
      await documents.assertRoomFor(declaredBytes ?? config.uploads.maxBytes);
      const upload = await parseUpload(c.req.raw, { maxFileBytes: config.uploads.maxBytes, minimumRate: config.uploads.minimumRate });
      row = await documents.upload({
        workspaceId: access.workspaceId,
        userId: user.id,
        filename: upload.filename,
        stream: upload.stream,
        declaredBytes,
        title: async () => (await upload.fields()).title,
        path: async () => (await upload.fields()).path,
      });
    } catch (error) {
      if (error instanceof UploadNotStored) {
        // The operator's line: why, and how much room there was (never the file's name or text).
        c.get('logger')?.warn({ workspace: access.workspaceId, storage: error.log }, 'upload not stored: insufficient storage');
      }
      // API.md: a duplicate answers `{ error, existingId }` — existingId at the top level.
      if (error instanceof AppError && error.code === 'duplicate_document') {
        return c.json({ ...errorBody(c, error.code, error.message, error.extra), existingId: error.extra.existingId }, 409);
      }
      throw error;
    }
    await audit.record(
      {
        action: 'document.uploaded',
        outcome: 'success',
        actor: actorOf(c),
        targetType: 'document',
        targetId: row.id,
        details: { workspaceId: access.workspaceId, sizeBytes: row.sizeBytes, mimeType: row.mimeType, sha256: row.sha256 },
      },
      meta(c),
    );
    return c.json(presentDocument(row), 202);
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: base,
      tags: ['documents'],
      request: {
        params: WsParams,
        query: PageQuery.extend({
          status: Status.optional(),
          path: z.string().max(1000).optional().openapi({ description: 'Only documents in this folder (at any depth), or the one at this path' }),
        }),
      },
      responses: { 200: { description: 'Documents, newest first', content: json(z.object({ items: z.array(Document), nextCursor: z.string().nullable() })) } },
    }),
    async (c) => {
      const access = await authorizeWorkspace(db, c.get('user')!.id, c.req.valid('param').ws, 'viewer');
      const q = c.req.valid('query');
      const rows = await documents.list(access.workspaceId, { status: q.status, path: q.path, limit: q.limit, after: decodeCursor(q.cursor, Cursor) });
      const page = pageOf(rows, q.limit, (last) => ({ at: last.createdAt.toISOString(), id: last.id }));
      return c.json({ items: page.items.map(presentDocument), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${base}/{id}`,
      tags: ['documents'],
      request: { params: DocParams },
      responses: { 200: { description: 'The document with its indexing status', content: json(Document) } },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const access = await authorizeWorkspace(db, c.get('user')!.id, p.ws, 'viewer');
      return c.json(presentDocument(await documents.get(access.workspaceId, p.id)), 200);
    },
  );

  const ReaderPassage = z
    .object({
      id: z.string(),
      ordinal: z.number(),
      page: z.number().nullable(),
      headingPath: z.array(z.string()),
      text: z.string(),
      overlap: z.number().openapi({ description: 'Leading characters of text that repeat the end of the previous passage (show them once)' }),
    })
    .openapi('ReaderPassage');
  const ordinal = z.coerce.number().int().min(-1).max(2_147_483_647);
  const WindowQuery = z
    .object({
      after: ordinal.optional().openapi({ description: 'Passages after this ordinal (-1 or absent: from the start)' }),
      before: ordinal.optional().openapi({ description: 'The passages just before this ordinal' }),
      around: z.uuid().optional().openapi({ description: 'A window that holds this passage, with context before it' }),
      limit: z.coerce.number().int().min(1).max(READER_LIMITS.maxLimit).default(READER_LIMITS.defaultLimit),
    })
    .refine((q) => [q.after, q.before, q.around].filter((v) => v !== undefined).length <= 1, {
      message: 'give at most one of after, before and around',
      path: ['after'],
    });

  app.openapi(
    createRoute({
      method: 'get',
      path: `${base}/{id}/passages`,
      tags: ['documents'],
      summary: 'The document\'s passages in order, a window at a time (the reader)',
      request: { params: DocParams, query: WindowQuery },
      responses: {
        200: {
          description: 'A window of passages in document order',
          content: json(z.object({ items: z.array(ReaderPassage), total: z.number(), hasBefore: z.boolean(), hasAfter: z.boolean() })),
        },
        404: { description: 'No such document (or passage for `around`) in a workspace of yours' },
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const access = await authorizeWorkspace(db, c.get('user')!.id, p.ws, 'viewer');
      const q = c.req.valid('query');
      const request =
        q.around !== undefined
          ? { around: q.around, limit: q.limit }
          : q.before !== undefined
            ? { before: q.before, limit: q.limit }
            : { after: q.after, limit: q.limit };
      c.header('Cache-Control', 'private, no-store');
      return c.json(await reader.window(access.workspaceId, p.id, request), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${base}/{id}/matches`,
      tags: ['documents'],
      summary: 'Where a search\'s words occur in the document (the reader\'s next / previous match)',
      request: {
        params: DocParams,
        query: z.object({ q: text().min(1, 'enter something to find').max(READER_LIMITS.maxQueryChars) }),
      },
      responses: {
        200: {
          description: 'Passages holding any of the words, in document order, and the words\' lexemes',
          content: json(
            z.object({
              terms: z.array(z.string()),
              matches: z.array(z.object({ passageId: z.string(), ordinal: z.number(), page: z.number().nullable() })),
            }),
          ),
        },
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const access = await authorizeWorkspace(db, c.get('user')!.id, p.ws, 'viewer');
      c.header('Cache-Control', 'private, no-store');
      return c.json(await reader.matches(access.workspaceId, p.id, c.req.valid('query').q), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${base}/{id}/file`,
      tags: ['documents'],
      request: { params: DocParams },
      responses: { 200: { description: 'The original bytes, as an attachment', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } } },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const access = await authorizeWorkspace(db, c.get('user')!.id, p.ws, 'viewer');
      const file = await documents.download(access.workspaceId, p.id);
      await audit.record(
        { action: 'document.downloaded', outcome: 'success', actor: actorOf(c), targetType: 'document', targetId: file.document.id, details: { workspaceId: access.workspaceId } },
        meta(c),
      );
      return new Response(Readable.toWeb(file.stream) as unknown as ReadableStream, {
        status: 200,
        headers: {
          'content-type': file.document.mimeType,
          'content-length': String(file.size),
          'content-disposition': attachmentDisposition(file.document.filename),
          'x-content-type-options': 'nosniff',
          'cache-control': 'private, no-store',
          'content-security-policy': "default-src 'none'; sandbox",
        },
      }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: `${base}/{id}`,
      tags: ['documents'],
      summary: 'Rename a document (editor): its title, not its file name',
      request: {
        params: DocParams,
        body: { required: true, content: json(z.object({ title: text().trim().min(1, 'must not be empty').max(300) })) },
      },
      responses: { 200: { description: 'Renamed', content: json(Document) } },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const access = await authorizeWorkspace(db, c.get('user')!.id, p.ws, 'editor');
      const before = await documents.get(access.workspaceId, p.id);
      const row = await documents.rename(access.workspaceId, p.id, c.req.valid('json').title);
      await audit.record(
        {
          action: 'document.renamed',
          outcome: 'success',
          actor: actorOf(c),
          targetType: 'document',
          targetId: row.id,
          details: { workspaceId: access.workspaceId, from: before.title, to: row.title },
        },
        meta(c),
      );
      return c.json(presentDocument(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: `${base}/{id}`,
      tags: ['documents'],
      request: { params: DocParams },
      responses: { 204: { description: 'Deleted: the file, passages and embeddings are gone' } },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const access = await authorizeWorkspace(db, c.get('user')!.id, p.ws, 'editor');
      const row = await documents.remove(access.workspaceId, p.id);
      await audit.record(
        { action: 'document.deleted', outcome: 'success', actor: actorOf(c), targetType: 'document', targetId: row.id, details: { workspaceId: access.workspaceId, filename: row.filename } },
        meta(c),
      );
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/{id}/reindex`,
      tags: ['documents'],
      request: { params: DocParams },
      responses: { 202: { description: 'Queued for indexing again', content: json(Document) } },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const access = await authorizeWorkspace(db, c.get('user')!.id, p.ws, 'editor');
      const row = await documents.reindex(access.workspaceId, p.id);
      await audit.record(
        { action: 'document.reindexed', outcome: 'success', actor: actorOf(c), targetType: 'document', targetId: row.id, details: { workspaceId: access.workspaceId } },
        meta(c),
      );
      return c.json(presentDocument(row), 202);
    },
  );
}
