/**
 * Documents generated in tests: real PDFs (pdf-lib), real DOCX (docx), and
 * hostile files (zip bombs) built byte by byte.
 */
import { deflateRawSync, crc32 } from 'node:zlib';
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';

/** One PDF page per string; long strings wrap onto several lines. */
export async function makePdf(pages: string[], options: { title?: string } = {}): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  if (options.title) doc.setTitle(options.title);
  for (const text of pages) {
    const page = doc.addPage([595, 842]);
    const words = text.split(/\s+/);
    let line = '';
    let y = 800;
    const lines: string[] = [];
    for (const w of words) {
      if ((line + ' ' + w).length > 90) {
        lines.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    if (line) lines.push(line);
    for (const l of lines) {
      if (y < 40) break;
      page.drawText(l, { x: 40, y, size: 10, font });
      y -= 14;
    }
  }
  return Buffer.from(await doc.save());
}

/** A PDF of `n` nearly empty pages (cheap: pages share one content stream). */
export async function makeManyPagePdf(n: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < n; i++) doc.addPage([100, 100]);
  return Buffer.from(await doc.save({ objectsPerTick: 5000 }));
}

export async function makeDocx(sections: Array<{ heading: string; paragraphs: string[]; table?: string[][] }>): Promise<Buffer> {
  const children: Array<Paragraph | Table> = [];
  for (const s of sections) {
    children.push(new Paragraph({ text: s.heading, heading: HeadingLevel.HEADING_1 }));
    for (const p of s.paragraphs) children.push(new Paragraph({ children: [new TextRun(p)] }));
    if (s.table) {
      children.push(
        new Table({
          rows: s.table.map((r) => new TableRow({ children: r.map((c) => new TableCell({ children: [new Paragraph(c)] })) })),
        }),
      );
    }
  }
  const doc = new Document({ sections: [{ children }] });
  return Buffer.from(await Packer.toBuffer(doc));
}

interface ZipEntry {
  name: string;
  data: Buffer; // already deflated
  crc: number;
  declaredSize: number;
}

function zip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.declaredSize >>> 0, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, e.data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.declaredSize >>> 0, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/**
 * A DOCX-shaped zip whose word/document.xml inflates to `inflatedBytes` of
 * XML-ish filler. `honest` declares the real size; otherwise it claims 1 KB.
 */
export function makeZipBombDocx(inflatedBytes: number, honest = true): Buffer {
  const filler = Buffer.alloc(inflatedBytes, 0x20);
  filler.write('<?xml version="1.0"?><w:document>', 0);
  const data = deflateRawSync(filler, { level: 9 });
  const crc = crc32(filler);
  const small = (name: string, text: string): ZipEntry => {
    const raw = Buffer.from(text);
    return { name, data: deflateRawSync(raw), crc: crc32(raw), declaredSize: raw.length };
  };
  return zip([
    small('[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
    { name: 'word/document.xml', data, crc, declaredSize: honest ? inflatedBytes : 1024 },
  ]);
}

/** A zip that declares more than 4 GB of content without containing it (the declared-size check). */
export function makeDeclaredBombDocx(): Buffer {
  const raw = Buffer.alloc(1024, 0x20);
  const data = deflateRawSync(raw);
  return zip([
    { name: 'word/document.xml', data, crc: crc32(raw), declaredSize: 0xfffffff0 },
    { name: 'word/media/a.bin', data, crc: crc32(raw), declaredSize: 0xfffffff0 },
  ]);
}
