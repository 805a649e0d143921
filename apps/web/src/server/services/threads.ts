/**
 * Ask threads: one user's conversation in one workspace, and its messages.
 * Every query names the workspace the caller was authorized for (and the
 * thread's owner where only the owner may act), so a thread id from another
 * workspace — or another user's private thread — is simply not found.
 *
 * Who may do what with a thread:
 *   owner of the thread  read, ask, regenerate, stop, rate, rename, share, delete
 *   other member         read, only while the thread is shared (a write answers 403)
 *   anyone else          404 (membership is checked first, by authorizeWorkspace)
 */
import { and, asc, desc, eq, isNotNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { askMessages, askThreads, users, workspaces, type Database } from '@quarry/db';
import { conflict, forbidden, notFound } from '../http/errors.js';
import { isUuid, type WorkspaceAccess } from './authorization.js';

export type ThreadRow = typeof askThreads.$inferSelect;
export type MessageRow = typeof askMessages.$inferSelect;
export type MessageStatus = MessageRow['status'];

export const THREAD_LIMITS = { maxTitleChars: 200, maxMessagesPerThread: 200, defaultTitle: 'New conversation' } as const;

/** A pending answer older than this was cut off by a restart: it is shown (and stored, on next write) as failed. */
export const STALE_PENDING_MS = 15 * 60_000;

export interface ThreadView {
  id: string;
  title: string;
  shared: boolean;
  /** The caller started it (may ask, rename, share, delete); false: a member's shared thread, read-only. */
  mine: boolean;
  ownerName: string;
  createdAt: string;
  updatedAt: string;
}

export interface MessageView {
  id: string;
  ordinal: number;
  question: string;
  retrievalQuery: string;
  status: MessageStatus;
  answer: string;
  citations: unknown[];
  closestMatches: unknown[];
  removedCitations: number[];
  mode: 'generated' | 'extractive' | null;
  model: string | null;
  errorCode: string | null;
  feedback: 'up' | 'down' | null;
  createdAt: string;
  completedAt: string | null;
}

export interface ThreadCursor {
  updatedAt: string;
  id: string;
}

const titleFrom = (question: string) => {
  const t = question.replace(/\s+/g, ' ').trim();
  return t.length <= 80 ? t : `${t.slice(0, 79).replace(/\s+\S*$/, '')}…`;
};

export function presentMessage(m: MessageRow, now = Date.now()): MessageView {
  const stale = m.status === 'pending' && now - m.createdAt.getTime() > STALE_PENDING_MS;
  return {
    id: m.id,
    ordinal: m.ordinal,
    question: m.question,
    retrievalQuery: m.retrievalQuery,
    status: stale ? 'failed' : m.status,
    answer: m.answer,
    citations: m.citations,
    closestMatches: m.closestMatches,
    removedCitations: m.removedCitations,
    mode: m.mode,
    model: m.model,
    errorCode: stale ? 'answer_interrupted' : m.errorCode,
    feedback: m.feedback === 1 ? 'up' : m.feedback === -1 ? 'down' : null,
    createdAt: m.createdAt.toISOString(),
    completedAt: m.completedAt?.toISOString() ?? null,
  };
}

export function createThreadService(db: Database) {
  const present = (t: ThreadRow & { ownerName: string | null }, userId: string): ThreadView => ({
    id: t.id,
    title: t.title,
    shared: t.sharedAt !== null,
    mine: t.userId === userId,
    ownerName: t.ownerName ?? 'a former member',
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  });

  const threadColumns = { thread: askThreads, ownerName: users.name };

  /** The thread if the caller may read it (own, or shared in this workspace); else 404, never a hint. */
  async function readable(access: WorkspaceAccess, threadId: string) {
    if (!isUuid(threadId)) throw notFound('thread');
    const [row] = await db
      .select(threadColumns)
      .from(askThreads)
      .leftJoin(users, eq(users.id, askThreads.userId))
      .where(
        and(
          eq(askThreads.id, threadId),
          eq(askThreads.workspaceId, access.workspaceId),
          or(eq(askThreads.userId, access.userId), isNotNull(askThreads.sharedAt)),
        ),
      )
      .limit(1);
    if (!row) throw notFound('thread');
    return { ...row.thread, ownerName: row.ownerName };
  }

  /** The thread if the caller owns it; a shared thread of someone else is 403 (read-only), a private one 404. */
  async function owned(access: WorkspaceAccess, threadId: string) {
    const thread = await readable(access, threadId);
    if (thread.userId !== access.userId) throw forbidden('This conversation was shared with you to read; only the person who started it can change it.', 'read_only_thread');
    return thread;
  }

  return {
    readable,
    owned,

    async create(access: WorkspaceAccess, title?: string): Promise<ThreadView> {
      const [row] = await db
        .insert(askThreads)
        .values({ workspaceId: access.workspaceId, userId: access.userId, title: title?.trim() || THREAD_LIMITS.defaultTitle })
        .returning();
      const [owner] = await db.select({ name: users.name }).from(users).where(eq(users.id, access.userId));
      return present({ ...row!, ownerName: owner?.name ?? null }, access.userId);
    },

    /** The caller's threads, or (scope `shared`) the threads other members shared; newest activity first. */
    async list(access: WorkspaceAccess, scope: 'mine' | 'shared', page: { limit: number; after?: ThreadCursor }) {
      const where: SQL[] = [eq(askThreads.workspaceId, access.workspaceId)];
      if (scope === 'mine') where.push(eq(askThreads.userId, access.userId));
      else where.push(isNotNull(askThreads.sharedAt), ne(askThreads.userId, access.userId));
      if (page.after) {
        const at = new Date(page.after.updatedAt);
        where.push(or(lt(askThreads.updatedAt, at), and(eq(askThreads.updatedAt, at), lt(askThreads.id, page.after.id)))!);
      }
      const rows = await db
        .select(threadColumns)
        .from(askThreads)
        .leftJoin(users, eq(users.id, askThreads.userId))
        .where(and(...where))
        .orderBy(desc(askThreads.updatedAt), desc(askThreads.id))
        .limit(page.limit + 1);
      return rows.map((r) => ({ view: present({ ...r.thread, ownerName: r.ownerName }, access.userId), cursor: { updatedAt: r.thread.updatedAt.toISOString(), id: r.thread.id } }));
    },

    async get(access: WorkspaceAccess, threadId: string) {
      const thread = await readable(access, threadId);
      const messages = await db
        .select()
        .from(askMessages)
        .where(and(eq(askMessages.threadId, thread.id), eq(askMessages.workspaceId, access.workspaceId)))
        .orderBy(asc(askMessages.ordinal))
        .limit(THREAD_LIMITS.maxMessagesPerThread);
      return { thread: present(thread, access.userId), messages: messages.map((m) => presentMessage(m)) };
    },

    async update(access: WorkspaceAccess, threadId: string, change: { title?: string; shared?: boolean }) {
      const thread = await owned(access, threadId);
      const set: Partial<typeof askThreads.$inferInsert> = { updatedAt: new Date() };
      if (change.title !== undefined) set.title = change.title.trim();
      if (change.shared !== undefined) set.sharedAt = change.shared ? (thread.sharedAt ?? new Date()) : null;
      const [row] = await db
        .update(askThreads)
        .set(set)
        .where(and(eq(askThreads.id, thread.id), eq(askThreads.workspaceId, access.workspaceId), eq(askThreads.userId, access.userId)))
        .returning();
      if (!row) throw notFound('thread');
      return { view: present({ ...row, ownerName: thread.ownerName }, access.userId), wasShared: thread.sharedAt !== null };
    },

    async delete(access: WorkspaceAccess, threadId: string) {
      const thread = await owned(access, threadId);
      const [counted] = await db.select({ n: sql<number>`count(*)::int` }).from(askMessages).where(eq(askMessages.threadId, thread.id));
      await db.delete(askThreads).where(and(eq(askThreads.id, thread.id), eq(askThreads.workspaceId, access.workspaceId), eq(askThreads.userId, access.userId)));
      return { id: thread.id, title: thread.title, shared: thread.sharedAt !== null, messages: counted?.n ?? 0 };
    },

    /** Earlier finished turns of the thread, oldest first (what a follow-up is read against). */
    async history(access: WorkspaceAccess, threadId: string, beforeOrdinal?: number) {
      const rows = await db
        .select({ question: askMessages.question, retrievalQuery: askMessages.retrievalQuery, answer: askMessages.answer, ordinal: askMessages.ordinal })
        .from(askMessages)
        .where(
          and(
            eq(askMessages.threadId, threadId),
            eq(askMessages.workspaceId, access.workspaceId),
            or(eq(askMessages.status, 'done'), eq(askMessages.status, 'stopped')),
            beforeOrdinal !== undefined ? lt(askMessages.ordinal, beforeOrdinal) : undefined,
          ),
        )
        .orderBy(desc(askMessages.ordinal))
        .limit(6);
      return rows.reverse();
    },

    /**
     * A new pending message at the end of the thread. One answer at a time per thread: while one is
     * pending another question is a 409 (the unique (thread, ordinal) index settles two at once).
     */
    async addPending(access: WorkspaceAccess, thread: ThreadRow, input: { question: string; retrievalQuery: string }) {
      return db.transaction(async (tx) => {
        // Lock the thread row: two questions at once queue here instead of racing for the ordinal.
        await tx.select({ id: askThreads.id }).from(askThreads).where(eq(askThreads.id, thread.id)).for('update');
        const [last] = await tx
          .select({ ordinal: askMessages.ordinal, status: askMessages.status, createdAt: askMessages.createdAt })
          .from(askMessages)
          .where(eq(askMessages.threadId, thread.id))
          .orderBy(desc(askMessages.ordinal))
          .limit(1);
        if (last?.status === 'pending' && Date.now() - last.createdAt.getTime() < STALE_PENDING_MS) {
          throw conflict('An answer in this conversation is still being written: wait for it or stop it first.', undefined, 'answer_in_progress');
        }
        const ordinal = (last?.ordinal ?? 0) + 1;
        if (ordinal > THREAD_LIMITS.maxMessagesPerThread) {
          throw conflict(`A conversation holds at most ${THREAD_LIMITS.maxMessagesPerThread} questions: start a new one.`, undefined, 'thread_full');
        }
        const [row] = await tx
          .insert(askMessages)
          .values({ threadId: thread.id, workspaceId: access.workspaceId, ordinal, question: input.question, retrievalQuery: input.retrievalQuery })
          .returning();
        const retitle = thread.title === THREAD_LIMITS.defaultTitle && ordinal === 1;
        await tx
          .update(askThreads)
          .set({ updatedAt: new Date(), ...(retitle ? { title: titleFrom(input.question) } : {}) })
          .where(eq(askThreads.id, thread.id));
        return row!;
      });
    },

    /** Puts a finished message back to pending for a new answer (regenerate); refused while one is written. */
    async resetForRegenerate(access: WorkspaceAccess, thread: ThreadRow, messageId: string, retrievalQuery: string) {
      const rows = await db
        .update(askMessages)
        .set({
          status: 'pending',
          answer: '',
          citations: [],
          closestMatches: [],
          removedCitations: [],
          mode: null,
          model: null,
          errorCode: null,
          stopRequestedAt: null,
          feedback: null,
          feedbackAt: null,
          retrievalQuery,
          createdAt: new Date(),
          completedAt: null,
        })
        .where(
          and(
            eq(askMessages.id, messageId),
            eq(askMessages.threadId, thread.id),
            eq(askMessages.workspaceId, access.workspaceId),
            or(ne(askMessages.status, 'pending'), lt(askMessages.createdAt, new Date(Date.now() - STALE_PENDING_MS))),
          ),
        )
        .returning();
      if (rows.length === 0) {
        await message(access, thread.id, messageId);
        throw conflict('This answer is still being written: wait for it or stop it first.', undefined, 'answer_in_progress');
      }
      await db.update(askThreads).set({ updatedAt: new Date() }).where(eq(askThreads.id, thread.id));
      return rows[0]!;
    },

    message: (access: WorkspaceAccess, threadId: string, messageId: string) => message(access, threadId, messageId),

    /** Stores the finished (or stopped, or failed) answer; only a pending message is written. */
    async finish(messageId: string, result: Pick<MessageRow, 'status' | 'answer' | 'citations' | 'closestMatches' | 'removedCitations' | 'mode' | 'model' | 'errorCode'>) {
      await db
        .update(askMessages)
        .set({ ...result, completedAt: new Date() })
        .where(and(eq(askMessages.id, messageId), eq(askMessages.status, 'pending')));
    },

    /** Asks the replica writing the answer to stop (it checks this flag while it streams). */
    async requestStop(access: WorkspaceAccess, threadId: string, messageId: string) {
      const m = await message(access, threadId, messageId);
      if (m.status !== 'pending') return false;
      await db
        .update(askMessages)
        .set({ stopRequestedAt: new Date() })
        .where(and(eq(askMessages.id, m.id), eq(askMessages.workspaceId, access.workspaceId), eq(askMessages.status, 'pending')));
      return true;
    },

    async stopRequested(messageId: string) {
      const [row] = await db.select({ at: askMessages.stopRequestedAt }).from(askMessages).where(eq(askMessages.id, messageId));
      return row?.at != null;
    },

    async setFeedback(access: WorkspaceAccess, threadId: string, messageId: string, rating: 'up' | 'down' | null) {
      const m = await message(access, threadId, messageId);
      if (m.status === 'pending') throw conflict('Rate an answer once it is finished.', undefined, 'answer_in_progress');
      const [row] = await db
        .update(askMessages)
        .set({ feedback: rating === null ? null : rating === 'up' ? 1 : -1, feedbackAt: rating === null ? null : new Date() })
        .where(and(eq(askMessages.id, m.id), eq(askMessages.workspaceId, access.workspaceId)))
        .returning();
      return presentMessage(row!);
    },

    /**
     * Rated answers across every workspace, oldest rating first, for an admin's export (the evaluation
     * data of the future). Holds questions, answers and quoted passages: the route audits each export.
     */
    async exportFeedback(page: { limit: number; after?: { at: string; id: string } }) {
      const where: SQL[] = [isNotNull(askMessages.feedback)];
      if (page.after) {
        const at = new Date(page.after.at);
        where.push(or(sql`${askMessages.feedbackAt} > ${at}`, and(eq(askMessages.feedbackAt, at), sql`${askMessages.id} > ${page.after.id}`))!);
      }
      return db
        .select({
          id: askMessages.id,
          workspaceId: askMessages.workspaceId,
          workspaceName: workspaces.name,
          threadId: askMessages.threadId,
          question: askMessages.question,
          retrievalQuery: askMessages.retrievalQuery,
          answer: askMessages.answer,
          citations: askMessages.citations,
          mode: askMessages.mode,
          model: askMessages.model,
          feedback: askMessages.feedback,
          feedbackAt: askMessages.feedbackAt,
        })
        .from(askMessages)
        .innerJoin(workspaces, eq(workspaces.id, askMessages.workspaceId))
        .where(and(...where))
        .orderBy(asc(askMessages.feedbackAt), asc(askMessages.id))
        .limit(page.limit + 1);
    },
  };

  async function message(access: WorkspaceAccess, threadId: string, messageId: string) {
    if (!isUuid(threadId) || !isUuid(messageId)) throw notFound('message');
    const [row] = await db
      .select()
      .from(askMessages)
      .where(and(eq(askMessages.id, messageId), eq(askMessages.threadId, threadId), eq(askMessages.workspaceId, access.workspaceId)))
      .limit(1);
    if (!row) throw notFound('message');
    return row;
  }
}

export type ThreadService = ReturnType<typeof createThreadService>;
