/**
 * Uploading a whole folder: choose one (a directory picker) or drop one here.
 * Every file in it is uploaded with its path inside the folder
 * (`handbook/policies/leave.txt`), which the document keeps; files Quarry
 * cannot read (the server answers 415) are listed as skipped with the reason,
 * and files already in the workspace (409) as already there — neither is a
 * failed upload. Hidden files and folders (`.git`) are left out.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type DragEvent } from 'react';
import { ApiError, api } from '../api/client.js';
import { uploadFile } from '../api/upload.js';
import { errorMessage } from './common.js';

interface FolderFile {
  file: File;
  path: string;
}

type Outcome = { path: string; state: 'added' | 'present' | 'skipped' | 'failed'; reason?: string };

/** Files visited at most in one folder (a bound on what a drop walks). */
const MAX_FILES = 10_000;
const PARALLEL = 3;
const hidden = (path: string) => path.split('/').some((part) => part.startsWith('.'));

/** The files under a dropped folder, with their paths, through the File and Directory Entries API. */
async function filesOfEntry(entry: FileSystemEntry, out: FolderFile[]): Promise<void> {
  if (out.length >= MAX_FILES) return;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path: entry.fullPath.replace(/^\//, '') });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries answers in batches until an empty one; bounded by MAX_FILES.
  for (let round = 0; round < MAX_FILES && out.length < MAX_FILES; round++) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) await filesOfEntry(child, out);
  }
}

export function FolderUpload({ ws }: { ws: string }) {
  const queryClient = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [total, setTotal] = useState(0);
  const [dragging, setDragging] = useState(false);

  const upload = async (files: FolderFile[]) => {
    const wanted = files.filter((f) => !hidden(f.path)).slice(0, MAX_FILES);
    setOutcomes([]);
    setTotal(wanted.length);
    const queue = [...wanted];
    const record = (o: Outcome) => setOutcomes((all) => [...all, o]);
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        try {
          await uploadFile(api.uploadUrl(ws), next.file, () => {}, undefined, { path: next.path });
          record({ path: next.path, state: 'added' });
        } catch (error) {
          const status = error instanceof ApiError ? error.status : 0;
          if (status === 409) record({ path: next.path, state: 'present' });
          else if (status === 415 || status === 413) record({ path: next.path, state: 'skipped', reason: errorMessage(error) });
          else record({ path: next.path, state: 'failed', reason: errorMessage(error) });
        }
        void queryClient.invalidateQueries({ queryKey: ['documents', ws] });
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
  };

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    e.stopPropagation();
    setDragging(false);
    const entries = Array.from(e.dataTransfer.items)
      .map((item) => item.webkitGetAsEntry?.())
      .filter((entry): entry is FileSystemEntry => !!entry);
    const files: FolderFile[] = [];
    for (const entry of entries) await filesOfEntry(entry, files);
    await upload(files);
  };

  const count = (state: Outcome['state']) => outcomes.filter((o) => o.state === state).length;
  const notAdded = outcomes.filter((o) => o.state === 'skipped' || o.state === 'failed');
  return (
    <div
      className={`folder-upload${dragging ? ' dragging' : ''}`}
      data-testid="folder-upload"
      onDragOver={(e) => {
        e.preventDefault();
        e.stopPropagation();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => void onDrop(e)}
    >
      <p>
        <strong>Drop a folder here</strong> or{' '}
        <button type="button" onClick={() => input.current?.click()}>
          Choose a folder…
        </button>
      </p>
      <p className="muted small">Each file keeps its path in the folder; files Quarry cannot read are listed, not uploaded.</p>
      <label className="visually-hidden" htmlFor="folder-input">
        Upload a folder
      </label>
      <input
        id="folder-input"
        ref={input}
        type="file"
        multiple
        className="visually-hidden"
        tabIndex={-1}
        // A directory picker: React does not know the attribute, the browsers do.
        {...{ webkitdirectory: '', directory: '' }}
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
          e.target.value = '';
          void upload(files);
        }}
      />
      {total > 0 ? (
        <div role="status" aria-live="polite" data-testid="folder-summary">
          <p>
            {outcomes.length} of {total} files: {count('added')} uploaded, {count('present')} already here, {count('skipped')} skipped
            {count('failed') ? `, ${count('failed')} failed` : ''}.
          </p>
          {notAdded.length ? (
            <ul aria-label="Files not uploaded">
              {notAdded.map((o) => (
                <li key={o.path} data-testid="folder-skipped">
                  <span className="upload-name">{o.path}</span> <span className="small">{o.state === 'skipped' ? 'skipped' : 'failed'}: {o.reason}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
