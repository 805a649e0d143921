/**
 * One document, and — when opened from a search hit or a citation — the
 * passage in its context: document, page, heading path and text.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'wouter';
import { ApiError, api } from '../api/client.js';
import { ErrorText, PageTitle, Spinner, formatBytes, formatDate } from '../components/common.js';
import { NotFoundScreen } from '../components/not-found.js';
import type { PassageLinkState } from '../passage-links.js';
import type { WorkspaceContext } from '../workspace/context.js';

export function DocumentScreen({ ctx, documentId }: { ctx: WorkspaceContext; documentId: string }) {
  const [params] = useSearchParams();
  const passageId = params.get('passage');
  const pageParam = params.get('page');
  const linkState = (history.state ?? {}) as PassageLinkState;
  const doc = useQuery({
    queryKey: ['document', ctx.ws, documentId],
    queryFn: () => api.getDocument(ctx.ws, documentId),
    refetchInterval: (q) =>
      q.state.data &&
      (q.state.data.status === 'queued' ||
        q.state.data.status === 'processing' ||
        (q.state.data.vectors !== undefined && q.state.data.vectors.ready < q.state.data.vectors.total))
        ? 1000
        : false,
  });
  const passage = useQuery({
    queryKey: ['passage', ctx.ws, passageId],
    enabled: !!passageId,
    queryFn: () => api.getPassage(ctx.ws, passageId!),
  });
  const passageRef = useRef<HTMLElement>(null);
  useEffect(() => {
    if (passageId && (passage.data || passage.isError)) passageRef.current?.focus();
  }, [passageId, passage.data, passage.isError]);

  if (doc.isPending) return <Spinner label="Loading document…" />;
  if (doc.isError) {
    if (doc.error instanceof ApiError && doc.error.status === 404) return <NotFoundScreen what="document" />;
    return <ErrorText error={doc.error} />;
  }
  const d = doc.data;
  const page = passage.data?.page ?? (pageParam ? Number(pageParam) : null);
  const headingPath = passage.data?.headingPath ?? linkState.headingPath ?? null;
  const text = passage.data?.text ?? linkState.passageText;

  return (
    <section>
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
      <dl className="meta card">
        <div>
          <dt>File</dt>
          <dd>{d.filename}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <span className={`status status-${d.status}`}>{d.status}</span>
            {d.status === 'failed' && d.error ? <span className="error small"> {d.error}</span> : null}
          </dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>{formatBytes(d.sizeBytes)}</dd>
        </div>
        {d.pageCount ? (
          <div>
            <dt>Pages</dt>
            <dd>{d.pageCount}</dd>
          </div>
        ) : null}
        {d.passageCount ? (
          <div>
            <dt>Passages</dt>
            <dd>{d.passageCount}</dd>
          </div>
        ) : null}
        {d.vectors && d.vectors.total > 0 ? (
          <div>
            <dt>Semantic index</dt>
            <dd>
              {d.vectors.ready === d.vectors.total
                ? 'complete'
                : `${d.vectors.ready} of ${d.vectors.total} passages (keyword search already works)`}
            </dd>
          </div>
        ) : null}
        {d.createdAt ? (
          <div>
            <dt>Added</dt>
            <dd>{formatDate(d.createdAt)}</dd>
          </div>
        ) : null}
      </dl>

      {passageId ? (
        <article
          className="passage card"
          ref={passageRef}
          tabIndex={-1}
          aria-labelledby="passage-heading"
          data-testid="passage"
        >
          <h2 id="passage-heading">Passage</h2>
          <p className="muted small">
            {page !== null && !Number.isNaN(page) ? `Page ${page}` : 'No page number'}
            {headingPath?.length ? ` · ${headingPath.join(' › ')}` : ''}
          </p>
          {passage.isPending ? <Spinner label="Loading passage…" /> : null}
          {text ? <blockquote className="passage-text">{text}</blockquote> : null}
          {passage.isError && !text ? <ErrorText error={passage.error} /> : null}
        </article>
      ) : null}
    </section>
  );
}
