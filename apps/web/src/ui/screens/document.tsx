/**
 * The reader: a document shown as its text (headings, page breaks, tables;
 * every passage addressable), opened at the passage a search hit or citation
 * names, with "next / previous match" for the search's words; a PDF also as
 * its original pages, one click away.
 *
 * URL: `?passage=<id>&page=<n>&q=<query>&view=page#p-<id>` (passage-links.ts).
 */
import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'wouter';
import { ApiError, api } from '../api/client.js';
import type { ReaderPassage } from '../api/contract.js';
import { ErrorText, PageTitle, Spinner } from '../components/common.js';
import { NotFoundScreen } from '../components/not-found.js';
import { passageAnchor } from '../passage-links.js';
import { DocumentMeta } from '../reader/document-meta.js';
import { pageWord } from '../reader/layout.js';
import { MatchNav, type Match } from '../reader/match-nav.js';
import { PageView } from '../reader/page-view.js';
import { TextView } from '../reader/text-view.js';
import type { WorkspaceContext } from '../workspace/context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A `#p-<passageId>` link names a passage too (the reader's own anchors). */
function hashPassage(): string | null {
  const id = /^#p-(.+)$/.exec(window.location.hash)?.[1];
  return id && UUID.test(id) ? id : null;
}

export function DocumentScreen({ ctx, documentId }: { ctx: WorkspaceContext; documentId: string }) {
  const [params] = useSearchParams();
  const [, navigate] = useLocation();
  const target = params.get('passage') ?? hashPassage();
  const q = params.get('q') ?? '';
  const pageParam = Number(params.get('page')) || null;

  const doc = useQuery({
    queryKey: ['document', ctx.ws, documentId],
    queryFn: () => api.getDocument(ctx.ws, documentId),
    refetchInterval: (query) =>
      query.state.data &&
      (query.state.data.status === 'queued' ||
        query.state.data.status === 'processing' ||
        (query.state.data.vectors !== undefined && query.state.data.vectors.ready < query.state.data.vectors.total))
        ? 1000
        : false,
  });
  const isPdf = doc.data?.mimeType === 'application/pdf';
  const view = isPdf && params.get('view') === 'page' ? 'page' : 'text';
  const current = useQuery({
    queryKey: ['passage', ctx.ws, target],
    enabled: !!target,
    queryFn: () => api.getPassage(ctx.ws, target!),
  });
  const matches = useQuery({
    queryKey: ['matches', ctx.ws, documentId, q],
    enabled: q.trim().length > 0,
    queryFn: ({ signal }) => api.documentMatches(ctx.ws, documentId, q, signal),
    staleTime: 60_000,
  });

  // The window opens around the linked passage; moving to a passage already shown only scrolls.
  const [anchor, setAnchor] = useState(target);
  const loaded = useRef(new Set<string>());
  const onLoaded = useCallback((passages: ReaderPassage[]) => {
    loaded.current = new Set(passages.map((p) => p.id));
  }, []);
  useEffect(() => {
    if (target && !loaded.current.has(target)) setAnchor(target);
  }, [target]);

  const go = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    const passage = next.get('passage');
    navigate(`/w/${ctx.ws}/documents/${documentId}?${next.toString()}${passage ? `#${passageAnchor(passage)}` : ''}`, {
      replace: true,
    });
  };
  const goToMatch = (m: Match) => go({ passage: m.passageId, page: m.page !== null ? String(m.page) : null });

  if (doc.isPending) return <Spinner label="Loading document…" />;
  if (doc.isError) {
    if (doc.error instanceof ApiError && doc.error.status === 404) return <NotFoundScreen what="document" />;
    return <ErrorText error={doc.error} />;
  }
  const d = doc.data;
  const shownPage = pageParam ?? current.data?.page ?? 1;
  const highlight = current.data && current.data.page === shownPage ? current.data.text : null;

  return (
    <section className="reader">
      <p className="breadcrumb small">
        <Link href={`/w/${ctx.ws}`}>Documents</Link> › <span>{d.title || d.filename}</span>
      </p>
      <PageTitle
        actions={
          <a className="button" href={api.downloadUrl(ctx.ws, d.id)} download>
            Download
          </a>
        }
      >
        {d.title || d.filename}
      </PageTitle>
      <details className="reader-details">
        <summary>About this document</summary>
        <DocumentMeta d={d} />
      </details>
      {d.status === 'failed' && d.error ? (
        <p className="error" role="alert">
          Indexing failed: {d.error}
        </p>
      ) : null}

      <div className="reader-toolbar">
        {isPdf ? (
          <div className="segmented-buttons" role="group" aria-label="Show the document as">
            <button type="button" aria-pressed={view === 'text'} onClick={() => go({ view: null })}>
              Text
            </button>
            <button
              type="button"
              aria-pressed={view === 'page'}
              onClick={() => go({ view: 'page', page: String(shownPage) })}
            >
              Page
            </button>
          </div>
        ) : null}
        {q && matches.data ? (
          <MatchNav
            query={q}
            matches={matches.data.matches}
            currentOrdinal={current.data?.ordinal ?? null}
            onGo={goToMatch}
          />
        ) : null}
      </div>
      <ErrorText error={matches.error} />

      {view === 'page' ? (
        <PageView
          ws={ctx.ws}
          documentId={d.id}
          page={shownPage}
          pageCount={d.pageCount ?? null}
          highlight={highlight}
          onPage={(n) => go({ page: String(n) })}
        />
      ) : (
        <TextView
          ws={ctx.ws}
          documentId={d.id}
          anchor={anchor}
          current={target}
          terms={matches.data?.terms ?? []}
          pageWord={pageWord(d.mimeType)}
          version={d.status === 'ready' ? (d.passageCount ?? 0) : -1}
          onLoaded={onLoaded}
        />
      )}
    </section>
  );
}
