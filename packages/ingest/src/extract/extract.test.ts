import { afterAll, describe, expect, it } from 'vitest';
import { makeDeclaredBombDocx, makeDocx, makeManyPagePdf, makePdf, makeZipBombDocx } from '../../../../test/support/document-fixtures.js';
import { sniffBuffer } from '../sniff.js';
import { extractDocument } from './index.js';
import { IsolatedExtractor } from './isolated.js';
import { defaultExtractLimits, ExtractionError } from './types.js';

const enc = (s: string) => Buffer.from(s, 'utf8');

describe('sniffing by content', () => {
  it('recognises each supported type', async () => {
    expect(sniffBuffer(await makePdf(['hello']))).toEqual({ ok: true, mime: 'application/pdf' });
    expect(sniffBuffer(await makeDocx([{ heading: 'H', paragraphs: ['p'] }]))).toMatchObject({ mime: expect.stringContaining('wordprocessingml') });
    expect(sniffBuffer(enc('<!doctype html><html><body><p>x</p></body></html>'))).toEqual({ ok: true, mime: 'text/html' });
    expect(sniffBuffer(enc('# Title\n\nText'))).toEqual({ ok: true, mime: 'text/markdown' });
    expect(sniffBuffer(enc('plain words'), 'notes.md')).toEqual({ ok: true, mime: 'text/markdown' });
    expect(sniffBuffer(enc('plain words\nmore'), 'notes.txt')).toEqual({ ok: true, mime: 'text/plain' });
  });

  it('rejects binary, non-DOCX zips and names that lie', () => {
    expect(sniffBuffer(Buffer.from([0x47, 0x49, 0x46, 0x38, 0, 0, 0]))).toMatchObject({ ok: false, reason: expect.stringContaining('GIF') });
    expect(sniffBuffer(Buffer.from([1, 2, 3, 0, 255, 254, 7, 8]))).toMatchObject({ ok: false });
    expect(sniffBuffer(makeDeclaredBombDocx().subarray(0, 10))).toMatchObject({ ok: false });
    expect(sniffBuffer(enc('just text'), 'report.pdf')).toMatchObject({ ok: false, reason: expect.stringContaining('.pdf') });
    expect(sniffBuffer(Buffer.alloc(0))).toMatchObject({ ok: false, reason: 'the file is empty' });
  });
});

describe('extraction', () => {
  it('extracts PDF text per page', async () => {
    const pdf = await makePdf(['Alpha page text.', 'Beta page text.', 'Gamma page text.'], { title: 'Greek' });
    const out = await extractDocument(pdf, 'application/pdf');
    expect(out.pageCount).toBe(3);
    expect(out.title).toBe('Greek');
    expect(out.blocks.map((b) => [b.page, b.text])).toEqual([
      [1, 'Alpha page text.'],
      [2, 'Beta page text.'],
      [3, 'Gamma page text.'],
    ]);
  });

  it('extracts DOCX headings, paragraphs and tables', async () => {
    const docx = await makeDocx([{ heading: 'Budget', paragraphs: ['The budget grew.'], table: [['Item', 'Cost'], ['Paper', '12']] }]);
    const out = await extractDocument(docx, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(out.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Budget' },
      { kind: 'paragraph', text: 'The budget grew.' },
      { kind: 'table', text: 'Item | Cost\nPaper | 12' },
    ]);
  });

  it('extracts HTML without scripts and styles, keeping headings, lists and tables', async () => {
    const html = `<!doctype html><html><head><title>Doc &amp; co</title><style>p{color:red}</style><script>alert("x")</script></head>
      <body><h1>Top</h1><p>Hello <b>world</b>.</p><script>evil()</script><ul><li>one</li><li>two</li></ul>
      <h2>Sub</h2><table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table><pre>code  here</pre></body></html>`;
    const out = await extractDocument(enc(html), 'text/html');
    expect(out.title).toBe('Doc & co');
    expect(out.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Top' },
      { kind: 'paragraph', text: 'Hello world.' },
      { kind: 'list', text: '- one\n- two' },
      { kind: 'heading', level: 2, text: 'Sub' },
      { kind: 'table', text: 'a | b\n1 | 2' },
      { kind: 'code', text: 'code  here' },
    ]);
  });

  it('extracts Markdown structure', async () => {
    const md = '---\ntitle: x\n---\n# Guide\n\nSee [the docs](http://x) **now**.\n\n## Setup\n\n```\n# not a heading\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nSetext\n------\n\n- one\n- two\n';
    const out = await extractDocument(enc(md), 'text/markdown');
    expect(out.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Guide' },
      { kind: 'paragraph', text: 'See the docs now.' },
      { kind: 'heading', level: 2, text: 'Setup' },
      { kind: 'code', text: '# not a heading' },
      { kind: 'table', text: 'a | b\n1 | 2' },
      { kind: 'heading', level: 2, text: 'Setext' },
      { kind: 'list', text: '- one\n- two' },
    ]);
  });

  it('fails empty, corrupt and oversized documents with readable reasons', async () => {
    await expect(extractDocument(enc('  \n\n '), 'text/plain')).rejects.toThrow('no text found in the document');
    await expect(extractDocument(enc('%PDF-1.7\ngarbage'), 'application/pdf')).rejects.toBeInstanceOf(ExtractionError);
    await expect(extractDocument(await makePdf(['']), 'application/pdf')).rejects.toThrow(/no text found in the PDF/);
    await expect(extractDocument(await makeManyPagePdf(30), 'application/pdf', { ...defaultExtractLimits, maxPages: 20 })).rejects.toThrow(
      'the PDF has 30 pages; at most 20 are indexed',
    );
  });

  it('stops zip bombs before mammoth inflates them', async () => {
    const limits = { ...defaultExtractLimits, maxUncompressedBytes: 4 * 1024 * 1024 };
    const docx = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    await expect(extractDocument(makeDeclaredBombDocx(), docx, limits)).rejects.toThrow(/zip bomb/);
    await expect(extractDocument(makeZipBombDocx(16 * 1024 * 1024, true), docx, limits)).rejects.toThrow(/zip bomb/);
    // Lying about the size: caught while inflating.
    await expect(extractDocument(makeZipBombDocx(16 * 1024 * 1024, false), docx, limits)).rejects.toBeInstanceOf(ExtractionError);
  });
});

describe('isolated extraction', () => {
  const extractor = new IsolatedExtractor({ maxMemoryMb: 256 });
  afterAll(() => extractor.close());

  it('runs PDFs in a thread and reuses it', async () => {
    expect(extractor.isolated).toBe(true);
    const a = await extractor.extract(await makePdf(['One.', 'Two.']), 'application/pdf', { timeoutMs: 30_000 });
    const b = await extractor.extract(await makePdf(['Three.']), 'application/pdf', { timeoutMs: 30_000 });
    expect(a.pageCount).toBe(2);
    expect(b.blocks[0]!.text).toBe('Three.');
  });

  it('reports extraction errors from the thread as ExtractionError', async () => {
    await expect(extractor.extract(enc('%PDF-1.4 broken'), 'application/pdf', { timeoutMs: 30_000 })).rejects.toBeInstanceOf(ExtractionError);
  });

  it('terminates a thread that overruns its deadline', async () => {
    const pdf = await makePdf(Array.from({ length: 40 }, (_, i) => `Page ${i} ${'words '.repeat(100)}`));
    await expect(extractor.extract(pdf, 'application/pdf', { timeoutMs: 1 })).rejects.toThrow(/took longer than/);
    // The next document still works.
    const ok = await extractor.extract(await makePdf(['After.']), 'application/pdf', { timeoutMs: 30_000 });
    expect(ok.blocks[0]!.text).toBe('After.');
  });
});
