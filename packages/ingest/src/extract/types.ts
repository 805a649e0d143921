/** What every extractor produces: a flat list of blocks in reading order. */
export interface Block {
  kind: 'heading' | 'paragraph' | 'table' | 'code' | 'list';
  text: string;
  /** Heading level 1–6 (headings only). */
  level?: number;
  /** 1-based page number: a PDF's page, a presentation's slide, a spreadsheet's sheet, an image (1). */
  page?: number;
}

export interface Extracted {
  blocks: Block[];
  pageCount?: number;
  title?: string;
  /** Pages whose text was recognised by OCR (not read from a text layer), so the reader can say so. */
  ocrPages?: number[];
  /** Files carried inside this one (an e-mail's attachments) that become documents of their own. */
  attachments?: ExtractedAttachment[];
}

/** A file found inside a document, sniffed as a type Quarry reads, to be stored and indexed on its own. */
export interface ExtractedAttachment {
  filename: string;
  mime: string;
  bytes: Uint8Array;
}

/** What an extractor may report while it works ("OCR page 3 of 40"); never document text. */
export interface ExtractHooks {
  progress?: (message: string) => void;
}

export interface ExtractLimits {
  /** PDFs with more pages fail. */
  maxPages: number;
  /** Extracted text beyond this many characters fails (a bomb in disguise). */
  maxTextChars: number;
  /** A DOCX whose parts inflate beyond this fails before parsing. */
  maxUncompressedBytes: number;
  /** Zip entries beyond this count fail. */
  maxZipEntries: number;
  /** Pages of a PDF recognised by OCR at most (pages beyond keep only their text layer); 0 turns OCR off. */
  maxOcrPages: number;
  /** Images (and rendered pages) larger than this many pixels are refused before decoding. */
  maxImagePixels: number;
  /** Spreadsheet and CSV rows read at most per sheet; the rest are left out and said so. */
  maxRows: number;
  /** E-mail attachments read at most; the rest are listed as not read. */
  maxAttachments: number;
}

export const defaultExtractLimits: ExtractLimits = {
  maxPages: 5_000,
  maxTextChars: 50_000_000,
  maxUncompressedBytes: 256 * 1024 * 1024,
  maxZipEntries: 5_000,
  maxOcrPages: 500,
  // A 600 dpi A4 scan is 35 MP; 40 MP of RGBA is 160 MB, within one extraction process's allowance.
  maxImagePixels: 40_000_000,
  maxRows: 20_000,
  maxAttachments: 50,
};

/**
 * A reason the document cannot be extracted, readable by its owner
 * ("the PDF is password-protected"). Never retried: the bytes will not change.
 */
export class ExtractionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExtractionError';
  }
}
