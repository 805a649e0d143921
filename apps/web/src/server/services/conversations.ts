/**
 * Asking in a thread. A question becomes a pending message at once; its
 * answer is written by a run that belongs to the server, not to the HTTP
 * request: a client that disconnects (a reload, a dropped network) does not
 * end it, and the finished answer is stored for whoever fetches it next.
 * Only a stop ends a run early — the asker's stop aborts the run's signal,
 * which reaches the chat model's fetch and closes the upstream request.
 *
 * A stop may arrive at another replica than the one writing the answer: it
 * is also written to the message row, which the writing run checks once a
 * second while it streams.
 */
import type { AnswerEvent, AnswerResult, AnswerService, Citation } from '@quarry/search';
import type { Logger } from '../logger.js';
import { loggableError } from '../log-safe.js';
import type { WorkspaceAccess } from './authorization.js';
import type { MessageRow, ThreadRow, ThreadService } from './threads.js';

export type ConversationEvent =
  | { event: 'message'; data: { id: string; threadId: string; ordinal: number; question: string; retrievalQuery: string } }
  | AnswerEvent
  | { event: 'stopped'; data: { answer: string; citations: Citation[] } };

export interface AskInThread {
  question: string;
  documentIds?: string[];
  topK?: number;
}

interface Run {
  controller: AbortController;
  /** Every event so far: a subscriber that joins late (a reconnect) replays them first. */
  events: ConversationEvent[];
  waiters: Set<() => void>;
  ended: boolean;
}

const STOP_POLL_MS = 1_000;

export function createConversationService(deps: { threads: ThreadService; answers: AnswerService; logger?: Logger }) {
  const { threads, answers } = deps;
  const runs = new Map<string, Run>();

  function emit(run: Run, event: ConversationEvent) {
    run.events.push(event);
    for (const wake of run.waiters) wake();
  }

  async function* follow(run: Run): AsyncGenerator<ConversationEvent> {
    let index = 0;
    for (;;) {
      while (index < run.events.length) yield run.events[index++]!;
      if (run.ended) return;
      await new Promise<void>((resolve) => {
        const wake = () => {
          run.waiters.delete(wake);
          resolve();
        };
        run.waiters.add(wake);
      });
    }
  }

  /** Writes the answer of `message` in the background; resolves when it is stored. */
  async function start(access: WorkspaceAccess, message: MessageRow, input: AskInThread, history: Awaited<ReturnType<ThreadService['history']>>) {
    const run: Run = { controller: new AbortController(), events: [], waiters: new Set(), ended: false };
    runs.set(message.id, run);
    emit(run, {
      event: 'message',
      data: { id: message.id, threadId: message.threadId, ordinal: message.ordinal, question: message.question, retrievalQuery: message.retrievalQuery },
    });
    const { signal } = run.controller;
    const poll = setInterval(() => {
      void threads
        .stopRequested(message.id)
        .then((stop) => {
          if (stop) run.controller.abort(new Error('stopped by the asker'));
        })
        .catch(() => undefined);
    }, STOP_POLL_MS);
    poll.unref();

    let partial = '';
    let given: Citation[] = [];
    let result: AnswerResult | undefined;
    let failure: { code: string; message: string } | undefined;
    try {
      const prepared = await answers.prepare({
        workspaceId: access.workspaceId,
        question: message.question,
        retrievalQuery: message.retrievalQuery,
        history,
        ...(input.documentIds !== undefined ? { documentIds: input.documentIds } : {}),
        ...(input.topK !== undefined ? { topK: input.topK } : {}),
      });
      for await (const event of prepared.events(signal)) {
        if (event.event === 'citations') given = event.data;
        if (event.event === 'delta') partial += event.data.text;
        if (event.event === 'done') result = event.data;
        if (event.event === 'error') failure = event.data.error;
        emit(run, event);
      }
    } catch (error) {
      if (!signal.aborted) {
        deps.logger?.error({ err: loggableError(error) }, 'thread answer failed');
        failure = { code: 'answer_failed', message: 'The answer could not be completed.' };
        emit(run, { event: 'error', data: { error: failure } });
      }
    } finally {
      clearInterval(poll);
    }
    try {
      if (result) {
        await threads.finish(message.id, {
          status: 'done',
          answer: result.answer,
          citations: result.citations,
          closestMatches: result.closestMatches,
          removedCitations: result.removedCitations,
          mode: result.mode,
          model: result.model,
          errorCode: null,
        });
      } else if (signal.aborted) {
        // What the reader saw stays, with the sources it cites.
        const cited = new Set([...partial.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
        const citations = given.filter((c) => cited.has(c.n));
        await threads.finish(message.id, {
          status: 'stopped',
          answer: partial,
          citations,
          closestMatches: [],
          removedCitations: [],
          mode: answers.chatModel ? 'generated' : 'extractive',
          model: answers.chatModel,
          errorCode: null,
        });
        emit(run, { event: 'stopped', data: { answer: partial, citations } });
      } else {
        await threads.finish(message.id, {
          status: 'failed',
          answer: partial,
          citations: [],
          closestMatches: [],
          removedCitations: [],
          mode: answers.chatModel ? 'generated' : 'extractive',
          model: answers.chatModel,
          errorCode: failure?.code ?? 'answer_incomplete',
        });
      }
    } catch (error) {
      deps.logger?.error({ err: loggableError(error) }, 'storing a thread answer failed');
    } finally {
      run.ended = true;
      for (const wake of run.waiters) wake();
      runs.delete(message.id);
    }
  }

  function launch(access: WorkspaceAccess, message: MessageRow, input: AskInThread, history: Awaited<ReturnType<ThreadService['history']>>) {
    const done = start(access, message, input, history);
    const run = runs.get(message.id)!;
    return { message, events: () => follow(run), done };
  }

  return {
    /** Adds the question to the thread and starts its answer; the events can be followed (and re-followed). */
    async ask(access: WorkspaceAccess, thread: ThreadRow, input: AskInThread) {
      const history = await threads.history(access, thread.id);
      const { query } = await answers.standaloneQuery(input.question, history);
      const message = await threads.addPending(access, thread, { question: input.question, retrievalQuery: query });
      return launch(access, message, input, history);
    },

    /** A new answer to an earlier question of the thread, read against the turns before it. */
    async regenerate(access: WorkspaceAccess, thread: ThreadRow, messageId: string) {
      const existing = await threads.message(access, thread.id, messageId);
      const history = await threads.history(access, thread.id, existing.ordinal);
      const { query } = await answers.standaloneQuery(existing.question, history);
      const message = await threads.resetForRegenerate(access, thread, existing.id, query);
      return launch(access, message, { question: message.question }, history);
    },

    /** The live events of an answer being written in this process, or undefined (finished, or elsewhere). */
    live(messageId: string) {
      const run = runs.get(messageId);
      return run ? follow(run) : undefined;
    },

    /** Stops an answer: here at once, on another replica within a second (the flag it polls). */
    async stop(access: WorkspaceAccess, threadId: string, messageId: string) {
      const pending = await threads.requestStop(access, threadId, messageId);
      runs.get(messageId)?.controller.abort(new Error('stopped by the asker'));
      return pending;
    },

    /** Runs still writing (shutdown waits for none; a restart marks them failed when read). */
    get activeRuns() {
      return runs.size;
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;
