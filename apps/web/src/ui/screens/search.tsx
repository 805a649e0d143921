/**
 * Search: one box, a mode switch, a document filter, highlighted snippets and
 * more results on scroll. The query lives in the URL so results can be shared.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { Link, useSearchParams } from 'wouter';
import { api } from '../api/client.js';
import type { SearchHit, SearchMode } from '../api/contract.js';
import { matchSummary } from '../components/match-summary.js';
import { ErrorText, PageTitle, Spinner } from '../components/common.js';
import { Snippet, snippetParts } from '../components/snippet.js';
import { useDocuments } from '../api/queries.js';
import { passageHref, type PassageLinkState } from '../passage-links.js';
import type { WorkspaceContext } from '../workspace/context.js';

/** The server's limit on a query (longer ones are refused with 400; far longer ones never fit in a URL). */
export const MAX_QUERY = 2000;

const modes: { value: SearchMode; label: string; hint: string }[] = [
  { value: 'hybrid', label: 'Hybrid', hint: 'Words and meaning combined' },
  { value: 'keyword', label: 'Keyword', hint: 'Exact words' },
  { value: 'semantic', label: 'Semantic', hint: 'Similar meaning' },
];

const searchTypes = [
  { value: 'pdf', label: 'PDF' },
  { value: 'docx', label: 'Word' },
  { value: 'pptx', label: 'PowerPoint' },
  { value: 'xlsx', label: 'Excel' },
  { value: 'csv', label: 'CSV' },
  { value: 'odt', label: 'OpenDocument text' },
  { value: 'ods', label: 'OpenDocument spreadsheet' },
  { value: 'odp', label: 'OpenDocument presentation' },
  { value: 'epub', label: 'EPUB' },
  { value: 'email', label: 'E-mail' },
  { value: 'rtf', label: 'RTF' },
  { value: 'image', label: 'Image' },
  { value: 'html', label: 'HTML' },
  { value: 'markdown', label: 'Markdown' },
  { value: 'text', label: 'Text' },
];

/** The day after a yyyy-mm-dd date (the API's `to` is exclusive). */
function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** ↑ and ↓ move between the search box and the results' links; Enter opens the focused one (a link). */
function onResultKeys(e: KeyboardEvent<HTMLElement>) {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const links = [...e.currentTarget.querySelectorAll<HTMLAnchorElement>('a.result-title')];
  const box = e.currentTarget.querySelector<HTMLInputElement>('#search-q');
  const at = links.indexOf(document.activeElement as HTMLAnchorElement);
  if (at === -1 && document.activeElement !== box) return;
  e.preventDefault();
  const next = e.key === 'ArrowDown' ? at + 1 : at - 1;
  if (next < 0) box?.focus();
  else links[Math.min(next, links.length - 1)]?.focus();
}

export function SearchScreen({ ctx }: { ctx: WorkspaceContext }) {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const mode = (params.get('mode') as SearchMode | null) ?? 'hybrid';
  const documentId = params.get('doc') ?? '';
  const type = params.get('type') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const tooLong = q.length > MAX_QUERY;
  const [draft, setDraft] = useState(q.slice(0, MAX_QUERY));
  // Back and Forward change the URL's query: the box follows it.
  useEffect(() => setDraft(q.slice(0, MAX_QUERY)), [q]);
  const documents = useDocuments(ctx.ws);

  // Each search is a history entry of its own, so Back returns to the previous one.
  const set = (patch: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (next.toString() !== params.toString()) setParams(next);
  };

  const results = useInfiniteQuery({
    queryKey: ['search', ctx.ws, q, mode, documentId, type, from, to],
    enabled: q.trim().length > 0 && !tooLong,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      api.search(
        ctx.ws,
        {
          q,
          mode,
          documentId: documentId || undefined,
          type: type || undefined,
          from: from || undefined,
          // "To" is a day: everything added before the end of it.
          to: to ? nextDay(to) : undefined,
          cursor: pageParam,
        },
        signal,
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: 30_000,
  });

  // Load the next page when the end of the list scrolls into view.
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = results;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    set({ q: draft.trim() });
  };
  const hits: SearchHit[] = results.data?.pages.flatMap((p) => p.items) ?? [];
  const first = results.data?.pages[0];

  const documentCount = new Set(hits.map((h) => h.documentId)).size;
  return (
    <section onKeyDown={onResultKeys}>
      <PageTitle>{`Search ${ctx.name}`}</PageTitle>
      <form className="search-form card" role="search" onSubmit={submit}>
        <div className="search-row">
          <label htmlFor="search-q" className="visually-hidden">
            Search query
          </label>
          <input
            id="search-q"
            type="search"
            placeholder="Search every passage…"
            aria-describedby="search-syntax search-length"
            maxLength={MAX_QUERY}
            value={draft}
            onChange={(e) => setDraft(e.target.value.slice(0, MAX_QUERY))}
          />
          <button type="submit" className="primary">
            Search
          </button>
        </div>
        <div className="search-options">
          <fieldset className="segmented">
            <legend className="visually-hidden">Search mode</legend>
            {modes.map((m) => (
              <label key={m.value} title={m.hint} className={mode === m.value ? 'checked' : ''}>
                <input
                  type="radio"
                  name="mode"
                  value={m.value}
                  checked={mode === m.value}
                  onChange={() => set({ mode: m.value === 'hybrid' ? '' : m.value })}
                />
                {m.label}
              </label>
            ))}
          </fieldset>
          <div className="inline-field">
            <label htmlFor="search-doc">Document</label>
            <select id="search-doc" value={documentId} onChange={(e) => set({ doc: e.target.value })}>
              <option value="">All documents</option>
              {(documents.data ?? []).map((d) => (
                <option key={d.id} value={d.id}>
                  {d.title || d.filename}
                </option>
              ))}
            </select>
          </div>
          <div className="inline-field">
            <label htmlFor="search-type">Type</label>
            <select id="search-type" value={type} onChange={(e) => set({ type: e.target.value })}>
              <option value="">All types</option>
              {searchTypes.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.label}
                </option>
              ))}
            </select>
          </div>
          <div className="inline-field">
            <label htmlFor="search-from">Added from</label>
            <input
              id="search-from"
              type="date"
              value={from}
              max={to || undefined}
              onChange={(e) => set({ from: e.target.value })}
            />
          </div>
          <div className="inline-field">
            <label htmlFor="search-to">to</label>
            <input
              id="search-to"
              type="date"
              value={to}
              min={from || undefined}
              onChange={(e) => set({ to: e.target.value })}
            />
          </div>
        </div>
        <p id="search-length" className={draft.length >= MAX_QUERY * 0.9 ? 'hint' : 'visually-hidden'}>
          {draft.length.toLocaleString('en')} of {MAX_QUERY.toLocaleString('en')} characters
        </p>
        <details className="search-help small">
          <summary id="search-syntax">Search tips</summary>
          <ul>
            <li>
              Type a question or a few words: every word counts, rarer words count more, and words like “or” and “not”
              are just words.
            </li>
            <li>
              <code>&quot;exact phrase&quot;</code> in double quotes must appear as written.
            </li>
            <li>
              <code>-word</code> after a space leaves out passages with that word.
            </li>
            <li>Any of the words may match (no OR is needed); passages holding more of them rank higher.</li>
            <li>↑ and ↓ move through the results, Enter opens one at its passage.</li>
            <li>
              Keyword matches words and their forms (index, indexing); semantic matches meaning; hybrid combines both.
            </li>
          </ul>
        </details>
      </form>

      {tooLong ? (
        <p className="error" role="alert">
          Searches are limited to {MAX_QUERY.toLocaleString('en')} characters; this one has{' '}
          {q.length.toLocaleString('en')}. Shorten it and search again.
        </p>
      ) : null}
      {results.isFetching && !results.isFetchingNextPage ? <Spinner label="Searching…" /> : null}
      <ErrorText error={results.error} />
      {first && !results.isFetching ? (
        <p className="muted small" aria-live="polite">
          {hits.length === 0
            ? 'No passages match.'
            : `${matchSummary(first.total, hits.length, documentCount, hasNextPage)} · ${first.mode} · ${first.tookMs} ms · ↑ ↓ to move, Enter to open`}
        </p>
      ) : null}
      <ol className="results" aria-label="Search results">
        {hits.map((hit) => (
          <li key={`${hit.passageId}`} className="result" data-testid="search-result">
            <Link
              href={passageHref(ctx.ws, hit, q)}
              state={
                {
                  passageText: snippetParts(hit.snippet)
                    .map((p) => p.text)
                    .join(''),
                  headingPath: hit.headingPath,
                } satisfies PassageLinkState
              }
              className="result-title"
            >
              {hit.documentTitle}
            </Link>
            <p className="muted small">
              {hit.page !== null ? `Page ${hit.page}` : null}
              {hit.page !== null && hit.headingPath?.length ? ' · ' : null}
              {hit.headingPath?.join(' › ')}
            </p>
            <p className="snippet">
              <Snippet html={hit.snippet} />
            </p>
          </li>
        ))}
      </ol>
      <div ref={sentinel} />
      {hasNextPage ? (
        <button type="button" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
          {isFetchingNextPage ? 'Loading more…' : 'More results'}
        </button>
      ) : null}
    </section>
  );
}
