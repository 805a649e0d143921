/**
 * A PDF's original page, drawn by pdf.js (pdfjs-dist, its worker bundled by
 * Vite and served by Quarry: nothing from elsewhere), with the current
 * passage's text highlighted on it. The file comes from the document's own
 * download route, once per document and page visit (it is cached here).
 */
import { useEffect, useRef, useState } from 'react';
import type { PDFDocumentProxy } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { api } from '../api/client.js';
import { ErrorText, Spinner } from '../components/common.js';
import { locatePassage } from './pdf-locate.js';
import './reader.css';

const loaded = new Map<string, Promise<PDFDocumentProxy>>();

/** Loads pdf.js on first use (it is not in the main bundle) and the document's bytes once. */
function openPdf(ws: string, documentId: string): Promise<PDFDocumentProxy> {
  const key = `${ws}/${documentId}`;
  let pdf = loaded.get(key);
  if (!pdf) {
    pdf = (async () => {
      const pdfjs = await import('pdfjs-dist');
      pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;
      const res = await fetch(api.downloadUrl(ws, documentId), { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`The PDF could not be loaded (error ${res.status}).`);
      const data = new Uint8Array(await res.arrayBuffer());
      return pdfjs.getDocument({ data, isEvalSupported: false, disableFontFace: false, verbosity: 0 }).promise;
    })();
    pdf.catch(() => loaded.delete(key));
    loaded.set(key, pdf);
  }
  return pdf;
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface PageViewProps {
  ws: string;
  documentId: string;
  page: number;
  pageCount: number | null;
  /** The text to highlight on the page (the current passage's), when it is on this page. */
  highlight: string | null;
  onPage: (page: number) => void;
}

export function PageView({ ws, documentId, page, pageCount, highlight, onPage }: PageViewProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const frame = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<{ status: 'loading' | 'ready' | 'error'; error?: unknown; pages?: number }>({
    status: 'loading',
  });
  const [boxes, setBoxes] = useState<Box[]>([]);
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const [located, setLocated] = useState<boolean | null>(null);

  useEffect(() => {
    let cancelled = false;
    let task: { cancel: () => void } | undefined;
    setState((s) => ({ ...s, status: 'loading' }));
    (async () => {
      const pdf = await openPdf(ws, documentId);
      const p = await pdf.getPage(Math.min(Math.max(1, page), pdf.numPages));
      if (cancelled) return;
      const natural = p.getViewport({ scale: 1 });
      const available = Math.max(240, (frame.current?.clientWidth ?? natural.width) - 2);
      const viewport = p.getViewport({ scale: Math.min(2, available / natural.width) });
      const ratio = window.devicePixelRatio || 1;
      const el = canvas.current!;
      el.width = Math.floor(viewport.width * ratio);
      el.height = Math.floor(viewport.height * ratio);
      setSize({ width: viewport.width, height: viewport.height });
      const render = p.render({
        canvas: el,
        viewport,
        transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined,
      });
      task = render;
      const content = await p.getTextContent();
      const items = content.items as Array<{ str?: string; transform?: number[]; width?: number; height?: number }>;
      const covered = highlight ? locatePassage(items, highlight) : null;
      const found: Box[] = [];
      for (const i of covered ?? []) {
        const item = items[i]!;
        const t = item.transform;
        if (!t) continue;
        const height = item.height || Math.hypot(t[2]!, t[3]!);
        const [x1, y1, x2, y2] = viewport.convertToViewportRectangle([
          t[4]!,
          t[5]!,
          t[4]! + (item.width ?? 0),
          t[5]! + height,
        ]);
        found.push({
          left: Math.min(x1!, x2!),
          top: Math.min(y1!, y2!),
          width: Math.abs(x2! - x1!),
          height: Math.abs(y2! - y1!),
        });
      }
      await render.promise;
      if (cancelled) return;
      setBoxes(found);
      setLocated(highlight ? found.length > 0 : null);
      setState({ status: 'ready', pages: pdf.numPages });
    })().catch((error: unknown) => {
      if (!cancelled && (error as Error)?.name !== 'RenderingCancelledException') setState({ status: 'error', error });
    });
    return () => {
      cancelled = true;
      task?.cancel();
    };
  }, [ws, documentId, page, highlight]);

  // The highlighted passage is what the reader came for: bring it on screen once the page is drawn.
  useEffect(() => {
    if (state.status === 'ready' && boxes.length)
      frame.current?.querySelector('.page-highlight')?.scrollIntoView({ block: 'center' });
  }, [state.status, boxes]);

  const total = state.pages ?? pageCount ?? null;
  return (
    <div className="page-view" data-testid="page-view">
      <div className="page-nav">
        <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
          Previous page
        </button>
        <span aria-live="polite">
          Page {page}
          {total ? ` of ${total}` : ''}
        </span>
        <button type="button" onClick={() => onPage(page + 1)} disabled={total !== null && page >= total}>
          Next page
        </button>
      </div>
      {state.status === 'loading' ? <Spinner label="Drawing the page…" /> : null}
      {state.status === 'error' ? <ErrorText error={state.error} /> : null}
      {located === false ? (
        <p className="muted small">
          The passage’s text could not be found on this page’s text layer (a scanned page has none); it is marked in the
          text view.
        </p>
      ) : null}
      <div className="page-frame" ref={frame} tabIndex={0} role="region" aria-label={`Page ${page}`}>
        <div className="page-canvas" style={size ? { width: size.width, height: size.height } : undefined}>
          <canvas
            ref={canvas}
            style={size ? { width: size.width, height: size.height } : undefined}
            role="img"
            aria-label={`Page ${page} of the original PDF`}
          />
          {boxes.map((b, i) => (
            <span
              key={i}
              className="page-highlight"
              data-testid="page-highlight"
              style={{ left: b.left, top: b.top, width: b.width, height: b.height }}
            />
          ))}
        </div>
      </div>
    </div>
  );
}
