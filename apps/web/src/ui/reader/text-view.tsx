/**
 * The document's text, a window of passages at a time: it opens at the start,
 * or around the passage a link names (scrolled into view and highlighted,
 * with its neighbours around it), and loads more above and below as the
 * reader scrolls. Each passage is addressable as `#p-<passageId>`.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { memo, useEffect, useMemo, useRef } from 'react';
import { api } from '../api/client.js';
import type { ReaderPassage, ReaderWindow } from '../api/contract.js';
import { ErrorText, Spinner } from '../components/common.js';
import { passageAnchor } from '../passage-links.js';
import { layOut, markTerms, type LaidOutPassage } from './layout.js';
import './reader.css';

/** The first window is small (first paint); later ones larger (fewer round trips while scrolling). */
const FIRST_WINDOW = 40;
const NEXT_WINDOW = 120;

type WindowParam = { after?: number; before?: number; around?: string; limit: number };

export interface TextViewProps {
  ws: string;
  documentId: string;
  /** The passage the window opens around (from the link), if any. */
  anchor: string | null;
  /** The passage shown as current (highlighted, scrolled into view). */
  current: string | null;
  terms: string[];
  pageWord: string;
  /** Changes when the document's passages do (re-indexed): the window is read again. */
  version: number;
  /** Tells the screen which passages are loaded (match navigation jumps within them). */
  onLoaded?: (passages: ReaderPassage[]) => void;
}

export function TextView({ ws, documentId, anchor, current, terms, pageWord, version, onLoaded }: TextViewProps) {
  const reader = useInfiniteQuery({
    queryKey: ['reader', ws, documentId, anchor, version],
    initialPageParam: (anchor
      ? { around: anchor, limit: FIRST_WINDOW }
      : { after: -1, limit: FIRST_WINDOW }) as WindowParam,
    queryFn: ({ pageParam, signal }) => api.documentPassages(ws, documentId, pageParam, signal),
    getNextPageParam: (last: ReaderWindow): WindowParam | undefined =>
      last.hasAfter && last.items.length
        ? { after: last.items[last.items.length - 1]!.ordinal, limit: NEXT_WINDOW }
        : undefined,
    getPreviousPageParam: (first: ReaderWindow): WindowParam | undefined =>
      first.hasBefore && first.items.length ? { before: first.items[0]!.ordinal, limit: NEXT_WINDOW } : undefined,
    staleTime: 60_000,
  });
  const passages = useMemo(() => reader.data?.pages.flatMap((p) => p.items) ?? [], [reader.data]);
  const laidOut = useMemo(() => layOut(passages), [passages]);
  useEffect(() => onLoaded?.(passages), [passages, onLoaded]);

  // Scroll the current passage into view once it is rendered (and again whenever it changes).
  const scrolledTo = useRef<string | null>(null);
  useEffect(() => {
    if (!current || scrolledTo.current === current) return;
    const el = document.getElementById(passageAnchor(current));
    if (!el) return;
    scrolledTo.current = current;
    el.scrollIntoView({ block: 'center' });
    el.focus({ preventScroll: true });
  }, [current, laidOut]);

  const top = useRef<HTMLDivElement>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const { hasNextPage, hasPreviousPage, isFetchingNextPage, isFetchingPreviousPage, fetchNextPage, fetchPreviousPage } =
    reader;
  useEffect(() => {
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          // Above: only after the current passage has been scrolled to (else the window grows before it is shown).
          if (
            entry.target === top.current &&
            hasPreviousPage &&
            !isFetchingPreviousPage &&
            (!current || scrolledTo.current === current)
          )
            void fetchPreviousPage();
          if (entry.target === bottom.current && hasNextPage && !isFetchingNextPage) void fetchNextPage();
        }
      },
      { rootMargin: '1200px 0px' },
    );
    if (top.current) observer.observe(top.current);
    if (bottom.current) observer.observe(bottom.current);
    return () => observer.disconnect();
  }, [
    hasNextPage,
    hasPreviousPage,
    isFetchingNextPage,
    isFetchingPreviousPage,
    fetchNextPage,
    fetchPreviousPage,
    current,
    laidOut,
  ]);

  if (reader.isPending) return <Spinner label="Loading the text…" />;
  if (reader.isError) return <ErrorText error={reader.error} />;
  if (passages.length === 0)
    return <p className="muted card">This document has no text yet. It appears here once it has been indexed.</p>;

  return (
    <div className="reader-text" data-testid="reader-text">
      <div ref={top} aria-hidden="true" />
      {hasPreviousPage ? (
        <button
          type="button"
          className="link-button small"
          onClick={() => void fetchPreviousPage()}
          disabled={isFetchingPreviousPage}
        >
          {isFetchingPreviousPage ? 'Loading earlier text…' : 'Show earlier text'}
        </button>
      ) : null}
      {laidOut.map((item) => (
        <PassageBlock
          key={item.passage.id}
          item={item}
          current={item.passage.id === current}
          terms={terms}
          pageWord={pageWord}
        />
      ))}
      <div ref={bottom} aria-hidden="true" />
      {hasNextPage ? (
        <button
          type="button"
          className="link-button small"
          onClick={() => void fetchNextPage()}
          disabled={isFetchingNextPage}
        >
          {isFetchingNextPage ? 'Loading more text…' : 'Show more text'}
        </button>
      ) : (
        <p className="muted small reader-end">End of document.</p>
      )}
    </div>
  );
}

const Marked = ({ text, terms }: { text: string; terms: string[] }) => (
  <>{markTerms(text, terms).map((part, i) => (part.mark ? <mark key={i}>{part.text}</mark> : part.text))}</>
);

const PassageBlock = memo(function PassageBlock({
  item,
  current,
  terms,
  pageWord,
}: {
  item: LaidOutPassage;
  current: boolean;
  terms: string[];
  pageWord: string;
}) {
  const id = item.passage.id;
  return (
    <>
      {item.pageBreak !== undefined ? (
        <div className="page-break" role="separator" aria-label={`${pageWord} ${item.pageBreak}`}>
          <span>
            {pageWord} {item.pageBreak}
          </span>
        </div>
      ) : null}
      {item.headings.map((h) => {
        const Tag = `h${Math.min(6, h.level + 1)}` as 'h2';
        return (
          <Tag key={`${h.level}-${h.text}`} className="reader-heading">
            <Marked text={h.text} terms={terms} />
          </Tag>
        );
      })}
      <div
        id={passageAnchor(id)}
        className={`reader-passage${current ? ' current' : ''}`}
        data-testid={current ? 'passage' : undefined}
        data-passage-id={id}
        tabIndex={current ? -1 : undefined}
        aria-current={current ? 'location' : undefined}
      >
        {item.segments.map((segment, i) =>
          segment.kind === 'table' ? (
            <div className="table-scroll" key={i} tabIndex={0} role="region" aria-label="Table">
              <table>
                <tbody>
                  {segment.rows.map((row, r) => (
                    <tr key={r}>
                      {row.map((cell, c) => (
                        <td key={c}>
                          <Marked text={cell} terms={terms} />
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p key={i}>
              <Marked text={segment.text} terms={terms} />
            </p>
          ),
        )}
      </div>
    </>
  );
});
