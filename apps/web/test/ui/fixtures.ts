/** Small documents for the UI test, generated in memory (PDF via pdf-lib). */
import { PDFDocument, StandardFonts } from 'pdf-lib';

export interface FixtureFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

export async function pdfFixture(): Promise<FixtureFile> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const pages = [
    ['Quarry operations handbook', 'Blasting schedules are posted every Monday morning at the site office.'],
    [
      'Safety',
      'Every visitor to the quarry floor must wear a hard hat and high visibility clothing.',
      'The dolomite benches are inspected weekly by the site geologist.',
    ],
  ];
  for (const lines of pages) {
    const page = pdf.addPage([595, 842]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 24, size: i === 0 ? 18 : 12, font }));
  }
  return { name: 'handbook.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await pdf.save()) };
}

export function markdownFixture(): FixtureFile {
  const text = [
    '# Field guide to rocks',
    '',
    '## Granite',
    '',
    'Granite is a coarse grained igneous rock made mostly of quartz and feldspar. Feldspar gives granite its pink or white colour.',
    '',
    '## Marble',
    '',
    'Marble is a metamorphic rock formed when limestone is heated and pressed deep underground.',
    '',
  ].join('\n');
  return { name: 'field-guide.md', mimeType: 'text/markdown', buffer: Buffer.from(text) };
}

export function htmlFixture(): FixtureFile {
  const html = `<!doctype html><html><head><title>Visitor centre</title></head><body>
<h1>Visitor centre</h1><h2>Opening hours</h2>
<p>The visitor centre is open from nine to five on weekdays. Guided tours of the old slate workings start at noon.</p>
<script>alert('not text')</script></body></html>`;
  return { name: 'visitor-centre.html', mimeType: 'text/html', buffer: Buffer.from(html) };
}

/** Bytes no extractor supports (a GIF signature and noise; PNG is read by OCR since issue 15), so the server answers 415. */
export function unsupportedFixture(): FixtureFile {
  const png = Buffer.from('GIF89a\x10\x00\x10\x00', 'latin1');
  const noise = Buffer.alloc(2048);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251;
  return { name: 'diagram.png', mimeType: 'image/png', buffer: Buffer.concat([png, noise]) };
}

/** A long Markdown file: many short sections that all mention limestone, for paging through results. */
export function longFixture(sections = 30): FixtureFile {
  const parts = ['# Limestone register', ''];
  for (let i = 1; i <= sections; i++) {
    parts.push(
      `## Bench ${i}`,
      '',
      `Bench ${i} exposes limestone bed number ${i}, logged by survey team ${(i % 4) + 1}.`,
      '',
    );
  }
  return { name: 'limestone-register.md', mimeType: 'text/markdown', buffer: Buffer.from(parts.join('\n')) };
}
