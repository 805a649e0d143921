/** Bytes + sniffed type → blocks. Pure: no I/O beyond the bytes given (and the OCR model, read from node_modules). */
import { DOCX_MIME, EPUB_MIME, ODP_MIME, ODS_MIME, ODT_MIME, PPTX_MIME, XLSX_MIME, type SupportedMime } from '../sniff.js';
import { extractCsv } from './csv.js';
import { extractDocx } from './docx.js';
import { extractEmail } from './email.js';
import { extractEpub } from './epub.js';
import { extractHtml } from './html.js';
import { extractImage } from './image.js';
import { extractMarkdown } from './markdown.js';
import { extractOdf } from './odf.js';
import { extractPdf } from './pdf.js';
import { extractPptx } from './pptx.js';
import { extractRtf } from './rtf.js';
import { decodeText, extractPlainText } from './text.js';
import { defaultExtractLimits, ExtractionError, type Extracted, type ExtractHooks, type ExtractLimits } from './types.js';
import { extractXlsx } from './xlsx.js';

export * from './types.js';

async function extractAny(bytes: Uint8Array, mime: SupportedMime | string, limits: ExtractLimits, hooks: ExtractHooks, depth: number): Promise<Extracted> {
  switch (mime) {
    case 'application/pdf':
      return extractPdf(bytes, limits, hooks);
    case DOCX_MIME:
      return extractDocx(bytes, limits);
    case PPTX_MIME:
      return extractPptx(bytes, limits);
    case XLSX_MIME:
      return extractXlsx(bytes, limits);
    case ODT_MIME:
      return extractOdf(bytes, 'text', limits);
    case ODS_MIME:
      return extractOdf(bytes, 'spreadsheet', limits);
    case ODP_MIME:
      return extractOdf(bytes, 'presentation', limits);
    case EPUB_MIME:
      return extractEpub(bytes, limits);
    case 'image/png':
    case 'image/jpeg':
    case 'image/tiff':
    case 'image/webp':
      return extractImage(bytes, mime, limits, hooks);
    case 'message/rfc822':
      // Its attachments come back as files to index as documents of their own (an e-mail in an e-mail is not read).
      if (depth > 0) throw new ExtractionError('an e-mail inside an e-mail is not read');
      return extractEmail(bytes, limits);
    case 'text/csv':
      return extractCsv(bytes, limits);
    case 'application/rtf':
      return extractRtf(bytes, limits);
    case 'text/html':
      return extractHtml(decodeText(bytes));
    case 'text/markdown':
      return extractMarkdown(bytes);
    case 'text/plain':
      return extractPlainText(bytes);
    default:
      throw new ExtractionError(`files of type ${mime} cannot be indexed`);
  }
}

export async function extractDocument(
  bytes: Uint8Array,
  mime: SupportedMime | string,
  limits: ExtractLimits = defaultExtractLimits,
  hooks: ExtractHooks = {},
): Promise<Extracted> {
  if (bytes.byteLength === 0) throw new ExtractionError('the file is empty');
  const result = await extractAny(bytes, mime, limits, hooks, 0);
  const chars = result.blocks.reduce((n, b) => n + b.text.length, 0);
  if (chars > limits.maxTextChars) throw new ExtractionError(`the document holds more than ${limits.maxTextChars} characters of text`);
  if (!result.blocks.some((b) => b.text.trim() !== '')) {
    throw new ExtractionError(
      mime === 'application/pdf'
        ? limits.maxOcrPages > 0
          ? 'no text found in the PDF, not even by text recognition (OCR) of its pictures'
          : 'no text found in the PDF (a scanned PDF needs text recognition, OCR, which is turned off)'
        : mime.startsWith('image/')
          ? 'no text found in the image by text recognition (OCR)'
          : 'no text found in the document',
    );
  }
  return result;
}
