import { describe, expect, it } from 'vitest';
import type { QuarryDocument } from '../api/contract.js';
import { filterDocuments, typeOf, type ListView } from './list-view.js';

const doc = (
  title: string,
  mimeType: string,
  status: QuarryDocument['status'],
  createdAt: string,
  sizeBytes = 1,
): QuarryDocument => ({
  id: title,
  title,
  filename: `${title}.x`,
  mimeType,
  sizeBytes,
  status,
  createdAt,
});
const all = [
  doc('Beta', 'application/pdf', 'ready', '2026-01-02T10:00:00Z', 30),
  doc('alpha', 'text/html', 'failed', '2026-03-01T10:00:00Z', 10),
  doc('Gamma', 'application/pdf', 'queued', '2025-12-01T10:00:00Z', 20),
];
const view = (patch: Partial<ListView>): ListView => ({
  name: '',
  type: '',
  status: '',
  since: '',
  sort: 'newest',
  ...patch,
});
const titles = (v: Partial<ListView>) => filterDocuments(all, view(v)).map((d) => d.title);

describe('document list view', () => {
  it('sorts by date, name, type, status and size', () => {
    expect(titles({})).toEqual(['alpha', 'Beta', 'Gamma']);
    expect(titles({ sort: 'oldest' })).toEqual(['Gamma', 'Beta', 'alpha']);
    expect(titles({ sort: 'name' })).toEqual(['alpha', 'Beta', 'Gamma']);
    expect(titles({ sort: 'type' })).toEqual(['alpha', 'Beta', 'Gamma']);
    expect(titles({ sort: 'status' })).toEqual(['alpha', 'Gamma', 'Beta']);
    expect(titles({ sort: 'size' })).toEqual(['Beta', 'Gamma', 'alpha']);
  });
  it('filters by name words, type, status and date added', () => {
    expect(titles({ name: 'GAM' })).toEqual(['Gamma']);
    expect(titles({ type: 'pdf' })).toEqual(['Beta', 'Gamma']);
    expect(titles({ status: 'failed' })).toEqual(['alpha']);
    expect(titles({ since: '2026-01-01' })).toEqual(['alpha', 'Beta']);
  });
  it('names types in short', () => {
    expect(typeOf({ mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' })).toBe(
      'docx',
    );
    expect(typeOf({ mimeType: 'text/markdown' })).toBe('markdown');
  });
});
