/** What every extractor produces: a flat list of blocks in reading order. */
export interface Block {
  kind: 'heading' | 'paragraph' | 'table' | 'code' | 'list';
  text: string;
  /** Heading level 1–6 (headings only). */
  level?: number;
  /** 1-based page number (PDF only). */
  page?: number;
}

export interface Extracted {
  blocks: Block[];
  pageCount?: number;
  title?: string;
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
}

export const defaultExtractLimits: ExtractLimits = {
  maxPages: 5_000,
  maxTextChars: 50_000_000,
  maxUncompressedBytes: 256 * 1024 * 1024,
  maxZipEntries: 5_000,
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
