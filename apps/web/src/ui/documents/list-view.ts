/** Filtering and sorting the document list (pure; tested in list-view.test.ts). */
import type { QuarryDocument } from '../api/contract.js';

export interface ListView {
  name: string;
  /** A type key from typeOf ('' for all). */
  type: string;
  status: '' | QuarryDocument['status'];
  /** yyyy-mm-dd ('' for any date): documents added on or after that day. */
  since: string;
  sort: 'newest' | 'oldest' | 'name' | 'type' | 'status' | 'size';
}

export const typeLabels: Record<string, string> = {
  pdf: 'PDF',
  docx: 'Word',
  html: 'HTML',
  markdown: 'Markdown',
  text: 'Text',
};

/** A short type key from the MIME type ('pdf', 'docx', …; otherwise the subtype). */
export function typeOf(d: Pick<QuarryDocument, 'mimeType'>): string {
  const m = d.mimeType.toLowerCase();
  if (m === 'application/pdf') return 'pdf';
  if (m.includes('wordprocessingml')) return 'docx';
  if (m === 'text/html') return 'html';
  if (m === 'text/markdown') return 'markdown';
  if (m === 'text/plain') return 'text';
  return m.split('/').pop()?.split(/[.+;]/).pop() ?? m;
}

const statusOrder: Record<QuarryDocument['status'], number> = { failed: 0, processing: 1, queued: 2, ready: 3 };
const nameOf = (d: QuarryDocument) => (d.title || d.filename).toLocaleLowerCase();
const time = (d: QuarryDocument) => (d.createdAt ? Date.parse(d.createdAt) : 0);

export function filterDocuments(documents: QuarryDocument[], view: ListView): QuarryDocument[] {
  const words = view.name.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  const since = view.since ? new Date(`${view.since}T00:00:00`).getTime() : null;
  const shown = documents.filter(
    (d) =>
      words.every((w) => nameOf(d).includes(w) || d.filename.toLocaleLowerCase().includes(w)) &&
      (!view.type || typeOf(d) === view.type) &&
      (!view.status || d.status === view.status) &&
      (since === null || time(d) >= since),
  );
  const by: Record<ListView['sort'], (a: QuarryDocument, b: QuarryDocument) => number> = {
    newest: (a, b) => time(b) - time(a),
    oldest: (a, b) => time(a) - time(b),
    name: (a, b) => nameOf(a).localeCompare(nameOf(b)),
    type: (a, b) => typeOf(a).localeCompare(typeOf(b)) || nameOf(a).localeCompare(nameOf(b)),
    status: (a, b) => statusOrder[a.status] - statusOrder[b.status] || nameOf(a).localeCompare(nameOf(b)),
    size: (a, b) => b.sizeBytes - a.sizeBytes,
  };
  return [...shown].sort(by[view.sort]);
}
