/**
 * The conversations beside the chat: yours (newest activity first), then
 * those other members shared. The open one can be renamed, shared read-only
 * with the workspace or deleted (with a confirmation) — by its owner only.
 */
import { useState } from 'react';
import { Link } from 'wouter';
import { ConfirmDialog, ErrorText, formatDate } from '../components/common.js';
import type { Thread } from './ask-api.js';

export const askHref = (ws: string, thread?: string) => `/w/${ws}/ask${thread ? `?thread=${encodeURIComponent(thread)}` : ''}`;

function ThreadLink({ ws, thread, current }: { ws: string; thread: Thread; current: boolean }) {
  return (
    <li>
      <Link href={askHref(ws, thread.id)} className={`thread-link${current ? ' current' : ''}`} aria-current={current ? 'page' : undefined}>
        <span className="thread-title">{thread.title}</span>
        <span className="muted small">
          {thread.mine ? '' : `${thread.ownerName} · `}
          {formatDate(thread.updatedAt)}
          {thread.mine && thread.shared ? ' · shared' : ''}
        </span>
      </Link>
    </li>
  );
}

export function AskThreadList(props: { ws: string; mine: Thread[]; shared: Thread[]; current?: string; loading: boolean; error?: unknown; onNew(): void }) {
  const { ws, mine, shared, current } = props;
  return (
    <nav className="thread-list" aria-label="Conversations">
      <button type="button" className="primary wide" onClick={props.onNew}>
        New conversation
      </button>
      <ErrorText error={props.error} />
      <h2 className="thread-list-heading">Your conversations</h2>
      {props.loading ? <p className="muted small">Loading…</p> : null}
      {!props.loading && mine.length === 0 ? <p className="muted small">None yet: ask a question to start one.</p> : null}
      <ul>
        {mine.map((t) => (
          <ThreadLink key={t.id} ws={ws} thread={t} current={t.id === current} />
        ))}
      </ul>
      {shared.length ? (
        <>
          <h2 className="thread-list-heading">Shared with the workspace</h2>
          <ul>
            {shared.map((t) => (
              <ThreadLink key={t.id} ws={ws} thread={t} current={t.id === current} />
            ))}
          </ul>
        </>
      ) : null}
    </nav>
  );
}

/** Rename, share and delete for the open thread (its owner only). */
export function ThreadActions(props: {
  thread: Thread;
  onRename(title: string): Promise<void>;
  onShare(shared: boolean): Promise<void>;
  onDelete(): Promise<void>;
}) {
  const { thread } = props;
  const [renaming, setRenaming] = useState(false);
  const [title, setTitle] = useState(thread.title);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="thread-actions">
      {renaming ? (
        <form
          className="rename-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => props.onRename(title)).then((ok) => ok && setRenaming(false));
          }}
        >
          <label htmlFor="thread-title" className="visually-hidden">
            Conversation title
          </label>
          <input id="thread-title" value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} autoFocus />
          <button type="submit" className="small" disabled={busy || !title.trim()}>
            Save
          </button>
          <button type="button" className="ghost small" onClick={() => setRenaming(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <>
          <button
            type="button"
            className="ghost small"
            onClick={() => {
              setTitle(thread.title);
              setRenaming(true);
            }}
          >
            Rename
          </button>
          <button
            type="button"
            className="ghost small"
            disabled={busy}
            aria-pressed={thread.shared}
            title={thread.shared ? 'Members of this workspace can read this conversation' : 'Let every member of this workspace read this conversation'}
            onClick={() => void run(() => props.onShare(!thread.shared))}
          >
            {thread.shared ? 'Stop sharing' : 'Share with workspace'}
          </button>
          <button type="button" className="ghost small danger-text" onClick={() => setConfirming(true)}>
            Delete
          </button>
        </>
      )}
      <ErrorText error={error} />
      <ConfirmDialog
        open={confirming}
        title="Delete this conversation?"
        confirmLabel="Delete"
        danger
        busy={busy}
        error={error}
        onCancel={() => setConfirming(false)}
        onConfirm={() => void run(props.onDelete).then((ok) => ok && setConfirming(false))}
      >
        <p>
          “{thread.title}” and all its answers are deleted{thread.shared ? ', also for the members it is shared with' : ''}. This cannot be undone.
        </p>
      </ConfirmDialog>
    </div>
  );
}
