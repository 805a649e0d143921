/** The search domain's vocabulary: what a caller asks for and what comes back. */

export const searchModes = ['hybrid', 'keyword', 'semantic'] as const;
export type SearchMode = (typeof searchModes)[number];

/**
 * Friendly document types accepted by the `type` filter, each naming the MIME
 * types Quarry stores for it (a full MIME type works too). Every format the
 * ingest pipeline accepts has one, so any document can be filtered to.
 */
export const documentTypes: Readonly<Record<string, readonly string[]>> = {
  pdf: ['application/pdf'],
  docx: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  pptx: ['application/vnd.openxmlformats-officedocument.presentationml.presentation'],
  xlsx: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  csv: ['text/csv'],
  odt: ['application/vnd.oasis.opendocument.text'],
  ods: ['application/vnd.oasis.opendocument.spreadsheet'],
  odp: ['application/vnd.oasis.opendocument.presentation'],
  epub: ['application/epub+zip'],
  email: ['message/rfc822'],
  rtf: ['application/rtf'],
  image: ['image/png', 'image/jpeg', 'image/tiff', 'image/webp'],
  html: ['text/html'],
  markdown: ['text/markdown'],
  text: ['text/plain'],
};

export interface SearchFilters {
  /** Only passages of these documents. */
  documentIds?: string[];
  /** Friendly names (`documentTypes`: `pdf`, `docx`, `image` …) or MIME types. */
  types?: string[];
  /** Documents added at or after this instant. */
  createdFrom?: Date;
  /** Documents added before this instant. */
  createdBefore?: Date;
}

export interface SearchRequest extends SearchFilters {
  workspaceId: string;
  query: string;
  mode?: SearchMode;
  limit?: number;
  cursor?: string;
}

export interface SearchHit {
  documentId: string;
  documentTitle: string;
  passageId: string;
  page: number | null;
  headingPath: string[];
  /** HTML-escaped text in which only `<mark>…</mark>` marks the matches. */
  snippet: string;
  score: number;
}

export interface SearchPage {
  items: SearchHit[];
  mode: SearchMode;
  tookMs: number;
  nextCursor: string | null;
  /**
   * How many passages match, and in how many documents — counted over the whole ranking
   * (first page only; later pages omit it). Ranking stops at `SEARCH_LIMITS.maxDepth`
   * passages, and the dense list of a workspace searched through its HNSW index at
   * `hnswMaxDepth` (100): then `capped` is true and the counts are "at least".
   */
  total?: { passages: number; documents: number; capped: boolean };
  /** True when semantic retrieval was unavailable and hybrid fell back to keywords only. */
  degraded?: boolean;
  /**
   * Where the time went, for the `Server-Timing` header (not part of the JSON body): milliseconds per
   * stage. Stages overlap — the query is embedded while the keyword side runs.
   */
  stages?: SearchStages;
}

export type SearchStage = 'parse' | 'embed' | 'keyword' | 'semantic' | 'fuse' | 'present' | 'count';
export type SearchStages = Partial<Record<SearchStage, number>>;

/** A ranked candidate before presentation. */
export interface Candidate {
  passageId: string;
  score: number;
  /** The passage's document, when the ranking knew it for free (counting documents then needs no query). */
  documentId?: string;
}

/** The caller's input was wrong (maps to HTTP 400). */
export class SearchInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'SearchInputError';
  }
}

/** Semantic retrieval cannot run: no active embedding space or no embedder for it (maps to HTTP 503). */
export class SemanticUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SemanticUnavailableError';
  }
}

export const SEARCH_LIMITS = {
  defaultLimit: 20,
  maxLimit: 100,
  /** Results beyond this rank are not paged to: ranking that deep is noise, and it bounds the work per request. */
  maxDepth: 500,
  maxQueryChars: 2000,
} as const;
