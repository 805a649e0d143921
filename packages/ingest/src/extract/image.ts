/**
 * PNG, JPEG, TIFF and WebP images as documents: their text recognised by OCR
 * (see ocr.ts), as one page. The pixel size is read from the file's header
 * and checked before anything decodes it: a 20,000 × 20,000 image is 1.6 GB
 * of pixels once decoded, and would only meet the memory limit half-way.
 */
import { paragraphs } from './text.js';
import { startOcr } from './ocr.js';
import { ExtractionError, type Extracted, type ExtractHooks, type ExtractLimits } from './types.js';

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/tiff' | 'image/webp';

export interface ImageSize {
  width: number;
  height: number;
}

const u16 = (b: Uint8Array, at: number, le: boolean) => (le ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!);
const u32 = (b: Uint8Array, at: number, le: boolean) => (le ? u16(b, at, true) + u16(b, at + 2, true) * 65536 : u16(b, at, false) * 65536 + u16(b, at + 2, false));

function pngSize(b: Uint8Array): ImageSize | undefined {
  // Signature (8), IHDR length (4), "IHDR" (4), width, height.
  if (b.length < 24) return undefined;
  return { width: u32(b, 16, false), height: u32(b, 20, false) };
}

function jpegSize(b: Uint8Array): ImageSize | undefined {
  // Walk the segments to the first start-of-frame marker (SOF0–SOF15 except DHT, JPG, DAC). Bounded: each step advances.
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: u16(b, at + 5, false), width: u16(b, at + 7, false) };
    }
    const length = u16(b, at + 2, false);
    if (length < 2) return undefined;
    at += 2 + length;
  }
  return undefined;
}

function webpSize(b: Uint8Array): ImageSize | undefined {
  if (b.length < 30) return undefined;
  const chunk = String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!);
  if (chunk === 'VP8 ') return { width: u16(b, 26, true) & 0x3fff, height: u16(b, 28, true) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = u32(b, 21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: 1 + (b[24]! | (b[25]! << 8) | (b[26]! << 16)), height: 1 + (b[27]! | (b[28]! << 8) | (b[29]! << 16)) };
  return undefined;
}

function tiffSize(b: Uint8Array): ImageSize | undefined {
  const le = b[0] === 0x49;
  const ifd = u32(b, 4, le);
  if (ifd + 2 > b.length) return undefined;
  const count = Math.min(u16(b, ifd, le), 512);
  let width: number | undefined;
  let height: number | undefined;
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + i * 12;
    if (at + 12 > b.length) break;
    const tag = u16(b, at, le);
    const type = u16(b, at + 2, le);
    const value = type === 3 ? u16(b, at + 8, le) : u32(b, at + 8, le);
    if (tag === 256) width = value;
    if (tag === 257) height = value;
  }
  return width && height ? { width, height } : undefined;
}

/** The image's pixel size from its header, or undefined when the header cannot be read. */
export function imageSize(bytes: Uint8Array, mime: ImageMime): ImageSize | undefined {
  switch (mime) {
    case 'image/png':
      return pngSize(bytes);
    case 'image/jpeg':
      return jpegSize(bytes);
    case 'image/webp':
      return webpSize(bytes);
    case 'image/tiff':
      return tiffSize(bytes);
  }
}

/** Throws unless the image's header gives a size within the pixel limit. */
export function checkImageSize(bytes: Uint8Array, mime: ImageMime, limits: ExtractLimits): ImageSize {
  const size = imageSize(bytes, mime);
  if (!size || size.width < 1 || size.height < 1) throw new ExtractionError('the image is damaged (its size cannot be read)');
  if (size.width * size.height > limits.maxImagePixels) {
    throw new ExtractionError(
      `the image is ${size.width} × ${size.height} pixels; images of at most ${Math.round(limits.maxImagePixels / 1e6)} megapixels are read`,
    );
  }
  return size;
}

/** Recognised text as paragraphs of page `page`: OCR output keeps a line per line, a blank line between paragraphs. */
export function ocrBlocks(text: string, page: number) {
  return paragraphs(text.replace(/\r\n?/g, '\n'), { page }).map((b) => ({ ...b, text: b.text.replace(/\s*\n\s*/g, ' ') }));
}

export async function extractImage(bytes: Uint8Array, mime: ImageMime, limits: ExtractLimits, hooks: ExtractHooks = {}): Promise<Extracted> {
  checkImageSize(bytes, mime, limits);
  if (limits.maxOcrPages < 1) throw new ExtractionError('text recognition (OCR) is turned off, so images cannot be indexed');
  hooks.progress?.('OCR page 1 of 1');
  const ocr = await startOcr();
  try {
    const { text } = await ocr.recognize(bytes);
    return { blocks: ocrBlocks(text, 1), pageCount: 1, ocrPages: [1] };
  } catch (error) {
    if (error instanceof ExtractionError) throw error;
    throw new ExtractionError(`the image cannot be read (${String((error as Error)?.message ?? error).slice(0, 120)})`);
  } finally {
    await ocr.close();
  }
}
