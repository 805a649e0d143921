/**
 * Documents of the formats added in issue 15, generated in tests (nothing is
 * downloaded): PPTX, XLSX, ODT/ODS/ODP and EPUB zips written part by part,
 * e-mails, images of text drawn with Skia (@napi-rs/canvas, the system's
 * DejaVu fonts), and a scanned PDF made by rasterising a text PDF (Chromium
 * prints the text PDF with its fonts embedded; pdf.js draws its pages; the
 * pictures become an image-only PDF with pdf-lib).
 */
import { crc32, deflateRawSync } from 'node:zlib';
import { createCanvas } from '@napi-rs/canvas';
import { PDFDocument } from 'pdf-lib';
import { chromium } from 'playwright-core';
import { createIsomorphicCanvasFactory, getDocumentProxy } from 'unpdf';
import { ensureArrayBufferTransfer } from '../../packages/ingest/src/extract/node-compat.js';

export interface ZipPart {
  name: string;
  data: string | Buffer;
  /** Stored uncompressed (OpenDocument's and EPUB's `mimetype` must be). */
  store?: boolean;
  /** Claimed uncompressed size (a lie, for bombs); the real size otherwise. */
  declaredSize?: number;
}

export function zipOf(parts: ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const raw = typeof p.data === 'string' ? Buffer.from(p.data, 'utf8') : p.data;
    const data = p.store ? raw : deflateRawSync(raw, { level: 9 });
    const name = Buffer.from(p.name);
    const crc = crc32(raw) >>> 0;
    const size = p.declaredSize ?? raw.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(p.store ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size >>> 0, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(p.store ? 0 : 8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size >>> 0, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
const A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"';
const P = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';
const R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

const shape = (paragraphs: string[], placeholder?: string) =>
  `<p:sp><p:nvSpPr><p:cNvPr id="2" name="s"/><p:cNvSpPr/><p:nvPr>${placeholder ? `<p:ph type="${placeholder}"/>` : ''}</p:nvPr></p:nvSpPr><p:txBody>${paragraphs
    .map((t) => `<a:p><a:r><a:t>${esc(t)}</a:t></a:r></a:p>`)
    .join('')}</p:txBody></p:sp>`;

export interface SlideSpec {
  title: string;
  body: string[];
  notes?: string[];
}

/** A PPTX; slide parts are named in reverse so that only presentation.xml gives the right order. */
export function makePptx(slides: SlideSpec[]): Buffer {
  const n = slides.length;
  const parts: ZipPart[] = [
    { name: '[Content_Types].xml', data: `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>` },
    {
      name: 'ppt/presentation.xml',
      data: `${XML}<p:presentation ${P} ${R}><p:sldIdLst>${slides.map((_, i) => `<p:sldId id="${256 + i}" r:id="rId${i + 1}"/>`).join('')}</p:sldIdLst></p:presentation>`,
    },
    {
      name: 'ppt/_rels/presentation.xml.rels',
      data: `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${slides
        .map((_, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/slide" Target="slides/slide${n - i}.xml"/>`)
        .join('')}</Relationships>`,
    },
  ];
  slides.forEach((s, i) => {
    const file = n - i;
    parts.push({
      name: `ppt/slides/slide${file}.xml`,
      data: `${XML}<p:sld ${A} ${P} ${R}><p:cSld><p:spTree>${shape([s.title], 'title')}${shape(s.body)}${shape([String(i + 1)], 'sldNum')}</p:spTree></p:cSld></p:sld>`,
    });
    if (s.notes) {
      parts.push({
        name: `ppt/slides/_rels/slide${file}.xml.rels`,
        data: `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/notesSlide" Target="../notesSlides/notesSlide${file}.xml"/></Relationships>`,
      });
      parts.push({
        name: `ppt/notesSlides/notesSlide${file}.xml`,
        data: `${XML}<p:notes ${A} ${P}><p:cSld><p:spTree>${shape(['slide image'], 'sldImg')}${shape(s.notes, 'body')}</p:spTree></p:cSld></p:notes>`,
      });
    }
  });
  return zipOf(parts);
}

const column = (i: number) => (i < 26 ? String.fromCharCode(65 + i) : String.fromCharCode(64 + Math.floor(i / 26)) + String.fromCharCode(65 + (i % 26)));

/** An XLSX: text cells as shared strings, numbers as numbers. */
export function makeXlsx(sheets: Array<{ name: string; rows: Array<Array<string | number>> }>): Buffer {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const si = (s: string) => {
    if (!index.has(s)) {
      index.set(s, strings.length);
      strings.push(s);
    }
    return index.get(s)!;
  };
  const parts: ZipPart[] = [
    { name: '[Content_Types].xml', data: `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>` },
    {
      name: 'xl/workbook.xml',
      data: `${XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ${R}><sheets>${sheets
        .map((s, i) => `<sheet name="${esc(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
        .join('')}</sheets></workbook>`,
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data: `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${sheets
        .map((_, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`)
        .join('')}</Relationships>`,
    },
  ];
  sheets.forEach((s, i) => {
    const rows = s.rows
      .map(
        (r, y) =>
          `<row r="${y + 1}">${r
            .map((v, x) => (typeof v === 'number' ? `<c r="${column(x)}${y + 1}"><v>${v}</v></c>` : `<c r="${column(x)}${y + 1}" t="s"><v>${si(v)}</v></c>`))
            .join('')}</row>`,
      )
      .join('');
    parts.push({ name: `xl/worksheets/sheet${i + 1}.xml`, data: `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>` });
  });
  parts.push({
    name: 'xl/sharedStrings.xml',
    data: `${XML}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${strings.length}">${strings.map((s) => `<si><t>${esc(s)}</t></si>`).join('')}</sst>`,
  });
  return zipOf(parts);
}

const ODF_NS =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"';

function odf(mime: string, body: string): Buffer {
  return zipOf([
    { name: 'mimetype', data: mime, store: true },
    { name: 'META-INF/manifest.xml', data: `${XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>` },
    { name: 'content.xml', data: `${XML}<office:document-content ${ODF_NS}><office:body>${body}</office:body></office:document-content>` },
  ]);
}

export function makeOdt(sections: Array<{ heading: string; paragraphs: string[] }>): Buffer {
  const body = sections
    .map((s) => `<text:h text:outline-level="1">${esc(s.heading)}</text:h>${s.paragraphs.map((p) => `<text:p>${esc(p)}</text:p>`).join('')}`)
    .join('');
  return odf('application/vnd.oasis.opendocument.text', `<office:text>${body}</office:text>`);
}

export function makeOds(sheets: Array<{ name: string; rows: string[][] }>): Buffer {
  const body = sheets
    .map(
      (s) =>
        `<table:table table:name="${esc(s.name)}">${s.rows
          .map((r) => `<table:table-row>${r.map((c) => `<table:table-cell><text:p>${esc(c)}</text:p></table:table-cell>`).join('')}<table:table-cell table:number-columns-repeated="16384"/></table:table-row>`)
          .join('')}<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>`,
    )
    .join('');
  return odf('application/vnd.oasis.opendocument.spreadsheet', `<office:spreadsheet>${body}</office:spreadsheet>`);
}

export function makeOdp(slides: SlideSpec[]): Buffer {
  const body = slides
    .map(
      (s, i) =>
        `<draw:page draw:name="page${i + 1}"><draw:frame><draw:text-box><text:p>${esc(s.title)}</text:p>${s.body.map((p) => `<text:p>${esc(p)}</text:p>`).join('')}</draw:text-box></draw:frame>${
          s.notes ? `<presentation:notes><draw:frame><draw:text-box>${s.notes.map((p) => `<text:p>${esc(p)}</text:p>`).join('')}</draw:text-box></draw:frame></presentation:notes>` : ''
        }</draw:page>`,
    )
    .join('');
  return odf('application/vnd.oasis.opendocument.presentation', `<office:presentation>${body}</office:presentation>`);
}

export function makeEpub(title: string, chapters: Array<{ title: string; paragraphs: string[]; heading?: boolean }>): Buffer {
  const parts: ZipPart[] = [
    { name: 'mimetype', data: 'application/epub+zip', store: true },
    {
      name: 'META-INF/container.xml',
      data: `${XML}<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
    },
    {
      name: 'OEBPS/content.opf',
      data: `${XML}<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${esc(title)}</dc:title></metadata><manifest>${chapters
        .map((_, i) => `<item id="c${i + 1}" href="text/ch${i + 1}.xhtml" media-type="application/xhtml+xml"/>`)
        .join('')}</manifest><spine>${chapters.map((_, i) => `<itemref idref="c${i + 1}"/>`).join('')}</spine></package>`,
    },
  ];
  chapters.forEach((c, i) => {
    parts.push({
      name: `OEBPS/text/ch${i + 1}.xhtml`,
      data: `${XML}<html xmlns="http://www.w3.org/1999/xhtml"><head><title>${esc(c.title)}</title></head><body>${c.heading === false ? '' : `<h1>${esc(c.title)}</h1>`}${c.paragraphs
        .map((p) => `<p>${esc(p)}</p>`)
        .join('')}</body></html>`,
    });
  });
  return zipOf(parts);
}

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** A multipart/mixed e-mail (CRLF line ends, base64 attachments). */
export function makeEmail(options: { subject: string; from: string; to: string; body: string; attachments?: MailAttachment[] }): Buffer {
  const boundary = 'quarry-boundary-42';
  const lines = [
    `From: ${options.from}`,
    `To: ${options.to}`,
    `Subject: ${options.subject}`,
    'Date: Tue, 01 Dec 2026 09:30:00 +0000',
    'Message-ID: <fixture@quarry.test>',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.body,
  ];
  for (const a of options.attachments ?? []) {
    lines.push(
      `--${boundary}`,
      `Content-Type: ${a.contentType}; name="${a.filename}"`,
      `Content-Disposition: attachment; filename="${a.filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      ...(a.content.toString('base64').match(/.{1,76}/g) ?? []),
    );
  }
  lines.push(`--${boundary}--`, '');
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

/** Black text on white, one line per string, 40 px DejaVu: an "image of text". */
export async function textImage(lines: string[], format: 'png' | 'jpeg' | 'webp' = 'png', options: { width?: number; font?: string } = {}): Promise<Buffer> {
  const width = options.width ?? 1400;
  const height = 160 + lines.length * 60;
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);
  g.fillStyle = '#111111';
  g.font = options.font ?? '40px DejaVu Serif';
  lines.forEach((l, i) => g.fillText(l, 80, 110 + i * 60));
  return Buffer.from(await canvas.encode(format as 'png'));
}

/** An uncompressed RGB TIFF of the same picture as `textImage`. */
export async function textTiff(lines: string[]): Promise<Buffer> {
  const width = 1400;
  const height = 160 + lines.length * 60;
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);
  g.fillStyle = '#111111';
  g.font = '40px DejaVu Serif';
  lines.forEach((l, i) => g.fillText(l, 80, 110 + i * 60));
  const { data } = g.getImageData(0, 0, width, height);
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    rgb[i * 3] = data[i * 4]!;
    rgb[i * 3 + 1] = data[i * 4 + 1]!;
    rgb[i * 3 + 2] = data[i * 4 + 2]!;
  }
  // tag, type (3 short, 4 long), value
  const entries: Array<[number, number, number]> = [
    [256, 3, width], [257, 3, height], [258, 3, 8], [259, 3, 1], [262, 3, 2], [273, 4, 0], [277, 3, 3], [278, 3, height], [279, 4, rgb.length],
  ];
  const ifd = 8;
  const bitsAt = ifd + 2 + entries.length * 12 + 4;
  const dataAt = bitsAt + 6;
  const head = Buffer.alloc(dataAt);
  head.write('II', 0);
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(ifd, 4);
  head.writeUInt16LE(entries.length, ifd);
  entries.forEach(([tag, type, value], i) => {
    const at = ifd + 2 + i * 12;
    head.writeUInt16LE(tag, at);
    head.writeUInt16LE(type, at + 2);
    head.writeUInt32LE(tag === 258 ? 3 : 1, at + 4);
    if (tag === 258) head.writeUInt32LE(bitsAt, at + 8);
    else if (tag === 273) head.writeUInt32LE(dataAt, at + 8);
    else if (type === 3) head.writeUInt16LE(value, at + 8);
    else head.writeUInt32LE(value, at + 8);
  });
  for (let k = 0; k < 3; k++) head.writeUInt16LE(8, bitsAt + k * 2);
  return Buffer.concat([head, rgb]);
}

/** A PNG that says it is `width` × `height` pixels (all white; it deflates to little). Only the header matters to Quarry. */
export function hugePngHeader(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  // One row of white, deflated, repeated: enough bytes to look like a start; a decoder would want 400 MB.
  const idat = deflateRawSync(Buffer.alloc(Math.min(width + 1, 1 << 20), 0xff));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** A text PDF printed by Chromium (fonts embedded), one page per string. */
export async function printTextPdf(pages: string[]): Promise<Buffer> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage();
    await page.route('**/*', (route) => route.abort());
    const html = pages.map((p) => `<section style="page-break-after:always;font:20px 'DejaVu Serif';margin:60px">${esc(p)}</section>`).join('');
    await page.setContent(`<!doctype html><html><body style="margin:0">${html}</body></html>`);
    return Buffer.from(await page.pdf({ format: 'A4', printBackground: true }));
  } finally {
    await browser.close();
  }
}

/** Rasterises every page of a PDF at `dpi` and returns an image-only PDF of the same pages (a "scan"). */
export async function rasterisePdf(pdf: Buffer, dpi = 150): Promise<Buffer> {
  ensureArrayBufferTransfer(); // fonts drawn on Node 20 (see node-compat.ts)
  const CanvasFactory = (await createIsomorphicCanvasFactory(() => import('@napi-rs/canvas'))) as unknown as new () => {
    create(w: number, h: number): { canvas: { encode(f: 'png'): Promise<Buffer> }; context: { fillStyle: string; fillRect(...a: number[]): void } };
  };
  const count = (await getDocumentProxy(new Uint8Array(pdf), { verbosity: 0 } as Parameters<typeof getDocumentProxy>[1])).numPages;
  const out = await PDFDocument.create();
  for (let n = 1; n <= count; n++) {
    const source = await getDocumentProxy(new Uint8Array(pdf), { isEvalSupported: false, disableFontFace: true, verbosity: 0, CanvasFactory } as Parameters<typeof getDocumentProxy>[1]);
    const page = await source.getPage(n);
    const viewport = page.getViewport({ scale: dpi / 72 });
    const drawing = new CanvasFactory().create(Math.ceil(viewport.width), Math.ceil(viewport.height));
    drawing.context.fillStyle = '#ffffff';
    drawing.context.fillRect(0, 0, Math.ceil(viewport.width), Math.ceil(viewport.height));
    await page.render({ canvas: drawing.canvas, canvasContext: drawing.context, viewport } as unknown as Parameters<typeof page.render>[0]).promise;
    const png = await out.embedPng(await drawing.canvas.encode('png'));
    const base = page.getViewport({ scale: 1 });
    out.addPage([base.width, base.height]).drawImage(png, { x: 0, y: 0, width: base.width, height: base.height });
    await (source as unknown as { destroy(): Promise<void> }).destroy?.();
  }
  return Buffer.from(await out.save());
}

/** Character accuracy: 1 − (Levenshtein distance / expected length), on whitespace-normalised, lower-cased text. */
export function characterAccuracy(expected: string, actual: string): number {
  const a = expected.replace(/\s+/g, ' ').trim().toLowerCase();
  const b = actual.replace(/\s+/g, ' ').trim().toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return Math.max(0, 1 - prev[b.length]! / Math.max(1, a.length));
}

/**
 * An RTF file as word processors write it: font, colour and style tables, document info, a running header,
 * a hyperlink field, a picture in hex and one in `\bin` bytes, `\'hh` escapes in code page 1252 and `\uN`
 * characters with their fallback, then one paragraph per `\par`.
 */
export function makeRtf(paragraphs: string[]): Buffer {
  const escape = (s: string) =>
    [...s]
      .map((ch) => {
        const code = ch.codePointAt(0)!;
        if (ch === '\\' || ch === '{' || ch === '}') return `\\${ch}`;
        if (code < 0x80) return ch;
        if (code <= 0xff) return `\\'${code.toString(16).padStart(2, '0')}`;
        return `\\u${code > 0x7fff ? code - 0x10000 : code}?`;
      })
      .join('');
  const head =
    '{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\froman Times New Roman;}{\\f1\\fswiss Arial;}}' +
    '{\\colortbl;\\red255\\green0\\blue0;}{\\stylesheet{\\s0 Normal;}{\\s1 heading 1;}}' +
    '{\\info{\\title Hidden title}{\\author Hidden author}}{\\*\\generator Fixture 1.0;}' +
    '{\\header \\pard Running header text\\par}\n';
  const pict = '{\\pict\\pngblip\\picw10\\pich10 89504e470d0a1a0a}';
  const bin = Buffer.concat([Buffer.from('{\\pict\\wmetafile8\\bin6 ', 'latin1'), Buffer.from([0, 1, 2, 0xff, 0x7b, 0x7d]), Buffer.from('}', 'latin1')]);
  const link = '{\\field{\\*\\fldinst{HYPERLINK "https://example.invalid/hidden"}}{\\fldrslt{the handbook}}}';
  const body = paragraphs.map((p, i) => `\\pard\\plain\\f${i % 2} ${escape(p)}${i === 0 ? ` ${link}` : ''}\\par\n`).join('');
  return Buffer.concat([Buffer.from(`${head}${pict}`, 'latin1'), bin, Buffer.from(`${body}}`, 'latin1')]);
}
