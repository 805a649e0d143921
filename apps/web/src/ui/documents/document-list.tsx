/**
 * A workspace's documents: sort and filter (name, type, status, date added),
 * select several to delete or re-index, rename one, and — for a failed one —
 * its reason and a retry on its row. Editors and owners only for changes.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.js';
import type { QuarryDocument } from '../api/contract.js';
import { embedding, inFlight } from '../api/queries.js';
import { ConfirmDialog, ErrorText, formatBytes, formatDate } from '../components/common.js';
import { filterDocuments, typeOf, typeLabels, type ListView } from './list-view.js';
import './documents.css';

const statusLabel: Record<QuarryDocument['status'], string> = {
  queued: 'Queued',
  processing: 'Processing',
  ready: 'Ready',
  failed: 'Failed',
};

const nameOf = (d: QuarryDocument) => d.title || d.filename;

export function DocumentList({
  ws,
  documents,
  editable,
}: {
  ws: string;
  documents: QuarryDocument[];
  editable: boolean;
}) {
  const queryClient = useQueryClient();
  const uid = useId();
  const [view, setView] = useState<ListView>({ name: '', type: '', status: '', since: '', sort: 'newest' });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState<QuarryDocument[] | null>(null);
  const [renaming, setRenaming] = useState<{ id: string; title: string } | null>(null);
  const [rowError, setRowError] = useState<{ id: string; error: unknown } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['documents', ws] });

  const shown = useMemo(() => filterDocuments(documents, view), [documents, view]);
  const chosen = shown.filter((d) => selected.has(d.id));
  const types = useMemo(() => [...new Set(documents.map(typeOf))].sort(), [documents]);

  const remove = useMutation({
    mutationFn: async (ids: string[]) => {
      for (const id of ids) await api.deleteDocument(ws, id);
    },
    onSettled: async () => {
      setSelected(new Set());
      await refresh();
    },
    onSuccess: () => setConfirming(null),
  });
  const reindex = useMutation({
    mutationFn: async (ids: string[]) => {
      for (const id of ids) await api.reindexDocument(ws, id);
    },
    onSettled: () => refresh(),
    onError: (error, ids) => setRowError({ id: ids[0] ?? '', error }),
  });
  const rename = useMutation({
    mutationFn: ({ id, title }: { id: string; title: string }) => api.renameDocument(ws, id, title),
    onSuccess: async () => {
      setRenaming(null);
      await refresh();
    },
    onError: (error, { id }) => setRowError({ id, error }),
  });
  const set = (patch: Partial<ListView>) => setView((v) => ({ ...v, ...patch }));
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  if (!documents.length)
    return (
      <div className="empty card">
        <p>No documents yet.{editable ? ' Upload some to search and ask questions about them.' : ''}</p>
      </div>
    );

  return (
    <>
      <form
        className="doc-filters card"
        role="search"
        aria-label="Filter documents"
        onSubmit={(e) => e.preventDefault()}
      >
        <div className="doc-filter">
          <label htmlFor={`${uid}-name`}>Name</label>
          <input
            id={`${uid}-name`}
            type="search"
            value={view.name}
            onChange={(e) => set({ name: e.target.value })}
            placeholder="Filter by name"
          />
        </div>
        <div className="doc-filter">
          <label htmlFor={`${uid}-type`}>Type</label>
          <select id={`${uid}-type`} value={view.type} onChange={(e) => set({ type: e.target.value })}>
            <option value="">All types</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {typeLabels[t] ?? t}
              </option>
            ))}
          </select>
        </div>
        <div className="doc-filter">
          <label htmlFor={`${uid}-status`}>Status</label>
          <select
            id={`${uid}-status`}
            value={view.status}
            onChange={(e) => set({ status: e.target.value as ListView['status'] })}
          >
            <option value="">Any status</option>
            {Object.entries(statusLabel).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="doc-filter">
          <label htmlFor={`${uid}-added-since`}>Added since</label>
          <input
            id={`${uid}-added-since`}
            type="date"
            value={view.since}
            onChange={(e) => set({ since: e.target.value })}
          />
        </div>
        <div className="doc-filter">
          <label htmlFor={`${uid}-sort-by`}>Sort by</label>
          <select
            id={`${uid}-sort-by`}
            value={view.sort}
            onChange={(e) => set({ sort: e.target.value as ListView['sort'] })}
          >
            <option value="newest">Newest first</option>
            <option value="oldest">Oldest first</option>
            <option value="name">Name (A–Z)</option>
            <option value="type">Type</option>
            <option value="status">Status</option>
            <option value="size">Largest first</option>
          </select>
        </div>
      </form>

      <div className="doc-bar">
        <p className="muted small" aria-live="polite">
          {shown.length === documents.length
            ? `${documents.length} document${documents.length === 1 ? '' : 's'}`
            : `${shown.length} of ${documents.length} documents`}
          {documents.some(inFlight) ? ` · ${documents.filter(inFlight).length} being indexed` : ''}
        </p>
        {editable && shown.length ? (
          <div className="doc-bulk" role="group" aria-label="Selected documents">
            <label className="small">
              <input
                type="checkbox"
                checked={chosen.length > 0 && chosen.length === shown.length}
                onChange={(e) => setSelected(new Set(e.target.checked ? shown.map((d) => d.id) : []))}
              />{' '}
              Select all shown
            </label>
            <span className="small muted">{chosen.length} selected</span>
            <button
              type="button"
              disabled={!chosen.length || reindex.isPending}
              onClick={() => reindex.mutate(chosen.map((d) => d.id))}
            >
              {reindex.isPending ? 'Re-indexing…' : 'Re-index selected'}
            </button>
            <button
              type="button"
              className="danger"
              disabled={!chosen.length}
              onClick={() => {
                remove.reset();
                setConfirming(chosen);
              }}
            >
              Delete selected
            </button>
          </div>
        ) : null}
      </div>

      {shown.length === 0 ? <p className="muted card">No document matches these filters.</p> : null}
      <ul className="doc-list" aria-label="Documents">
        {shown.map((d) => (
          <li key={d.id} className={`doc${editable ? ' selectable' : ''}`} data-testid="document-row">
            {editable ? (
              <input
                type="checkbox"
                className="doc-check"
                checked={selected.has(d.id)}
                onChange={() => toggle(d.id)}
                aria-label={`Select ${nameOf(d)}`}
              />
            ) : null}
            <div className="doc-main">
              {renaming?.id === d.id ? (
                <form
                  className="doc-rename"
                  onSubmit={(e) => {
                    e.preventDefault();
                    if (renaming.title.trim()) rename.mutate(renaming);
                  }}
                >
                  <label className="visually-hidden" htmlFor={`rename-${d.id}`}>
                    New title for {nameOf(d)}
                  </label>
                  <input
                    id={`rename-${d.id}`}
                    autoFocus
                    maxLength={300}
                    value={renaming.title}
                    onChange={(e) => setRenaming({ id: d.id, title: e.target.value })}
                    onKeyDown={(e) => e.key === 'Escape' && setRenaming(null)}
                  />
                  <button type="submit" className="primary" disabled={rename.isPending || !renaming.title.trim()}>
                    {rename.isPending ? 'Saving…' : 'Save'}
                  </button>
                  <button type="button" onClick={() => setRenaming(null)}>
                    Cancel
                  </button>
                </form>
              ) : (
                <Link href={`/w/${ws}/documents/${d.id}`} className="doc-title">
                  {nameOf(d)}
                </Link>
              )}
              <span className="muted small">
                {d.filename !== d.title ? `${d.filename} · ` : ''}
                {typeLabels[typeOf(d)] ?? typeOf(d)} · {formatBytes(d.sizeBytes)}
                {d.pageCount ? ` · ${d.pageCount} page${d.pageCount === 1 ? '' : 's'}` : ''}
                {d.passageCount ? ` · ${d.passageCount} passage${d.passageCount === 1 ? '' : 's'}` : ''}
                {embedding(d) ? ` · semantic index ${d.vectors!.ready} of ${d.vectors!.total}` : ''}
                {d.createdAt ? ` · ${formatDate(d.createdAt)}` : ''}
              </span>
              {d.status === 'failed' && d.error ? (
                <span className="error small" data-testid="failure-reason">
                  Why it failed: {d.error}
                </span>
              ) : null}
              {rowError?.id === d.id ? <ErrorText error={rowError.error} /> : null}
            </div>
            <span className={`status status-${d.status}`} data-status={d.status}>
              {inFlight(d) ? <span className="spinner" aria-hidden="true" /> : null}
              {statusLabel[d.status]}
            </span>
            <div className="doc-actions">
              {editable && d.status === 'failed' ? (
                <button
                  type="button"
                  className="primary"
                  onClick={() => reindex.mutate([d.id])}
                  disabled={reindex.isPending}
                  aria-label={`Retry ${nameOf(d)}`}
                >
                  Retry
                </button>
              ) : null}
              <a href={api.downloadUrl(ws, d.id)} download aria-label={`Download ${nameOf(d)}`}>
                Download
              </a>
              {editable ? (
                <>
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => setRenaming({ id: d.id, title: nameOf(d) })}
                    aria-label={`Rename ${nameOf(d)}`}
                  >
                    Rename
                  </button>
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => reindex.mutate([d.id])}
                    disabled={reindex.isPending && reindex.variables?.includes(d.id)}
                    aria-label={`Re-index ${nameOf(d)}`}
                  >
                    Re-index
                  </button>
                  <button
                    type="button"
                    className="link-button danger-text"
                    onClick={() => {
                      remove.reset();
                      setConfirming([d]);
                    }}
                    aria-label={`Delete ${nameOf(d)}`}
                  >
                    Delete
                  </button>
                </>
              ) : null}
            </div>
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={confirming !== null}
        title={confirming && confirming.length > 1 ? `Delete ${confirming.length} documents?` : 'Delete this document?'}
        confirmLabel={confirming && confirming.length > 1 ? `Delete ${confirming.length} documents` : 'Delete document'}
        danger
        busy={remove.isPending}
        error={remove.error}
        onConfirm={() => confirming && remove.mutate(confirming.map((d) => d.id))}
        onCancel={() => setConfirming(null)}
      >
        <p>
          {confirming && confirming.length > 1 ? (
            <>
              <strong>{confirming.map(nameOf).join(', ')}</strong> and all of their passages will be removed from this
              workspace.
            </>
          ) : (
            <>
              <strong>{confirming?.[0] ? nameOf(confirming[0]) : ''}</strong> and all of its passages will be removed
              from this workspace.
            </>
          )}{' '}
          This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
