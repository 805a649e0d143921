/**
 * Documents: drag-and-drop or picker upload of many files with per-file
 * progress, and the list (documents/document-list.tsx): statuses live while
 * anything is in flight; sort, filter, rename, select to delete or re-index.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState, type DragEvent } from 'react';
import { Link } from 'wouter';
import { ApiError, api } from '../api/client.js';
import { uploadFile } from '../api/upload.js';
import { authStatusQuery, useDocuments } from '../api/queries.js';
import { ErrorText, PageTitle, Spinner, errorMessage, formatBytes } from '../components/common.js';
import { FolderUpload } from '../components/folder-upload.js';
import { DocumentList } from '../documents/document-list.js';
import { canEdit, type WorkspaceContext } from '../workspace/context.js';

interface UploadItem {
  key: number;
  name: string;
  size: number;
  progress: number;
  state: 'waiting' | 'uploading' | 'done' | 'failed';
  error?: string;
  documentId?: string;
}

const PARALLEL_UPLOADS = 3;

/** A 409 names the document that already has these bytes (top level or inside `error`). */
function existingIdOf(body: Record<string, unknown> | undefined): string | undefined {
  const inner = body?.error as Record<string, unknown> | undefined;
  const id = body?.existingId ?? inner?.existingId;
  return typeof id === 'string' ? id : undefined;
}

export function DocumentsScreen({ ctx }: { ctx: WorkspaceContext }) {
  const documents = useDocuments(ctx.ws);
  const editable = canEdit(ctx.role);
  return (
    <section>
      <PageTitle>{`${ctx.name}: documents`}</PageTitle>
      {editable ? <Uploader ws={ctx.ws} /> : null}
      {editable ? <FolderUpload ws={ctx.ws} /> : null}
      {documents.isPending ? <Spinner label="Loading documents…" /> : null}
      <ErrorText error={documents.error} />
      {documents.data ? <DocumentList ws={ctx.ws} documents={documents.data} editable={editable} /> : null}
    </section>
  );
}

function Uploader({ ws }: { ws: string }) {
  const queryClient = useQueryClient();
  const [items, setItems] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const nextKey = useRef(1);

  // Refuse what the server would refuse (413) before sending a byte of it.
  const maxUploadMb = useQuery(authStatusQuery).data?.maxUploadMb;

  const update = (key: number, patch: Partial<UploadItem>) =>
    setItems((all) => all.map((it) => (it.key === key ? { ...it, ...patch } : it)));

  const start = useCallback(
    (files: File[]) => {
      if (!files.length) return;
      const batch = files.map((f) => ({
        file: f,
        item: { key: nextKey.current++, name: f.name, size: f.size, progress: 0, state: 'waiting' as const },
      }));
      setItems((all) => [...batch.map((b) => b.item), ...all]);
      const queue = [...batch];
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const { file, item } = next;
          if (maxUploadMb !== undefined && file.size > maxUploadMb * 1024 * 1024) {
            update(item.key, {
              state: 'failed',
              error: `This file is larger than the ${maxUploadMb} MB upload limit.`,
            });
            continue;
          }
          update(item.key, { state: 'uploading' });
          try {
            const accepted = await uploadFile(api.uploadUrl(ws), file, (progress) => update(item.key, { progress }));
            update(item.key, { state: 'done', progress: 1, documentId: accepted.id });
          } catch (error) {
            const duplicate = error instanceof ApiError && error.status === 409;
            const existingId = duplicate ? existingIdOf(error.body) : undefined;
            update(item.key, { state: 'failed', error: errorMessage(error), documentId: existingId });
          }
          void queryClient.invalidateQueries({ queryKey: ['documents', ws] });
        }
      };
      void Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, queue.length) }, worker));
    },
    [queryClient, ws, maxUploadMb],
  );

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    start(Array.from(e.dataTransfer.files));
  };
  const finished = items.length > 0 && items.every((i) => i.state === 'done' || i.state === 'failed');

  return (
    <div className="uploader">
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>
          <strong>Drop files here</strong> or{' '}
          <button type="button" className="primary" onClick={() => input.current?.click()}>
            Choose files…
          </button>
        </p>
        <p className="muted small">
          PDF, images, Word, PowerPoint, Excel, CSV, OpenDocument, EPUB, e-mail, RTF, HTML, Markdown or text. Several at once
          is fine.
        </p>
        <label className="visually-hidden" htmlFor="file-input">
          Upload files
        </label>
        <input
          id="file-input"
          ref={input}
          type="file"
          multiple
          className="visually-hidden"
          tabIndex={-1}
          onChange={(e) => {
            start(Array.from(e.target.files ?? []));
            e.target.value = '';
          }}
        />
      </div>
      {items.length ? (
        <div className="uploads">
          <div className="uploads-head">
            <h2>Uploads</h2>
            {finished ? (
              <button type="button" className="link-button" onClick={() => setItems([])}>
                Clear
              </button>
            ) : null}
          </div>
          <ul aria-label="Uploads">
            {items.map((it) => (
              <li key={it.key} className={`upload upload-${it.state}`} data-testid="upload-item">
                <div className="upload-row">
                  <span className="upload-name">{it.name}</span>
                  <span className="muted small">{formatBytes(it.size)}</span>
                  <span className="upload-state small">
                    {it.state === 'waiting'
                      ? 'Waiting'
                      : it.state === 'uploading'
                        ? // Every byte is sent; the server is still checking and storing the file.
                          it.progress >= 1
                          ? 'Storing…'
                          : `${Math.round(it.progress * 100)}%`
                        : it.state === 'done'
                          ? 'Uploaded'
                          : 'Failed'}
                  </span>
                </div>
                {/* No value while the server stores the file: an indeterminate bar, not a stuck 100%. */}
                <progress
                  max={1}
                  value={it.state === 'uploading' && it.progress >= 1 ? undefined : it.progress}
                  aria-label={`Upload progress of ${it.name}`}
                />
                {it.error ? (
                  <p className="error small" role="alert">
                    {it.error}
                    {it.documentId ? (
                      <>
                        {' '}
                        <Link href={`/w/${ws}/documents/${it.documentId}`}>Open the existing document</Link>
                      </>
                    ) : null}
                  </p>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
