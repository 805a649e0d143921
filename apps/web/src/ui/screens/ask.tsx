/**
 * Ask: conversations with the workspace's documents. The thread list beside
 * the chat; the open thread's turns, each answer streamed as it is written,
 * its citations as chips that open the reader at the passage. Enter sends,
 * Shift+Enter starts a new line. Stop cancels the answer on the server (and
 * the model's request); a reload mid-answer picks the answer up again — the
 * server writes it either way and stores it when done.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { ApiError } from '../api/client.js';
import { ErrorText, PageTitle, Spinner } from '../components/common.js';
import type { WorkspaceContext } from '../workspace/context.js';
import { askInThread, followAnswer, MAX_QUESTION_CHARS, threadsApi, type AnswerEvents, type ThreadMessage } from './ask-api.js';
import { AskMessage, type ShownMessage } from './ask-message.js';
import { askHref, AskThreadList, ThreadActions } from './ask-thread-list.js';
import './ask.css';

export { AnswerText } from './ask-message.js';

const blankAnswer = (question: string): ShownMessage => ({
  id: null,
  ordinal: 0,
  question,
  retrievalQuery: question,
  status: 'pending',
  answer: '',
  citations: [],
  closestMatches: [],
  removedCitations: [],
  mode: null,
  model: null,
  errorCode: null,
  feedback: null,
  createdAt: new Date().toISOString(),
  completedAt: null,
});

export function AskScreen({ ctx }: { ctx: WorkspaceContext }) {
  const { ws } = ctx;
  const search = useSearch();
  const [, navigate] = useLocation();
  const threadId = new URLSearchParams(search).get('thread') ?? undefined;
  const queryClient = useQueryClient();
  const mine = useQuery({ queryKey: ['threads', ws, 'mine'], queryFn: () => threadsApi.list(ws, 'mine') });
  const shared = useQuery({ queryKey: ['threads', ws, 'shared'], queryFn: () => threadsApi.list(ws, 'shared') });
  const thread = useQuery({ queryKey: ['thread', ws, threadId], queryFn: () => threadsApi.get(ws, threadId!), enabled: threadId !== undefined });

  const [question, setQuestion] = useState('');
  /** The answer being written now (this tab asked it, or a reload found it pending). */
  const [live, setLive] = useState<{ threadId: string; message: ShownMessage } | null>(null);
  const [stopping, setStopping] = useState(false);
  const [error, setError] = useState<unknown>();
  const abort = useRef<AbortController | null>(null);
  const endRef = useRef<HTMLDivElement | null>(null);
  const inputRef = useRef<HTMLTextAreaElement | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const refresh = async (id: string) => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: ['thread', ws, id] }),
      queryClient.invalidateQueries({ queryKey: ['threads', ws] }),
    ]);
  };

  /** Streams one answer into `live`; when it ends the stored thread takes over. */
  const stream = async (id: string, start: ShownMessage, run: (handlers: AnswerEvents, signal: AbortSignal) => Promise<void>) => {
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setError(undefined);
    setStopping(false);
    setLive({ threadId: id, message: start });
    const update = (change: (m: ShownMessage) => ShownMessage) => setLive((l) => (l && l.threadId === id ? { ...l, message: change(l.message) } : l));
    try {
      await run(
        {
          onMessage: (m) => update((s) => ({ ...s, id: m.id, ordinal: m.ordinal, retrievalQuery: m.retrievalQuery })),
          onCitations: (citations) => update((s) => ({ ...s, citations })),
          onDelta: (text) => update((s) => ({ ...s, answer: s.answer + text })),
          onDone: (a) => update((s) => ({ ...s, ...a, status: 'done' })),
          onStopped: (p) => update((s) => ({ ...s, ...p, status: 'stopped' })),
        },
        controller.signal,
      );
      await refresh(id);
      setLive((l) => (l?.threadId === id ? null : l));
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      update((s) => ({ ...s, status: 'failed', error: e }));
      await refresh(id);
    } finally {
      setStopping(false);
    }
  };

  // A reload while an answer was being written: follow it again (the server kept writing).
  const pending = thread.data?.messages.find((m) => m.status === 'pending');
  useEffect(() => {
    if (!threadId || !pending || live) return;
    void stream(threadId, { ...pending, answer: '' }, (handlers, signal) => followAnswer(ws, threadId, pending.id, handlers, signal));
    // Only when a pending message appears (not on every render of the same one).
  }, [threadId, pending?.id]);

  const messages: ShownMessage[] = (() => {
    const stored: ShownMessage[] = thread.data && threadId ? thread.data.messages : [];
    if (!live || live.threadId !== threadId) return stored;
    const replaced = stored.some((m) => m.id === live.message.id);
    return replaced ? stored.map((m) => (m.id === live.message.id ? live.message : m)) : [...stored.filter((m) => m.status !== 'pending'), live.message];
  })();
  useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: 'end' });
  }, [messages.length, live?.message.status]);

  const current = thread.data?.thread;
  const editable = threadId === undefined || current?.mine === true;
  // An answer being written in this thread (one in another thread goes on, on the server, unwatched).
  const writing = live !== null && live.threadId === threadId && live.message.status === 'pending';
  const tooLong = question.length > MAX_QUESTION_CHARS;

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    const q = question.trim();
    if (!q || writing || tooLong || !editable) return;
    let id = threadId;
    try {
      if (id === undefined) {
        id = (await threadsApi.create(ws)).id;
        navigate(askHref(ws, id), { replace: true });
      }
    } catch (err) {
      setError(err);
      return;
    }
    setQuestion('');
    const target = id;
    await stream(target, blankAnswer(q), (handlers, signal) => askInThread(ws, target, { question: q }, handlers, signal));
    inputRef.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition does neither.
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  const stop = async () => {
    const id = live?.message.id;
    if (!threadId || !id) return;
    setStopping(true);
    try {
      await threadsApi.stop(ws, threadId, id);
    } catch (err) {
      setError(err);
      setStopping(false);
    }
  };

  const regenerate = (message: ShownMessage) => {
    if (!threadId || !message.id) return;
    const target = threadId;
    const messageId = message.id;
    void stream(target, { ...message, status: 'pending', answer: '', citations: [], closestMatches: [], removedCitations: [], feedback: null }, (handlers, signal) =>
      askInThread(ws, target, { regenerate: messageId }, handlers, signal),
    );
  };

  const feedback = async (message: ShownMessage, rating: 'up' | 'down' | null) => {
    if (!threadId || !message.id) return;
    try {
      const updated = await threadsApi.feedback(ws, threadId, message.id, rating);
      queryClient.setQueryData<{ thread: unknown; messages: ThreadMessage[] }>(['thread', ws, threadId], (d) =>
        d ? { ...d, messages: d.messages.map((m) => (m.id === updated.id ? updated : m)) } : d,
      );
    } catch (err) {
      setError(err);
    }
  };

  const notFound = thread.error instanceof ApiError && thread.error.status === 404;

  return (
    <section className="ask-layout">
      <PageTitle>{`Ask ${ctx.name}`}</PageTitle>
      <AskThreadList
        ws={ws}
        mine={mine.data?.items ?? []}
        shared={shared.data?.items ?? []}
        current={threadId}
        loading={mine.isPending}
        error={mine.error ?? shared.error}
        onNew={() => {
          abort.current?.abort();
          setLive(null);
          navigate(askHref(ws));
          inputRef.current?.focus();
        }}
      />
      <div className="chat">
        {current ? (
          <header className="chat-head">
            <h2 className="chat-title">{current.title}</h2>
            {current.mine ? (
              <ThreadActions
                key={current.id}
                thread={current}
                onRename={async (title) => {
                  await threadsApi.update(ws, current.id, { title });
                  await refresh(current.id);
                }}
                onShare={async (isShared) => {
                  await threadsApi.update(ws, current.id, { shared: isShared });
                  await refresh(current.id);
                }}
                onDelete={async () => {
                  await threadsApi.remove(ws, current.id);
                  setLive(null);
                  await queryClient.invalidateQueries({ queryKey: ['threads', ws] });
                  navigate(askHref(ws));
                }}
              />
            ) : (
              <p className="muted small">Shared by {current.ownerName}: you can read it, not continue it.</p>
            )}
          </header>
        ) : null}
        {threadId && thread.isPending ? <Spinner label="Loading the conversation…" /> : null}
        {notFound ? <p className="error">This conversation does not exist, or it is not shared with you.</p> : <ErrorText error={thread.error} />}
        {!threadId ? (
          <div className="chat-empty">
            <p>Ask a question about the documents in {ctx.name}. Follow-up questions keep the context of the conversation.</p>
            <p className="muted small">Answers cite the passages they come from; open a citation to read it in its document.</p>
          </div>
        ) : null}
        <ol className="turns" aria-label="Conversation">
          {messages.map((m, i) => (
            <AskMessage
              key={m.id ?? `live-${i}`}
              ws={ws}
              message={m}
              editable={editable}
              busy={writing}
              onRegenerate={() => regenerate(m)}
              onFeedback={(rating) => void feedback(m, rating)}
            />
          ))}
        </ol>
        <div ref={endRef} />
        <ErrorText error={error} />
        {editable && !notFound ? (
          <form className="composer" onSubmit={(e) => void submit(e)}>
            <label htmlFor="ask-q" className="visually-hidden">
              Your question
            </label>
            <textarea
              id="ask-q"
              ref={inputRef}
              rows={2}
              value={question}
              aria-describedby="ask-hint"
              aria-invalid={tooLong || undefined}
              placeholder={threadId ? 'Ask a follow-up — Enter to send, Shift+Enter for a new line' : 'Ask about these documents — Enter to send, Shift+Enter for a new line'}
              onChange={(e) => setQuestion(e.target.value)}
              onKeyDown={onKeyDown}
            />
            <div className="composer-row">
              <span id="ask-hint" className={`small ${tooLong ? 'danger-text' : 'muted'}`}>
                {question.length > MAX_QUESTION_CHARS * 0.9
                  ? `${question.length} of ${MAX_QUESTION_CHARS} characters${tooLong ? ': a question can be at most 2000 characters long — shorten it or split it into follow-ups' : ''}`
                  : 'Enter sends · Shift+Enter adds a line'}
              </span>
              {writing ? (
                <button type="button" className="danger" onClick={() => void stop()} disabled={stopping || !live?.message.id}>
                  {stopping ? 'Stopping…' : 'Stop'}
                </button>
              ) : (
                <button type="submit" className="primary" disabled={!question.trim() || tooLong}>
                  Ask
                </button>
              )}
            </div>
          </form>
        ) : null}
      </div>
    </section>
  );
}
