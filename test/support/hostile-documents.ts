/**
 * Hostile documents for issue 14 (items 1 and 8): PDFs built byte by byte —
 * a content stream that inflates far beyond the file (a memory bomb) and a
 * page tree that points at itself.
 */
import { createDeflate } from 'node:zlib';

/** A PDF whose objects are given in order (1-based object numbers); `stream` bodies are raw bytes. */
function rawPdf(objects: Array<string | { dict: string; stream: Buffer }>): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  const offsets: number[] = [];
  let offset = parts[0]!.length;
  objects.forEach((o, i) => {
    offsets.push(offset);
    const body =
      typeof o === 'string'
        ? Buffer.from(`${i + 1} 0 obj\n${o}\nendobj\n`)
        : Buffer.concat([Buffer.from(`${i + 1} 0 obj\n<< ${o.dict} /Length ${o.stream.length} >>\nstream\n`), o.stream, Buffer.from('\nendstream\nendobj\n')]);
    parts.push(body);
    offset += body.length;
  });
  const xref =
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
    offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`;
  parts.push(Buffer.from(xref));
  return Buffer.concat(parts);
}

/** Deflates `head`, then `fill` repeated `repeat` times, then `tail`, without ever holding the inflated bytes. */
async function deflateRepeated(head: string, fill: Buffer, repeat: number, tail: string): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const write = (b: Buffer) => new Promise<void>((resolve) => (deflate.write(b) ? resolve() : deflate.once('drain', resolve)));
  await write(Buffer.from(head));
  for (let i = 0; i < repeat; i++) await write(fill);
  deflate.end(Buffer.from(tail));
  await done;
  return Buffer.concat(out);
}

/**
 * A one-page PDF whose content stream inflates to `inflatedMb` MB: one text string of that many `a`s.
 * 1 GB of content deflates to about 1 MB.
 */
export async function makePdfMemoryBomb(inflatedMb: number): Promise<Buffer> {
  const content = await deflateRepeated('BT /F1 12 Tf 10 10 Td (', Buffer.alloc(1 << 20, 'a'), inflatedMb, ') Tj ET\n');
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    { dict: '/Filter /FlateDecode', stream: content },
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ]);
}

/** A PDF whose page tree contains itself (pdf.js refuses it on every attempt: a deterministic failure). */
export function makeLoopingPageTreePdf(): Buffer {
  return rawPdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [2 0 R] /Count 1 >>']);
}
