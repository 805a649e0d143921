/**
 * Issue 15's clean-ups before chunking: HTML's page furniture (nav, sidebars,
 * the page's own header and footer) is dropped while an article's header
 * stays; a PDF's running headers and footers are removed from every page.
 */
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { extractDocument } from './index.js';
import { removeRunningLines } from './running-lines.js';

const enc = (s: string) => Buffer.from(s, 'utf8');

describe('HTML readability pass', () => {
  it('drops nav, aside, role=navigation and the page header and footer; keeps the article header', async () => {
    const html = `<!doctype html><html><body>
      <header><a href="/">Home</a> <a href="/about">About us</a></header>
      <nav><ul><li>Products</li><li>Careers</li></ul></nav>
      <div role="navigation">Breadcrumbs here</div>
      <main><article><header><h1>Tide tables</h1><p>By the harbour master</p></header>
        <p>High water is at noon on Sundays.</p><footer>Filed under tides</footer></article></main>
      <aside>Related: weather</aside>
      <footer>© 2026 Harbour Board · Privacy</footer></body></html>`;
    const out = await extractDocument(enc(html), 'text/html');
    expect(out.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Tide tables' },
      { kind: 'paragraph', text: 'By the harbour master' },
      { kind: 'paragraph', text: 'High water is at noon on Sundays.' },
      { kind: 'paragraph', text: 'Filed under tides' },
    ]);
  });

  it('a page that is nothing but furniture is read whole', async () => {
    const out = await extractDocument(enc('<!doctype html><html><body><footer><p>Contact: the lighthouse office</p></footer></body></html>'), 'text/html');
    expect(out.blocks).toEqual([{ kind: 'paragraph', text: 'Contact: the lighthouse office' }]);
  });
});

describe('PDF running headers and footers', () => {
  it('removes lines repeated at the top or bottom of most pages, page numbers and all', () => {
    const bodies = ['Granite came first.', 'Slate came by rail.', 'Lime kilns burned day and night.', 'The quarry closed.'];
    const pages = bodies.map((b, i) => `ACME Ltd — Confidential\n${b}\nPage ${i + 1} of 4`);
    expect(removeRunningLines(pages)).toEqual(bodies);
    // Long lines that differ only in their numbers are body text, not a running footer; nor is a page's only line.
    const numbered = [1, 2, 3].map((n) => `The survey of section ${n} found ${n * 7} abandoned galleries below the road.`);
    expect(removeRunningLines(numbered)).toEqual(numbered);
    // Two pages are too few to tell a running header from a repeated line.
    expect(removeRunningLines(pages.slice(0, 2))).toEqual(pages.slice(0, 2));
    // A line repeated on fewer than half the pages stays.
    const rare = ['Intro\nx', 'Intro\ny', 'a\nb', 'c\nd', 'e\nf'];
    expect(removeRunningLines(rare)).toEqual(rare);
  });

  it('in a real PDF: the header and footer go, the body stays on its page', async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const bodies = ['Granite quarries opened in 1820.', 'Slate came later, by rail.', 'The last quarry closed in 1961.'];
    bodies.forEach((body, i) => {
      const page = doc.addPage([595, 842]);
      page.drawText('Quarry History Society Newsletter', { x: 40, y: 810, size: 9, font });
      page.drawText(body, { x: 40, y: 700, size: 11, font });
      page.drawText(`Page ${i + 1}`, { x: 280, y: 30, size: 9, font });
    });
    const out = await extractDocument(Buffer.from(await doc.save()), 'application/pdf');
    expect(out.blocks.map((b) => [b.page, b.text])).toEqual(bodies.map((b, i) => [i + 1, b]));
  });
});
