/** Bytes + sniffed type → blocks. Pure: no I/O beyond the bytes given. */
import type { SupportedMime } from '../sniff.js';
import { extractDocx } from './docx.js';
import { extractHtml } from './html.js';
import { extractMarkdown } from './markdown.js';
import { extractPdf } from './pdf.js';
import { decodeText, extractPlainText } from './text.js';
import { defaultExtractLimits, ExtractionError, type Extracted, type ExtractLimits } from './types.js';

export * from './types.js';

export async function extractDocument(bytes: Uint8Array, mime: SupportedMime | string, limits: ExtractLimits = defaultExtractLimits): Promise<Extracted> {
  if (bytes.byteLength === 0) throw new ExtractionError('the file is empty');
  let result: Extracted;
  switch (mime) {
    case 'application/pdf':
      result = await extractPdf(bytes, limits);
      break;
    case 'application/vnd.openxmlformats-officedocument.wordprocessingml.document':
      result = await extractDocx(bytes, limits);
      break;
    case 'text/html':
      result = extractHtml(decodeText(bytes));
      break;
    case 'text/markdown':
      result = extractMarkdown(bytes);
      break;
    case 'text/plain':
      result = extractPlainText(bytes);
      break;
    default:
      throw new ExtractionError(`files of type ${mime} cannot be indexed`);
  }
  const chars = result.blocks.reduce((n, b) => n + b.text.length, 0);
  if (chars > limits.maxTextChars) throw new ExtractionError(`the document holds more than ${limits.maxTextChars} characters of text`);
  if (!result.blocks.some((b) => b.text.trim() !== '')) {
    throw new ExtractionError(
      mime === 'application/pdf'
        ? 'no text found in the PDF (a scanned PDF needs OCR, which Quarry does not do)'
        : 'no text found in the document',
    );
  }
  return result;
}
