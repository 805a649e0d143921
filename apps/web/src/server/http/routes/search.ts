/**
 * Search and answers in a workspace. Each handler: parse → authorize (one
 * function) → call the service → present. `ask` streams server-sent events
 * when the client accepts `text/event-stream`, else returns the `done` object.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { AnswerError, ANSWER_LIMITS, defaultSemanticOptions, documentTypes, SEARCH_LIMITS, SearchInputError, searchModes, SemanticUnavailableError, type SearchStages } from '@quarry/search';
import type { AppEnv } from '../context.js';
import { reserveQuestion } from '../ask-limits.js';
import { AppError, badRequest, notFound, serviceUnavailable } from '../errors.js';
import { dateFilter } from '../schemas.js';
import { loggableError } from '../../log-safe.js';
import { authorizeWorkspace } from '../../services/authorization.js';
import type { Services } from '../../services/index.js';

const WsParams = z.object({ ws: z.string().openapi({ param: { name: 'ws', in: 'path' } }) });
const PassageParams = WsParams.extend({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const list = (max: number) =>
  z
    .string()
    .max(max * 40)
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean)));
const date = dateFilter();

const SearchQuery = z.object({
  q: z.string().min(1, 'enter something to search for').max(SEARCH_LIMITS.maxQueryChars, `a search can be at most ${SEARCH_LIMITS.maxQueryChars} characters long`),
  mode: z.enum(searchModes).default('hybrid'),
  limit: z.coerce.number().int().min(1).max(SEARCH_LIMITS.maxLimit).default(SEARCH_LIMITS.defaultLimit),
  cursor: z.string().max(512).optional(),
  documentId: list(20).openapi({ description: 'One document id, or several separated by commas' }),
  type: list(14).openapi({ description: `${Object.keys(documentTypes).join(', ')} (comma-separated), or MIME types` }),
  from: date.openapi({ description: 'Documents added at or after this date' }),
  to: date.openapi({ description: 'Documents added before this date' }),
});

const SearchHit = z
  .object({
    documentId: z.string(),
    documentTitle: z.string(),
    passageId: z.string(),
    page: z.number().nullable(),
    headingPath: z.array(z.string()),
    snippet: z.string().openapi({ description: 'HTML-escaped text; only <mark>…</mark> marks the matches' }),
    score: z.number(),
  })
  .openapi('SearchHit');
const SearchResult = z
  .object({
    items: z.array(SearchHit),
    mode: z.enum(searchModes),
    tookMs: z.number(),
    nextCursor: z.string().nullable(),
    total: z
      .object({ passages: z.number(), documents: z.number(), capped: z.boolean() })
      .optional()
      .openapi({ description: `Matching passages and their documents, on the first page only; capped: ranking stopped at ${SEARCH_LIMITS.maxDepth} passages (at ${defaultSemanticOptions.hnswMaxDepth} for the semantic list of a workspace searched through its HNSW index), so "at least"` }),
    degraded: z.boolean().optional(),
  })
  .openapi('SearchResult');
export const Citation = z
  .object({ n: z.number(), documentId: z.string(), documentTitle: z.string(), passageId: z.string(), page: z.number().nullable(), quote: z.string() })
  .openapi('Citation');
export const ClosestMatch = z
  .object({ documentId: z.string(), documentTitle: z.string(), passageId: z.string(), page: z.number().nullable(), quote: z.string() })
  .openapi('ClosestMatch');
const Answer = z
  .object({
    answer: z.string(),
    citations: z.array(Citation).openapi({ description: 'The passages the answer cites as [n], and only those' }),
    closestMatches: z
      .array(ClosestMatch)
      .openapi({ description: 'When the documents do not cover the question: the nearest passages, which are not sources; otherwise empty' }),
    mode: z.enum(['generated', 'extractive']),
    model: z.string().nullable(),
    removedCitations: z
      .array(z.number())
      .openapi({ description: 'Numbers the model cited that named no passage it was given; they were removed from `answer` (empty: every citation was checked and kept)' }),
  })
  .openapi('Answer');
/**
 * The question as every ask route takes it; the limit is said in words (and shown by the UI).
 * A question is searched, and search reads a NUL as a space (issue 14 #9): so does the question,
 * before it is stored (PostgreSQL's text cannot hold a NUL).
 */
export const Question = z
  .string()
  .transform((value) => value.replaceAll('\u0000', ' '))
  .pipe(
    z
      .string()
      .trim()
      .min(1, 'ask something')
      .max(ANSWER_LIMITS.maxQuestionChars, `a question can be at most ${ANSWER_LIMITS.maxQuestionChars} characters long (about 300 words); shorten it or split it into follow-ups`),
  );
export const AskOptions = {
  documentIds: z.array(z.string().max(64)).max(50).optional().openapi({ description: 'Answer only from these documents' }),
  topK: z.number().int().min(1).max(ANSWER_LIMITS.maxTopK).optional().openapi({ description: `Passages retrieved (default ${ANSWER_LIMITS.defaultTopK})` }),
};
const AskBody = z.object({ question: Question, ...AskOptions });
const Passage = z
  .object({ id: z.string(), documentId: z.string(), documentTitle: z.string(), ordinal: z.number(), page: z.number().nullable(), headingPath: z.array(z.string()), text: z.string() })
  .openapi('Passage');

/** `Server-Timing` header value: `name;dur=ms` per stage (RFC: W3C Server Timing). */
export const serverTiming = (stages: SearchStages) =>
  Object.entries(stages)
    .map(([name, ms]) => `${name};dur=${ms}`)
    .join(', ');

/** Domain errors → the API's error shape. */
export function mapSearchError(error: unknown): never {
  if (error instanceof SearchInputError) throw badRequest(error.message, error.field === 'cursor' ? 'invalid_cursor' : 'invalid_request', { field: error.field });
  if (error instanceof SemanticUnavailableError) throw serviceUnavailable(error.message);
  if (error instanceof AnswerError) throw new AppError(503, error.code, error.message);
  throw error;
}

const wantsEventStream = (c: Context<AppEnv>) => (c.req.header('accept') ?? '').includes('text/event-stream');

export function registerSearchRoutes(app: OpenAPIHono<AppEnv>, services: Services) {
  const { db, search, answers } = services;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/workspaces/{ws}/search',
      tags: ['search'],
      summary: 'Search the passages of a workspace (keyword, semantic or hybrid)',
      request: { params: WsParams, query: SearchQuery },
      responses: { 200: { description: 'One page of ranked passages; the Server-Timing header gives each stage in ms (parse, embed, keyword, semantic, fuse, present)', content: json(SearchResult) } },
    }),
    async (c) => {
      const access = await authorizeWorkspace(db, c.get('user')!.id, c.req.valid('param').ws, 'viewer');
      const q = c.req.valid('query');
      if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw badRequest('to: must not be before from', 'invalid_request', { field: 'to' });
      const page = await search
        .search({
          workspaceId: access.workspaceId,
          query: q.q,
          mode: q.mode,
          limit: q.limit,
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
          ...(q.documentId !== undefined ? { documentIds: q.documentId } : {}),
          ...(q.type !== undefined ? { types: q.type } : {}),
          ...(q.from !== undefined ? { createdFrom: q.from } : {}),
          ...(q.to !== undefined ? { createdBefore: q.to } : {}),
        })
        .catch(mapSearchError);
      const { stages, ...body } = page;
      c.header('Cache-Control', 'no-store');
      // Where the time went, for a browser's network panel and for bench/eval-collection.ts.
      if (stages) c.header('Server-Timing', serverTiming(stages));
      return c.json(body, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/workspaces/{ws}/passages/{id}',
      tags: ['search'],
      summary: 'One passage with its full text (open a result in context)',
      request: { params: PassageParams },
      responses: { 200: { description: 'The passage', content: json(Passage) } },
    }),
    async (c) => {
      const { ws, id } = c.req.valid('param');
      const access = await authorizeWorkspace(db, c.get('user')!.id, ws, 'viewer');
      const passage = await search.passage(access.workspaceId, id);
      if (passage === undefined) throw notFound('passage');
      return c.json(passage, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/workspaces/{ws}/ask',
      tags: ['search'],
      summary: 'Answer a question from the workspace, citing passages as [n] (one-off; threads keep a conversation)',
      description:
        'With `Accept: text/event-stream`: events `citations` (Citation[]), `delta` ({text}) …, then `done` (Answer) or `error` ({error:{code,message}}). Otherwise the Answer as JSON. Counts against the ask limits (per user and per API key, per minute and per day): over them, 429 with Retry-After. Nothing is stored; to keep a conversation use /threads.',
      request: { params: WsParams, body: { content: json(AskBody), required: true } },
      responses: {
        200: {
          description: 'The answer (JSON) or its event stream',
          content: { ...json(Answer), 'text/event-stream': { schema: z.string() } },
        },
      },
    }),
    async (c) => {
      const access = await authorizeWorkspace(db, c.get('user')!.id, c.req.valid('param').ws, 'viewer');
      const body = c.req.valid('json');
      await reserveQuestion(c, services.limiter, services.config.ask);
      const prepared = await answers
        .prepare({
          workspaceId: access.workspaceId,
          question: body.question,
          ...(body.documentIds !== undefined ? { documentIds: body.documentIds } : {}),
          ...(body.topK !== undefined ? { topK: body.topK } : {}),
        })
        .catch(mapSearchError);
      c.header('Cache-Control', 'no-store');
      if (!wantsEventStream(c)) {
        const controller = new AbortController();
        c.req.raw.signal.addEventListener('abort', () => controller.abort(), { once: true });
        for await (const event of prepared.events(controller.signal)) {
          if (event.event === 'done') return c.json(event.data, 200);
          if (event.event === 'error') throw new AppError(503, event.data.error.code, event.data.error.message);
        }
        throw new AppError(503, 'answer_incomplete', 'The answer ended without a result.');
      }
      const requestId = c.get('requestId');
      const logger = c.get('logger');
      return streamSSE(
        c,
        async (stream) => {
          const controller = new AbortController();
          stream.onAbort(() => controller.abort());
          for await (const event of prepared.events(controller.signal)) {
            if (stream.aborted) break;
            const data = event.event === 'error' ? { error: { ...event.data.error, requestId } } : event.data;
            await stream.writeSSE({ event: event.event, data: JSON.stringify(data) });
          }
        },
        async (error, stream) => {
          // Never the question or document text in a log line (loggableError masks values and drops query parameters).
          logger?.error({ err: loggableError(error) }, 'answer stream failed');
          await stream.writeSSE({
            event: 'error',
            data: JSON.stringify({ error: { code: 'answer_failed', message: 'The answer could not be completed.', requestId } }),
          });
        },
      ) as unknown as ReturnType<typeof c.json<z.infer<typeof Answer>, 200>>;
    },
  );
}
