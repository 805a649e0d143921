/**
 * Ask threads: conversations kept per user per workspace. Each handler:
 * parse → authorize the workspace (one function) → the thread service says
 * whether this caller may read or change the thread → call → audit → present.
 *
 * Asking streams server-sent events when the client accepts
 * `text/event-stream`; the answer is written by the server either way and
 * stored when done, so a client that drops the stream fetches it later
 * (GET the message, or follow its `events` again).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { reserveQuestion } from '../ask-limits.js';
import type { AppEnv } from '../context.js';
import { AppError } from '../errors.js';
import { decodeCursor, encodeCursor } from '../pagination.js';
import { text } from '../schemas.js';
import { loggableError } from '../../log-safe.js';
import { authorizeWorkspace } from '../../services/authorization.js';
import type { ConversationEvent } from '../../services/conversations.js';
import type { Services } from '../../services/index.js';
import { presentMessage, THREAD_LIMITS } from '../../services/threads.js';
import { actorOf, meta } from './workspaces.js';
import { AskOptions, Citation, ClosestMatch, mapSearchError, Question } from './search.js';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const param = (name: string) => z.string().max(64).openapi({ param: { name, in: 'path' } });
const WsParams = z.object({ ws: param('ws') });
const ThreadParams = WsParams.extend({ thread: param('thread') });
const MessageParams = ThreadParams.extend({ message: param('message') });

const Thread = z
  .object({
    id: z.string(),
    title: z.string(),
    shared: z.boolean().openapi({ description: 'Every member of the workspace may read it' }),
    mine: z.boolean().openapi({ description: 'You started it; false: shared with you, read-only' }),
    ownerName: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Thread');
const Message = z
  .object({
    id: z.string(),
    ordinal: z.number(),
    question: z.string(),
    retrievalQuery: z.string().openapi({ description: 'What retrieval searched for: the question, or a follow-up made standalone' }),
    status: z.enum(['pending', 'done', 'stopped', 'failed']),
    answer: z.string(),
    citations: z.array(Citation),
    closestMatches: z.array(ClosestMatch),
    removedCitations: z.array(z.number()).openapi({ description: 'Citations the model invented (named no given passage), removed from the answer' }),
    mode: z.enum(['generated', 'extractive']).nullable().openapi({ description: 'extractive (no chat model) or generated; the model is in `model`' }),
    model: z.string().nullable(),
    errorCode: z.string().nullable(),
    feedback: z.enum(['up', 'down']).nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi('ThreadMessage');
const ThreadWithMessages = z.object({ thread: Thread, messages: z.array(Message) }).openapi('ThreadWithMessages');
const Title = text().trim().min(1, 'must not be empty').max(THREAD_LIMITS.maxTitleChars, `a title can be at most ${THREAD_LIMITS.maxTitleChars} characters long`);
const ListQuery = z.object({
  scope: z.enum(['mine', 'shared']).default('mine').openapi({ description: '`mine`: your threads; `shared`: what other members shared' }),
  limit: z.coerce.number().int().min(1).max(100).default(30),
  cursor: z.string().max(512).optional(),
});
const ThreadCursor = z.object({ updatedAt: z.iso.datetime(), id: z.uuid() });
const FeedbackCursor = z.object({ at: z.iso.datetime(), id: z.uuid() });
const AskBody = z.object({ question: Question, ...AskOptions });
const EVENTS_DESCRIPTION =
  'With `Accept: text/event-stream`: events `message` ({id, threadId, ordinal, question, retrievalQuery}), `citations` (Citation[]), `delta` ({text}) …, then `done` (Answer), `stopped` ({answer, citations}) or `error` ({error:{code,message}}). Otherwise, once the answer is finished, the ThreadMessage as JSON. The answer is written and stored by the server even if the client disconnects.';

const wantsEventStream = (c: Context<AppEnv>) => (c.req.header('accept') ?? '').includes('text/event-stream');

/** Streams `events` as SSE; a client that leaves only stops being written to (the answer goes on). */
function streamEvents(c: Context<AppEnv>, events: AsyncIterable<ConversationEvent>) {
  const requestId = c.get('requestId');
  const logger = c.get('logger');
  c.header('Cache-Control', 'no-store');
  return streamSSE(
    c,
    async (stream) => {
      for await (const event of events) {
        if (stream.aborted) break;
        const data = event.event === 'error' ? { error: { ...event.data.error, requestId } } : event.data;
        await stream.writeSSE({ event: event.event, data: JSON.stringify(data) });
      }
    },
    async (error, stream) => {
      // Never a question or document text in a log line.
      logger?.error({ err: loggableError(error) }, 'thread stream failed');
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: { code: 'answer_failed', message: 'The answer could not be completed.', requestId } }) });
    },
  );
}

export function registerThreadRoutes(app: OpenAPIHono<AppEnv>, services: Services) {
  const { db, threads, conversations, audit, limiter, config } = services;
  const viewer = (c: Context<AppEnv>, ws: string) => authorizeWorkspace(db, c.get('user')!.id, ws, 'viewer');

  /** Waits for the finished message (JSON clients) or streams it (SSE clients). */
  async function answerResponse(c: Context<AppEnv>, launched: Awaited<ReturnType<typeof conversations.ask>>, access: Awaited<ReturnType<typeof viewer>>) {
    if (wantsEventStream(c)) return streamEvents(c, launched.events());
    await launched.done;
    const stored = await threads.message(access, launched.message.threadId, launched.message.id);
    c.header('Cache-Control', 'no-store');
    return c.json(presentMessage(stored), 201);
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/workspaces/{ws}/threads',
      tags: ['threads'],
      summary: 'Your conversations in a workspace (or those other members shared), latest activity first',
      request: { params: WsParams, query: ListQuery },
      responses: { 200: { description: 'One page of threads', content: json(z.object({ items: z.array(Thread), nextCursor: z.string().nullable() })) } },
    }),
    async (c) => {
      const access = await viewer(c, c.req.valid('param').ws);
      const q = c.req.valid('query');
      const after = decodeCursor(q.cursor, ThreadCursor);
      const rows = await threads.list(access, q.scope, { limit: q.limit, ...(after ? { after } : {}) });
      const items = rows.slice(0, q.limit);
      const nextCursor = rows.length > q.limit && items.length > 0 ? encodeCursor(items[items.length - 1]!.cursor) : null;
      c.header('Cache-Control', 'no-store');
      return c.json({ items: items.map((r) => r.view), nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/workspaces/{ws}/threads',
      tags: ['threads'],
      summary: 'Start a conversation (its title becomes the first question unless given)',
      request: { params: WsParams, body: { content: json(z.object({ title: Title.optional() })), required: false } },
      responses: { 201: { description: 'The new, empty thread', content: json(Thread) } },
    }),
    async (c) => {
      const access = await viewer(c, c.req.valid('param').ws);
      const body = (await c.req.json().catch(() => ({}))) as unknown;
      const parsed = z.object({ title: Title.optional() }).safeParse(body ?? {});
      if (!parsed.success) throw new AppError(400, 'invalid_request', `title: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { field: 'title' });
      const thread = await threads.create(access, parsed.data.title);
      return c.json(thread, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/workspaces/{ws}/threads/{thread}',
      tags: ['threads'],
      summary: 'A thread with its messages (yours, or one shared in the workspace)',
      request: { params: ThreadParams },
      responses: { 200: { description: 'The thread', content: json(ThreadWithMessages) } },
    }),
    async (c) => {
      const { ws, thread } = c.req.valid('param');
      const access = await viewer(c, ws);
      const found = await threads.get(access, thread);
      c.header('Cache-Control', 'no-store');
      return c.json(found as z.infer<typeof ThreadWithMessages>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/api/workspaces/{ws}/threads/{thread}',
      tags: ['threads'],
      summary: 'Rename a thread, or share it read-only with the workspace (or stop sharing); sharing is audited',
      request: { params: ThreadParams, body: { content: json(z.object({ title: Title.optional(), shared: z.boolean().optional() })), required: true } },
      responses: { 200: { description: 'The thread', content: json(Thread) } },
    }),
    async (c) => {
      const { ws, thread } = c.req.valid('param');
      const change = c.req.valid('json');
      const access = await viewer(c, ws);
      const { view, wasShared } = await threads.update(access, thread, change);
      if (change.shared !== undefined && change.shared !== wasShared) {
        await audit.record(
          { action: change.shared ? 'thread.shared' : 'thread.unshared', outcome: 'success', actor: actorOf(c), targetType: 'thread', targetId: view.id, details: { workspaceId: access.workspaceId } },
          meta(c),
        );
      }
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/workspaces/{ws}/threads/{thread}',
      tags: ['threads'],
      summary: 'Delete a thread and its messages (audited)',
      request: { params: ThreadParams },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      const { ws, thread } = c.req.valid('param');
      const access = await viewer(c, ws);
      const deleted = await threads.delete(access, thread);
      await audit.record(
        { action: 'thread.deleted', outcome: 'success', actor: actorOf(c), targetType: 'thread', targetId: deleted.id, details: { workspaceId: access.workspaceId, messages: deleted.messages, shared: deleted.shared } },
        meta(c),
      );
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/workspaces/{ws}/threads/{thread}/messages',
      tags: ['threads'],
      summary: 'Ask in a thread: a follow-up is read against the earlier turns',
      description: `${EVENTS_DESCRIPTION} One answer at a time per thread (409 \`answer_in_progress\`). Counts against the ask limits: over them, 429 with Retry-After.`,
      request: { params: ThreadParams, body: { content: json(AskBody), required: true } },
      responses: {
        201: { description: 'The finished message (JSON) or its event stream', content: { ...json(Message), 'text/event-stream': { schema: z.string() } } },
      },
    }),
    async (c) => {
      const { ws, thread } = c.req.valid('param');
      const body = c.req.valid('json');
      const access = await viewer(c, ws);
      const owned = await threads.owned(access, thread);
      await reserveQuestion(c, limiter, config.ask);
      const launched = await conversations
        .ask(access, owned, {
          question: body.question,
          ...(body.documentIds !== undefined ? { documentIds: body.documentIds } : {}),
          ...(body.topK !== undefined ? { topK: body.topK } : {}),
        })
        .catch(mapSearchError);
      return answerResponse(c, launched, access) as unknown as ReturnType<typeof c.json<z.infer<typeof Message>, 201>>;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/workspaces/{ws}/threads/{thread}/messages/{message}/regenerate',
      tags: ['threads'],
      summary: 'Answer an earlier question again (replaces its answer and clears its rating)',
      description: `${EVENTS_DESCRIPTION} Counts against the ask limits.`,
      request: { params: MessageParams },
      responses: {
        201: { description: 'The finished message (JSON) or its event stream', content: { ...json(Message), 'text/event-stream': { schema: z.string() } } },
      },
    }),
    async (c) => {
      const { ws, thread, message } = c.req.valid('param');
      const access = await viewer(c, ws);
      const owned = await threads.owned(access, thread);
      await threads.message(access, owned.id, message);
      await reserveQuestion(c, limiter, config.ask);
      const launched = await conversations.regenerate(access, owned, message).catch(mapSearchError);
      return answerResponse(c, launched, access) as unknown as ReturnType<typeof c.json<z.infer<typeof Message>, 201>>;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/workspaces/{ws}/threads/{thread}/messages/{message}',
      tags: ['threads'],
      summary: 'One message — after a reconnect, the stored answer (status `pending` while it is written)',
      request: { params: MessageParams },
      responses: { 200: { description: 'The message', content: json(Message) } },
    }),
    async (c) => {
      const { ws, thread, message } = c.req.valid('param');
      const access = await viewer(c, ws);
      const readable = await threads.readable(access, thread);
      const row = await threads.message(access, readable.id, message);
      c.header('Cache-Control', 'no-store');
      return c.json(presentMessage(row) as z.infer<typeof Message>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/workspaces/{ws}/threads/{thread}/messages/{message}/events',
      tags: ['threads'],
      summary: 'Follow an answer again after a reconnect: replays its events so far, then the rest',
      description:
        'Server-sent events as for asking. When the answer is written by another replica or already finished, the stored message arrives as one `done` (or `stopped`/`error`) event once it is.',
      request: { params: MessageParams },
      responses: { 200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } } },
    }),
    async (c) => {
      const { ws, thread, message } = c.req.valid('param');
      const access = await viewer(c, ws);
      const readable = await threads.readable(access, thread);
      const row = await threads.message(access, readable.id, message);
      const live = conversations.live(row.id);
      if (live) return streamEvents(c, live) as unknown as ReturnType<typeof c.json<string, 200>>;
      async function* stored(): AsyncGenerator<ConversationEvent> {
        // Elsewhere or finished: poll the row (bounded: at most the stale-pending age).
        const deadline = Date.now() + 15 * 60_000;
        let current = presentMessage(row);
        while (current.status === 'pending' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          current = presentMessage(await threads.message(access, readable.id, row.id));
        }
        const citations = current.citations as z.infer<typeof Citation>[];
        if (current.status === 'done') {
          yield {
            event: 'done',
            data: { answer: current.answer, citations, closestMatches: current.closestMatches as z.infer<typeof ClosestMatch>[], mode: current.mode ?? 'extractive', model: current.model, removedCitations: current.removedCitations },
          };
        } else if (current.status === 'stopped') yield { event: 'stopped', data: { answer: current.answer, citations } };
        else yield { event: 'error', data: { error: { code: current.errorCode ?? 'answer_failed', message: 'The answer could not be completed.' } } };
      }
      return streamEvents(c, stored()) as unknown as ReturnType<typeof c.json<string, 200>>;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/workspaces/{ws}/threads/{thread}/messages/{message}/stop',
      tags: ['threads'],
      summary: 'Stop an answer being written (cancels the chat model request); what came so far is kept',
      request: { params: MessageParams },
      responses: { 202: { description: 'Stopping (or already finished: `stopping` false)', content: json(z.object({ stopping: z.boolean() })) } },
    }),
    async (c) => {
      const { ws, thread, message } = c.req.valid('param');
      const access = await viewer(c, ws);
      const owned = await threads.owned(access, thread);
      const stopping = await conversations.stop(access, owned.id, message);
      return c.json({ stopping }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/api/workspaces/{ws}/threads/{thread}/messages/{message}/feedback',
      tags: ['threads'],
      summary: 'Rate an answer: thumbs up, down, or null to clear (the asker only)',
      request: { params: MessageParams, body: { content: json(z.object({ rating: z.enum(['up', 'down']).nullable() })), required: true } },
      responses: { 200: { description: 'The message with its rating', content: json(Message) } },
    }),
    async (c) => {
      const { ws, thread, message } = c.req.valid('param');
      const access = await viewer(c, ws);
      const owned = await threads.owned(access, thread);
      const updated = await threads.setFeedback(access, owned.id, message, c.req.valid('json').rating);
      return c.json(updated as z.infer<typeof Message>, 200);
    },
  );

  const FeedbackItem = z
    .object({
      messageId: z.string(),
      workspaceId: z.string(),
      workspaceName: z.string(),
      threadId: z.string(),
      question: z.string(),
      retrievalQuery: z.string(),
      answer: z.string(),
      citations: z.array(Citation),
      mode: z.enum(['generated', 'extractive']).nullable(),
      model: z.string().nullable(),
      rating: z.enum(['up', 'down']),
      ratedAt: z.string(),
    })
    .openapi('AnswerFeedback');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/admin/answer-feedback',
      tags: ['admin'],
      summary: 'Export rated answers (question, answer, cited passages, rating) from every workspace — admins only, audited',
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200), cursor: z.string().max(512).optional() }) },
      responses: { 200: { description: 'One page of rated answers, oldest rating first', content: json(z.object({ items: z.array(FeedbackItem), nextCursor: z.string().nullable() })) } },
    }),
    async (c) => {
      // requireUser and requireAdmin run for /api/admin/* (routes/admin.ts).
      const q = c.req.valid('query');
      const after = decodeCursor(q.cursor, FeedbackCursor);
      const rows = await threads.exportFeedback({ limit: q.limit, ...(after ? { after } : {}) });
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      const nextCursor = rows.length > q.limit && last ? encodeCursor({ at: last.feedbackAt!.toISOString(), id: last.id }) : null;
      await audit.record(
        { action: 'answer_feedback.exported', outcome: 'success', actor: actorOf(c), targetType: 'answer_feedback', details: { items: page.length, first: page[0]?.feedbackAt?.toISOString() ?? null, more: nextCursor !== null } },
        meta(c),
      );
      c.header('Cache-Control', 'no-store');
      return c.json(
        {
          items: page.map((r) => ({
            messageId: r.id,
            workspaceId: r.workspaceId,
            workspaceName: r.workspaceName,
            threadId: r.threadId,
            question: r.question,
            retrievalQuery: r.retrievalQuery,
            answer: r.answer,
            citations: r.citations as z.infer<typeof Citation>[],
            mode: r.mode,
            model: r.model,
            rating: r.feedback === 1 ? ('up' as const) : ('down' as const),
            ratedAt: r.feedbackAt!.toISOString(),
          })),
          nextCursor,
        },
        200,
      );
    },
  );
}
