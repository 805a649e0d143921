/**
 * The pages of a PDF that have no text layer (a scan, a photo of a page),
 * rendered with pdf.js onto a Skia canvas (@napi-rs/canvas: prebuilt binaries
 * from npm, no download, no system libraries) and recognised by OCR, one page
 * at a time, so only one page's pixels are ever held.
 *
 * Only pages that paint an image are recognised: a page without one is blank
 * or drawn with vectors. Pages are rendered at 200 dpi (Tesseract reads 10-point text well from
 * ~150 dpi up), smaller when a page is so large that its pixels would pass the
 * image limit.
 */
import { createIsomorphicCanvasFactory, getDocumentProxy, getResolvedPDFJS } from 'unpdf';
import { ocrBlocks } from './image.js';
import { ensureArrayBufferTransfer } from './node-compat.js';
import { startOcr, type OcrEngine } from './ocr.js';
import { ExtractionError, type Block, type ExtractHooks, type ExtractLimits } from './types.js';

/** A page with fewer letters or digits than this in its text layer is treated as having none. */
export const SPARSE_PAGE_CHARS = 16;

const RENDER_DPI = 200;

export function isSparse(text: string): boolean {
  let n = 0;
  for (const ch of text) if (/[\p{L}\p{N}]/u.test(ch) && ++n >= SPARSE_PAGE_CHARS) return false;
  return true;
}

interface CanvasAndContext {
  canvas: { encode(format: 'png'): Promise<Buffer> };
  context: { fillStyle: string; fillRect(x: number, y: number, w: number, h: number): void };
}

type Factory = new () => { create(w: number, h: number): CanvasAndContext; destroy(c: CanvasAndContext): void };

type Pdf = Awaited<ReturnType<typeof getDocumentProxy>>;

/** pdf.js operators that paint an image: a page without one is blank or vector art, not a scan. */
async function imageOperators(): Promise<Set<number>> {
  const { OPS } = (await getResolvedPDFJS()) as unknown as { OPS: Record<string, number> };
  const names = ['paintImageXObject', 'paintInlineImageXObject', 'paintImageMaskXObject', 'paintImageXObjectRepeat', 'paintImageMaskXObjectRepeat', 'paintInlineImageXObjectGroup', 'paintImageMaskXObjectGroup'];
  return new Set(names.map((n) => OPS[n]).filter((op): op is number => typeof op === 'number'));
}

/** One page as a PNG; undefined for a page that paints no image (nothing to recognise) or is too small to hold text. */
async function renderPage(pdf: Pdf, n: number, CanvasFactory: Factory, limits: ExtractLimits, images: Set<number>): Promise<Buffer | undefined> {
  const page = await pdf.getPage(n);
  try {
    // The operator list is what rendering draws from (pdf.js keeps it for the render below).
    const ops = await page.getOperatorList();
    if (!ops.fnArray.some((op) => images.has(op))) return undefined;
    const base = page.getViewport({ scale: 1 });
    let scale = RENDER_DPI / 72;
    const pixels = base.width * base.height * scale * scale;
    if (pixels > limits.maxImagePixels) scale *= Math.sqrt(limits.maxImagePixels / pixels);
    const viewport = page.getViewport({ scale });
    if (viewport.width < 8 || viewport.height < 8) return undefined;
    const factory = new CanvasFactory();
    const drawing = factory.create(Math.ceil(viewport.width), Math.ceil(viewport.height));
    try {
      // A scan drawn onto a transparent canvas reads as black on black once flattened: paint the paper first.
      drawing.context.fillStyle = '#ffffff';
      drawing.context.fillRect(0, 0, Math.ceil(viewport.width), Math.ceil(viewport.height));
      await page.render({ canvas: drawing.canvas, canvasContext: drawing.context, viewport } as unknown as Parameters<typeof page.render>[0]).promise;
      return await drawing.canvas.encode('png');
    } catch (error) {
      throw new ExtractionError(`page ${n} of the PDF cannot be drawn for OCR (${(error as Error).message?.slice(0, 120) ?? 'unknown error'})`);
    } finally {
      factory.destroy(drawing);
    }
  } finally {
    page.cleanup();
  }
}

/** Renders `pages` of the PDF and recognises their text. Returns blocks per page, in page order. */
export async function ocrPdfPages(bytes: Uint8Array, pages: number[], limits: ExtractLimits, hooks: ExtractHooks = {}): Promise<Map<number, Block[]>> {
  const out = new Map<number, Block[]>();
  if (pages.length === 0) return out;
  const CanvasFactory = (await createIsomorphicCanvasFactory(() => import('@napi-rs/canvas'))) as unknown as Factory;
  ensureArrayBufferTransfer();
  const params = { isEvalSupported: false, disableFontFace: true, useSystemFonts: false, stopAtErrors: false, verbosity: 0, CanvasFactory };
  const pdf = await getDocumentProxy(new Uint8Array(bytes), params as Parameters<typeof getDocumentProxy>[1]);
  const images = await imageOperators();
  let ocr: OcrEngine | undefined;
  try {
    for (const [i, n] of pages.entries()) {
      hooks.progress?.(`OCR page ${i + 1} of ${pages.length}`);
      const png = await renderPage(pdf, n, CanvasFactory, limits, images);
      if (!png) continue;
      ocr ??= await startOcr();
      const { text } = await ocr.recognize(png);
      out.set(n, ocrBlocks(text, n));
    }
  } finally {
    await ocr?.close();
    await (pdf as unknown as { destroy?: () => Promise<void> }).destroy?.call(pdf).catch(() => {});
  }
  return out;
}
