/**
 * PDF text per page with unpdf (pdf.js). The page count is checked before
 * any page is read; fonts, eval and images are never loaded.
 */
import { getDocumentProxy } from 'unpdf';
import { isSparse, ocrPdfPages } from './pdf-ocr.js';
import { removeRunningLines } from './running-lines.js';
import { paragraphs } from './text.js';
import { ExtractionError, type Block, type Extracted, type ExtractHooks, type ExtractLimits } from './types.js';

interface TextItem {
  str?: string;
  hasEOL?: boolean;
}

export async function extractPdf(bytes: Uint8Array, limits: ExtractLimits, hooks: ExtractHooks = {}): Promise<Extracted> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // No eval (CVE-2024-4367 class of bugs), no fonts, quiet.
    const params = { isEvalSupported: false, disableFontFace: true, useSystemFonts: false, stopAtErrors: false, verbosity: 0 };
    pdf = await getDocumentProxy(new Uint8Array(bytes), params as Parameters<typeof getDocumentProxy>[1]);
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'PasswordException') throw new ExtractionError('the PDF is password-protected; upload an unprotected copy');
    if (name === 'InvalidPDFException') throw new ExtractionError('the PDF is damaged or incomplete and cannot be read');
    throw new ExtractionError(`the PDF cannot be read (${(error as Error).message?.slice(0, 120) ?? 'unknown error'})`);
  }
  try {
    const pageCount = pdf.numPages;
    if (pageCount > limits.maxPages) {
      throw new ExtractionError(`the PDF has ${pageCount} pages; at most ${limits.maxPages} are indexed`);
    }
    let blocks: Block[] = [];
    let chars = 0;
    // Pages with (almost) no text layer: recognised by OCR, once every text layer is read, if they show an image.
    const sparse: number[] = [];
    const texts: string[] = [];
    for (let n = 1; n <= pageCount; n++) {
      let page: Awaited<ReturnType<typeof pdf.getPage>>;
      let content: Awaited<ReturnType<typeof page.getTextContent>>;
      try {
        page = await pdf.getPage(n);
        content = await page.getTextContent();
      } catch (error) {
        // Deterministic for these bytes (a page tree that loops, a broken content stream): never worth a retry.
        throw new ExtractionError(`page ${n} of the PDF cannot be read (${(error as Error).message?.slice(0, 120) ?? 'unknown error'})`);
      }
      let text = '';
      for (const item of content.items as TextItem[]) {
        if (typeof item.str === 'string') text += item.str;
        if (item.hasEOL) text += '\n';
      }
      page.cleanup();
      if (isSparse(text) && sparse.length < limits.maxOcrPages) sparse.push(n);
      chars += text.length;
      if (chars > limits.maxTextChars) throw new ExtractionError(`the PDF holds more than ${limits.maxTextChars} characters of text`);
      texts.push(text);
    }
    // Running headers and footers go before paragraphs are formed (they repeat on every page: noise in search).
    for (const [i, text] of removeRunningLines(texts).entries()) {
      // Re-join words hyphenated across lines, then lines within a paragraph.
      const clean = text.replace(/(\p{L})-\n(\p{Ll})/gu, '$1$2');
      for (const block of paragraphs(clean, { page: i + 1 })) {
        // Every whitespace run holding a line break becomes one space (`/\s*\n\s*/` is quadratic on long runs of spaces).
        block.text = block.text.replace(/\s+/g, (run) => (run.includes('\n') ? ' ' : run));
        blocks.push(block);
      }
    }
    const recognised = await ocrPdfPages(bytes, sparse, limits, hooks);
    // A recognised page's text replaces what little its text layer held (a stray page number).
    if (recognised.size > 0) blocks = [...blocks.filter((b) => !recognised.has(b.page!)), ...[...recognised.values()].flat()].sort((a, b) => a.page! - b.page!);
    const info = (await pdf.getMetadata().catch(() => undefined))?.info as { Title?: unknown } | undefined;
    const title = typeof info?.Title === 'string' && info.Title.trim() ? info.Title.trim() : undefined;
    return { blocks, pageCount, title, ...(recognised.size > 0 ? { ocrPages: [...recognised.keys()] } : {}) };
  } finally {
    const loose = pdf as unknown as { destroy?: () => Promise<void>; cleanup?: () => Promise<void> };
    await (loose.destroy ?? loose.cleanup)?.call(pdf).catch(() => {});
  }
}
