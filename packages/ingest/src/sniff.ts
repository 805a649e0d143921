/**
 * Judges a file's type by its bytes, not its name: PDF (`%PDF-`), images
 * (PNG, JPEG, TIFF, WebP signatures; read by OCR), zip-based documents (DOCX,
 * PPTX, XLSX by the part names inside; OpenDocument and EPUB by their stored
 * `mimetype` entry), RFC 822 e-mail (a header block with `From:`), RTF (`{\rtf`), HTML,
 * Markdown, CSV, plain text (valid UTF-8 without control bytes). Anything
 * else is unsupported.
 *
 * Works on a stream's first bytes (`sniffHead`) plus a running scan for the
 * zip markers (`ZipMarkerScanner`), so uploads are judged without buffering.
 */
export const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' as const;
export const PPTX_MIME = 'application/vnd.openxmlformats-officedocument.presentationml.presentation' as const;
export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' as const;
export const ODT_MIME = 'application/vnd.oasis.opendocument.text' as const;
export const ODS_MIME = 'application/vnd.oasis.opendocument.spreadsheet' as const;
export const ODP_MIME = 'application/vnd.oasis.opendocument.presentation' as const;
export const EPUB_MIME = 'application/epub+zip' as const;

export type ZipMime = typeof DOCX_MIME | typeof PPTX_MIME | typeof XLSX_MIME | typeof ODT_MIME | typeof ODS_MIME | typeof ODP_MIME | typeof EPUB_MIME;
export type ImageMime = 'image/png' | 'image/jpeg' | 'image/tiff' | 'image/webp';
export type TextMime = 'text/html' | 'text/markdown' | 'text/plain' | 'text/csv' | 'message/rfc822' | 'application/rtf';

export type SupportedMime = 'application/pdf' | ZipMime | ImageMime | TextMime;

export type HeadVerdict =
  | { kind: 'pdf'; mime: 'application/pdf' }
  // Which document the zip is, the scanner says once it has seen the archive (`mime` here is only a guess).
  | { kind: 'zip'; mime: ZipMime }
  | { kind: 'image'; mime: ImageMime }
  | { kind: 'text'; mime: TextMime }
  | { kind: 'unsupported'; reason: string };

/** How many leading bytes `sniffHead` wants. */
export const SNIFF_BYTES = 8192;

const startsWith = (buf: Buffer, sig: number[], at = 0) => sig.every((b, i) => buf[at + i] === b);

const IMAGE_SIGNATURES: Array<[ImageMime, number[]]> = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/tiff', [0x49, 0x49, 0x2a, 0x00]],
  ['image/tiff', [0x4d, 0x4d, 0x00, 0x2a]],
];

const BINARY_SIGNATURES: Array<[string, number[]]> = [
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a gzip archive', [0x1f, 0x8b]],
  ['an old-format (.doc) or password-protected Office file', [0xd0, 0xcf, 0x11, 0xe0]],
  ['an executable', [0x7f, 0x45, 0x4c, 0x46]],
  ['an executable', [0x4d, 0x5a]],
  ['a RAR archive', [0x52, 0x61, 0x72, 0x21]],
  ['a 7-Zip archive', [0x37, 0x7a, 0xbc, 0xaf]],
];

/** Length of the valid UTF-8 prefix; `complete` is false only for a multi-byte sequence cut at the end. */
function utf8Valid(buf: Buffer, final: boolean): boolean {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    let n: number;
    if (b < 0x80) n = 0;
    else if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) n = 2;
    else if (b >= 0xf0 && b <= 0xf4) n = 3;
    else return false;
    if (i + n >= buf.length) return final ? i + n < buf.length : true;
    for (let k = 1; k <= n; k++) if ((buf[i + k]! & 0xc0) !== 0x80) return false;
    i += n + 1;
  }
  return true;
}

/** True when the bytes look like text: UTF-8, no NUL, few control characters. */
export function looksLikeText(buf: Buffer, final: boolean): boolean {
  if (buf.includes(0)) return false;
  if (!utf8Valid(buf, final)) return false;
  let controls = 0;
  for (const b of buf) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) controls++;
  return controls <= Math.max(2, buf.length / 1000);
}

// Every test below runs in time linear in the head (≤ SNIFF_BYTES): the regular expressions left are anchored
// or bounded; the ones that backtracked (`(<!--[\s\S]*?-->\s*)*` exponentially) are loops.
const HTML_ANY = /<(html|head|body|title|meta|div|p|h[1-6]|table|article|section)[\s>]/i;
const HTML_TAG = /^(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i;
const MD_HEADING = /^#{1,6}[ \t]+\S/m;
const MD_LIST_ITEM = /^[-*+][ \t]+\S/;
const isSpace = (ch: string | undefined) => ch !== undefined && /\s/.test(ch);

/** Leading whitespace, then comments, then `<!doctype html`, `<html`, `<head` or `<body`. */
function startsLikeHtml(text: string): boolean {
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && isSpace(text[i])) i++;
  };
  skipSpace();
  while (text.startsWith('<!--', i)) {
    const end = text.indexOf('-->', i + 4);
    if (end === -1) return false;
    i = end + 3;
    skipSpace();
  }
  return HTML_TAG.test(text.slice(i, i + 256));
}

/** Lines of the head (any line break), for the line-based Markdown hints. */
const linesOf = (text: string) => text.split(/\r\n|\r|\n|\u2028|\u2029/);

/** A non-blank line starting with a non-space, underlined by a line of only `=` or only `-`. */
function hasSetextHeading(lines: string[]): boolean {
  for (let n = 0; n + 1 < lines.length; n++) {
    if (!lines[n] || isSpace(lines[n]![0])) continue;
    const next = lines[n + 1]!;
    let end = next.length;
    while (end > 0 && (next[end - 1] === ' ' || next[end - 1] === '\t')) end--;
    const under = next.slice(0, end);
    if (under && (/^=+$/.test(under) || /^-+$/.test(under))) return true;
  }
  return false;
}

/** A fence, a list item followed (anywhere later) by a link, an inline link, or a `| … |` table row. */
function hasOtherMarkdown(text: string, lines: string[]): boolean {
  let offset = 0;
  let listAt = -1;
  for (const line of lines) {
    if (line.startsWith('```') || line.startsWith('~~~')) return true;
    if (line.length >= 2 && line[0] === '|' && line.trimEnd().endsWith('|') && line.trimEnd().length >= 2) return true;
    if (listAt === -1) {
      const indent = line.length - line.trimStart().length;
      if (MD_LIST_ITEM.test(line.slice(indent, indent + 256))) listAt = offset + indent;
    }
    offset += line.length + 1;
  }
  if (listAt !== -1 && text.indexOf('](', listAt + 2) !== -1) return true;
  return hasInlineLink(text);
}

/** `[text](target)`: no line break inside the brackets, no space or `)` inside the target. */
function hasInlineLink(text: string): boolean {
  // The first ')' or space at or after a position, remembered (positions only grow): each character is scanned once.
  let stop = -1;
  for (let i = text.indexOf('['); i !== -1; ) {
    let j = i + 1;
    while (j < text.length && text[j] !== ']' && text[j] !== '\n') j++;
    if (text[j] === ']' && j > i + 1 && text[j + 1] === '(') {
      if (stop < j + 2) {
        stop = j + 2;
        while (stop < text.length && text[stop] !== ')' && !isSpace(text[stop])) stop++;
      }
      if (text[stop] === ')' && stop > j + 2) return true;
    }
    // Any '[' before j reaches the same j: skip them.
    i = text.indexOf('[', Math.max(i + 1, j));
  }
  return false;
}

/** Header lines of RFC 822 / 5322: a name of printable ASCII without spaces or colon, then a colon. */
const HEADER_LINE = /^[!-9;-~]{1,76}:/;
const EMAIL_HEADERS = new Set(['from', 'to', 'cc', 'subject', 'date', 'message-id', 'mime-version', 'received', 'return-path', 'reply-to', 'content-type']);

/**
 * An e-mail: the text opens with a block of header lines (continuations allowed) ending in a blank line, holding
 * `From:` and at least one more of the usual headers. Bounded: at most 200 lines of the head are looked at.
 */
function looksLikeEmail(text: string): boolean {
  const lines = linesOf(text.slice(0, SNIFF_BYTES));
  const seen = new Set<string>();
  for (let n = 0; n < Math.min(lines.length, 200); n++) {
    const line = lines[n]!;
    if (line === '') return n > 0 && seen.has('from') && seen.size >= 2;
    if (line[0] === ' ' || line[0] === '\t') {
      if (n === 0) return false;
      continue;
    }
    if (!HEADER_LINE.test(line)) return false;
    const name = line.slice(0, line.indexOf(':')).toLowerCase();
    if (EMAIL_HEADERS.has(name)) seen.add(name);
  }
  return false;
}

/**
 * Classifies a file from its first bytes. `filename` only breaks the tie
 * between Markdown and plain text; it never makes bytes acceptable.
 */
export function sniffHead(head: Buffer, options: { final: boolean; filename?: string }): HeadVerdict {
  if (head.length === 0) return { kind: 'unsupported', reason: 'the file is empty' };
  // %PDF- may follow a little junk (the spec allows it within the first 1024 bytes).
  const pdfAt = head.subarray(0, 1024).indexOf('%PDF-');
  if (pdfAt >= 0) return { kind: 'pdf', mime: 'application/pdf' };
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return { kind: 'zip', mime: DOCX_MIME };
  for (const [mime, sig] of IMAGE_SIGNATURES) if (startsWith(head, sig)) return { kind: 'image', mime };
  // RIFF....WEBP
  if (startsWith(head, [0x52, 0x49, 0x46, 0x46]) && startsWith(head, [0x57, 0x45, 0x42, 0x50], 8)) return { kind: 'image', mime: 'image/webp' };
  for (const [what, sig] of BINARY_SIGNATURES) {
    if (startsWith(head, sig)) return { kind: 'unsupported', reason: `the file is ${what}` };
  }
  let body = head;
  if (startsWith(body, [0xef, 0xbb, 0xbf])) body = body.subarray(3);
  if (startsWith(body, [0xff, 0xfe]) || startsWith(body, [0xfe, 0xff])) {
    return { kind: 'unsupported', reason: 'UTF-16 text is not supported; save the file as UTF-8' };
  }
  // Before the text check: RTF is 7-bit text, but `\binN` may carry raw bytes (pictures) anywhere in it.
  if (/^\s*\{\\rtf/.test(body.subarray(0, 64).toString('latin1'))) return { kind: 'text', mime: 'application/rtf' };
  if (!looksLikeText(body, options.final)) return { kind: 'unsupported', reason: 'the file is binary data of an unsupported type' };
  const text = body.toString('utf8');
  if (looksLikeEmail(text)) return { kind: 'text', mime: 'message/rfc822' };
  if (startsLikeHtml(text) || (HTML_ANY.test(text.slice(0, 1024)) && text.trimStart().startsWith('<'))) return { kind: 'text', mime: 'text/html' };
  const name = options.filename?.toLowerCase() ?? '';
  if (/\.(csv|tsv)$/.test(name)) return { kind: 'text', mime: 'text/csv' };
  if (/\.(md|markdown|mdown|mkd)$/.test(name) || MD_HEADING.test(text) || hasSetextHeading(linesOf(text)) || hasOtherMarkdown(text, linesOf(text))) {
    return { kind: 'text', mime: 'text/markdown' };
  }
  return { kind: 'text', mime: 'text/plain' };
}

/** What marks each zip-based format. OpenDocument and EPUB store `mimetype` first and uncompressed, so its text shows. */
const ZIP_MARKERS: Array<[ZipMime, Buffer]> = [
  [DOCX_MIME, Buffer.from('word/document.xml')],
  [PPTX_MIME, Buffer.from('ppt/presentation.xml')],
  [XLSX_MIME, Buffer.from('xl/workbook.xml')],
  [ODT_MIME, Buffer.from(`mimetype${ODT_MIME}`)],
  [ODS_MIME, Buffer.from(`mimetype${ODS_MIME}`)],
  [ODP_MIME, Buffer.from(`mimetype${ODP_MIME}`)],
  [EPUB_MIME, Buffer.from(`mimetype${EPUB_MIME}`)],
];
const LONGEST_MARKER = Math.max(...ZIP_MARKERS.map(([, m]) => m.length));

/** What a zip that is none of these is called in the reason. */
export const ZIP_NOT_SUPPORTED = 'the file is a zip archive but not a Word, PowerPoint, Excel, OpenDocument or EPUB document';

/**
 * Scans a zip stream for the part names that say which document it is (they appear in a local file header and
 * in the central directory), across chunk boundaries. The first marker seen wins.
 */
export class ZipMarkerScanner {
  private tail = Buffer.alloc(0);
  mime: ZipMime | undefined;

  get found(): boolean {
    return this.mime !== undefined;
  }

  push(chunk: Buffer): void {
    if (this.mime) return;
    const window = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    let first = -1;
    for (const [mime, marker] of ZIP_MARKERS) {
      const at = window.indexOf(marker);
      if (at !== -1 && (first === -1 || at < first)) {
        first = at;
        this.mime = mime;
      }
    }
    if (this.mime) return;
    this.tail = Buffer.from(window.subarray(Math.max(0, window.length - (LONGEST_MARKER - 1))));
  }
}

/** Extensions that claim a specific binary format: the bytes must agree. */
export function claimedBinaryType(filename: string | undefined): 'pdf' | 'docx' | undefined {
  const name = filename?.toLowerCase() ?? '';
  if (name.endsWith('.pdf')) return 'pdf';
  if (name.endsWith('.docx')) return 'docx';
  return undefined;
}

/** Sniffs a whole buffer (for tests, the CLI and re-checks). */
export function sniffBuffer(buf: Buffer, filename?: string): { ok: true; mime: SupportedMime } | { ok: false; reason: string } {
  const head = sniffHead(buf.subarray(0, SNIFF_BYTES), { final: buf.length <= SNIFF_BYTES, filename });
  let mime: SupportedMime;
  if (head.kind === 'unsupported') return { ok: false, reason: head.reason };
  if (head.kind === 'zip') {
    const scanner = new ZipMarkerScanner();
    scanner.push(buf);
    if (!scanner.mime) return { ok: false, reason: ZIP_NOT_SUPPORTED };
    mime = scanner.mime;
  } else mime = head.mime;
  const claimed = claimedBinaryType(filename);
  if (claimed === 'pdf' && mime !== 'application/pdf') return { ok: false, reason: 'the file is named .pdf but its content is not a PDF' };
  if (claimed === 'docx' && mime !== DOCX_MIME) return { ok: false, reason: 'the file is named .docx but its content is not a Word document' };
  return { ok: true, mime };
}
