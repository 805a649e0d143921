/**
 * Issue 15's formats, extracted in this process from fixtures the tests make:
 * PPTX (slides as pages, notes), XLSX (2 sheets, header row in every table),
 * CSV, ODT/ODS/ODP, EPUB (chapters as headings), e-mail with attachments;
 * sniffed by content. Hostile inputs of each: bombs, huge row counts, a
 * thousand attachments — each fails with a reason or is bounded.
 */
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { makeDocx, makePdf } from '../../../../test/support/document-fixtures.js';
import { makeEmail, makeEpub, makeOdp, makeOds, makeOdt, makePptx, makeRtf, makeXlsx, zipOf } from '../../../../test/support/format-fixtures.js';
import { EPUB_MIME, ODP_MIME, ODS_MIME, ODT_MIME, PPTX_MIME, sniffBuffer, XLSX_MIME } from '../sniff.js';
import { chunkBlocks } from '../chunk.js';
import { extractDocument } from './index.js';
import { MAX_RTF_GROUP_DEPTH, rtfGroupDepth } from './rtf.js';
import { defaultExtractLimits } from './types.js';

const pptx = () =>
  makePptx([
    { title: 'Quarterly review', body: ['Welcome everyone'], notes: ['Remember to thank the finance team'] },
    { title: 'Shipping', body: ['Container volumes doubled in the Rotterdam corridor', 'Delays fell'] },
    { title: 'Outlook', body: ['Hiring three engineers'] },
  ]);

const xlsx = () =>
  makeXlsx([
    { name: 'Revenue', rows: [['Region', 'Quarter', 'Amount'], ['North', 'Q1', 1200], ['South', 'Q1', 900]] },
    { name: 'Staff', rows: [['Name', 'Team'], ['Ada Lovelace', 'Analytical engines'], ['Grace Hopper', 'Compilers']] },
  ]);

describe('sniffing the new formats by content', () => {
  it('tells each zip-based format by the parts inside, images by signature, e-mail by its headers, CSV by name', async () => {
    expect(sniffBuffer(pptx())).toEqual({ ok: true, mime: PPTX_MIME });
    expect(sniffBuffer(xlsx())).toEqual({ ok: true, mime: XLSX_MIME });
    expect(sniffBuffer(makeOdt([{ heading: 'H', paragraphs: ['p'] }]))).toEqual({ ok: true, mime: ODT_MIME });
    expect(sniffBuffer(makeOds([{ name: 'S', rows: [['a']] }]))).toEqual({ ok: true, mime: ODS_MIME });
    expect(sniffBuffer(makeOdp([{ title: 'T', body: [] }]))).toEqual({ ok: true, mime: ODP_MIME });
    expect(sniffBuffer(makeEpub('Book', [{ title: 'One', paragraphs: ['x'] }]))).toEqual({ ok: true, mime: EPUB_MIME });
    expect(sniffBuffer(await makeDocx([{ heading: 'H', paragraphs: ['p'] }]))).toMatchObject({ mime: expect.stringContaining('wordprocessingml') });
    expect(sniffBuffer(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))).toEqual({ ok: true, mime: 'image/png' });
    expect(sniffBuffer(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toEqual({ ok: true, mime: 'image/jpeg' });
    expect(sniffBuffer(Buffer.from('II*\0\x08\0\0\0', 'latin1'))).toEqual({ ok: true, mime: 'image/tiff' });
    expect(sniffBuffer(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'))).toEqual({ ok: true, mime: 'image/webp' });
    expect(sniffBuffer(makeEmail({ subject: 'Hi', from: 'a@example.com', to: 'b@example.com', body: 'Hello' }))).toEqual({ ok: true, mime: 'message/rfc822' });
    expect(sniffBuffer(Buffer.from('a,b\n1,2\n'), 'data.csv')).toEqual({ ok: true, mime: 'text/csv' });
    // RTF by its opening, even with raw `\\bin` bytes inside and whatever its name.
    expect(sniffBuffer(makeRtf(['Hello.']), 'letter.txt')).toEqual({ ok: true, mime: 'application/rtf' });
    // A text that merely mentions a header is not an e-mail.
    expect(sniffBuffer(Buffer.from('From: the desk of the editor\n\nDear reader'))).toEqual({ ok: true, mime: 'text/plain' });
    expect(sniffBuffer(zipOf([{ name: 'notes.txt', data: 'x' }]))).toMatchObject({ ok: false, reason: expect.stringContaining('not a Word, PowerPoint, Excel') });
    expect(sniffBuffer(Buffer.from('GIF89a\0\0'))).toMatchObject({ ok: false, reason: 'the file is a GIF image' });
  });
});

describe('extracting the new formats', () => {
  it('PPTX: slides in presentation order as pages, titles as headings, notes kept, slide numbers dropped', async () => {
    const out = await extractDocument(pptx(), PPTX_MIME);
    expect(out.pageCount).toBe(3);
    expect(out.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Slide 1: Quarterly review', page: 1 },
      { kind: 'paragraph', text: 'Welcome everyone', page: 1 },
      { kind: 'heading', level: 2, text: 'Speaker notes', page: 1 },
      { kind: 'paragraph', text: 'Remember to thank the finance team', page: 1 },
      { kind: 'heading', level: 1, text: 'Slide 2: Shipping', page: 2 },
      { kind: 'paragraph', text: 'Container volumes doubled in the Rotterdam corridor', page: 2 },
      { kind: 'paragraph', text: 'Delays fell', page: 2 },
      { kind: 'heading', level: 1, text: 'Slide 3: Outlook', page: 3 },
      { kind: 'paragraph', text: 'Hiring three engineers', page: 3 },
    ]);
    const passages = chunkBlocks(out.blocks, { maxTokens: 200, overlap: 0 });
    const rotterdam = passages.find((p) => p.text.includes('Rotterdam corridor'));
    expect(rotterdam).toMatchObject({ page: 2, headingPath: ['Slide 2: Shipping'] });
  });

  it('XLSX: two sheets as pages 1 and 2, each headed by its name, the header row in every table block', async () => {
    const out = await extractDocument(xlsx(), XLSX_MIME);
    expect(out.pageCount).toBe(2);
    expect(out.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Revenue', page: 1 },
      { kind: 'table', text: 'Region | Quarter | Amount\nNorth | Q1 | 1200\nSouth | Q1 | 900', page: 1 },
      { kind: 'heading', level: 1, text: 'Staff', page: 2 },
      { kind: 'table', text: 'Name | Team\nAda Lovelace | Analytical engines\nGrace Hopper | Compilers', page: 2 },
    ]);
  });

  it('XLSX and CSV past the row limit: the header repeats in every block, and a note says how many rows were left out', async () => {
    const rows: Array<Array<string | number>> = [['Id', 'Colour']];
    for (let i = 1; i <= 100; i++) rows.push([i, `colour-${i}`]);
    const limits = { ...defaultExtractLimits, maxRows: 41 };
    const out = await extractDocument(makeXlsx([{ name: 'Big', rows }]), XLSX_MIME, limits);
    const tables = out.blocks.filter((b) => b.kind === 'table');
    expect(tables.length).toBe(3); // 40 data rows in blocks of 15
    for (const t of tables) expect(t.text.startsWith('Id | Colour\n')).toBe(true);
    expect(out.blocks.at(-1)!.text).toBe('Only the first 41 of 101 rows of Big are indexed.');
    expect(out.blocks.map((b) => b.text).join('\n')).not.toContain('colour-41');

    const csv = Buffer.from(rows.map((r) => r.join(',')).join('\n'));
    const fromCsv = await extractDocument(csv, 'text/csv', limits);
    expect(fromCsv.blocks.filter((b) => b.kind === 'table').every((b) => b.text.startsWith('Id | Colour\n'))).toBe(true);
    expect(fromCsv.blocks.at(-1)!.text).toBe('Only the first 41 of 101 rows of CSV are indexed.');
  });

  it('CSV: quoted fields, semicolons, a BOM', async () => {
    const csv = Buffer.from('\ufeffCity;Motto\n"Paris";"Fluctuat nec mergitur"\nAmsterdam;"Heldhaftig; Vastberaden, Barmhartig"\n');
    const out = await extractDocument(csv, 'text/csv');
    expect(out.blocks).toEqual([
      { kind: 'table', text: 'City | Motto\nParis | Fluctuat nec mergitur\nAmsterdam | Heldhaftig; Vastberaden, Barmhartig', page: 1 },
    ]);
  });

  it('a 100,000-row CSV is bounded: read to the row limit, quickly', async () => {
    const lines = ['n,word'];
    for (let i = 0; i < 100_000; i++) lines.push(`${i},word${i}`);
    const started = performance.now();
    const out = await extractDocument(Buffer.from(lines.join('\n')), 'text/csv');
    const ms = performance.now() - started;
    expect(out.blocks.at(-1)!.text).toBe(`Only the first 20,000 of 100,001 rows of CSV are indexed.`);
    expect(ms).toBeLessThan(10_000);
  });

  it('ODT, ODS, ODP: headings and paragraphs; sheets and slides as pages; repeated empty cells cost nothing', async () => {
    const odt = await extractDocument(makeOdt([{ heading: 'Minutes', paragraphs: ['The committee approved the orchard budget.'] }]), ODT_MIME);
    expect(odt.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Minutes' },
      { kind: 'paragraph', text: 'The committee approved the orchard budget.' },
    ]);
    const ods = await extractDocument(
      makeOds([
        { name: 'Plants', rows: [['Plant', 'Height'], ['Oak', '30 m']] },
        { name: 'Birds', rows: [['Bird', 'Song'], ['Wren', 'loud']] },
      ]),
      ODS_MIME,
    );
    expect(ods.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Plants', page: 1 },
      { kind: 'table', text: 'Plant | Height\nOak | 30 m', page: 1 },
      { kind: 'heading', level: 1, text: 'Birds', page: 2 },
      { kind: 'table', text: 'Bird | Song\nWren | loud', page: 2 },
    ]);
    const odp = await extractDocument(makeOdp([{ title: 'Intro', body: ['Hello'] }, { title: 'Plans', body: ['Build a bridge'], notes: ['Mention the river'] }]), ODP_MIME);
    expect(odp.pageCount).toBe(2);
    expect(odp.blocks.filter((b) => b.page === 2).map((b) => b.text)).toEqual(['Slide 2', 'Plans', 'Build a bridge', 'Speaker notes', 'Mention the river']);
  });

  it('EPUB: chapters in spine order, each under a heading (from its <title> when it has none)', async () => {
    const book = makeEpub('Sea Stories', [
      { title: 'The Storm', paragraphs: ['The mast cracked at midnight.'] },
      { title: 'Landfall', paragraphs: ['They reached the island of gulls.'], heading: false },
    ]);
    const out = await extractDocument(book, EPUB_MIME);
    expect(out.title).toBe('Sea Stories');
    expect(out.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'The Storm' },
      { kind: 'paragraph', text: 'The mast cracked at midnight.' },
      { kind: 'heading', level: 1, text: 'Landfall' },
      { kind: 'paragraph', text: 'They reached the island of gulls.' },
    ]);
  });

  it('e-mail: subject as title, headers, body; a readable attachment handed back as a file of its own, the rest listed with the reason', async () => {
    const pdf = await makePdf(['Steel girders cost forty thousand euros.']);
    const mail = makeEmail({
      subject: 'Budget for the bridge',
      from: 'Ada <ada@example.com>',
      to: 'team@example.com',
      body: 'Please find the costings attached.',
      attachments: [
        { filename: 'costings.pdf', contentType: 'application/pdf', content: pdf },
        { filename: 'logo.gif', contentType: 'image/gif', content: Buffer.from('GIF89a\0\0\0\0') },
        { filename: '../../etc/costings.pdf', contentType: 'application/pdf', content: pdf },
      ],
    });
    const out = await extractDocument(mail, 'message/rfc822');
    expect(out.title).toBe('Budget for the bridge');
    expect(out.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Budget for the bridge' },
      { kind: 'paragraph', text: 'From: Ada <ada@example.com>\nTo: team@example.com\nDate: 2026-12-01T09:30:00.000Z' },
      { kind: 'paragraph', text: 'Please find the costings attached.' },
      { kind: 'list', text: 'Attachments, each indexed as a document of its own:\n- costings.pdf\n- costings (2).pdf' },
      { kind: 'list', text: 'Attachments not read:\n- logo.gif: the file is a GIF image' },
    ]);
    // The attachment's text is not the mail's: it comes back as the file itself, byte for byte, named safely.
    expect(out.attachments!.map((a) => [a.filename, a.mime])).toEqual([
      ['costings.pdf', 'application/pdf'],
      ['costings (2).pdf', 'application/pdf'],
    ]);
    expect(Buffer.from(out.attachments![0]!.bytes).equals(pdf)).toBe(true);
  });

  it('RTF: one paragraph per \\par, code-page and Unicode characters decoded; info, header, pictures and field codes left out', async () => {
    const out = await extractDocument(makeRtf(['The café opens at nine, see', 'Prices in € and “quotes” — 東京 too.']), 'application/rtf');
    expect(out.blocks).toEqual([
      { kind: 'paragraph', text: 'The café opens at nine, see the handbook' },
      { kind: 'paragraph', text: 'Prices in € and “quotes” — 東京 too.' },
    ]);
  });

  it('RTF past the text limit fails with that reason; a file that only starts like RTF has no text', async () => {
    const limits = { ...defaultExtractLimits, maxTextChars: 1_000 };
    await expect(extractDocument(makeRtf(Array.from({ length: 100 }, (_, i) => `Paragraph ${i} of filler words.`)), 'application/rtf', limits)).rejects.toThrow(
      'the document holds more than 1000 characters of text',
    );
    await expect(extractDocument(Buffer.from('{\\rtf1{\\info{\\title only}}}'), 'application/rtf')).rejects.toThrow('no text found in the document');
  });

  it('RTF nested past 1,000 groups is refused with its depth (8,000 nested fields ran for 32 s); braces in escapes and \\bin data do not count', async () => {
    const fields = 5_000;
    const hostile = Buffer.from(`{\\rtf1 ${'{\\field{\\*\\fldinst x}{\\fldrslt '.repeat(fields)}y${'}}'.repeat(fields)}}`, 'latin1');
    await expect(extractDocument(hostile, 'application/rtf')).rejects.toThrow(`the RTF file nests groups ${2 * fields + 1} deep (at most ${MAX_RTF_GROUP_DEPTH} are read)`);
    // The fixture's \\bin picture holds a raw `{`; escaped braces are text.
    expect(rtfGroupDepth(Buffer.from('{\\rtf1 {\\pict\\bin3 {{{}\\{\\{ text}', 'latin1'))).toBe(2);
    expect(rtfGroupDepth(makeRtf(['Hello.']))).toBeLessThan(5);
  });

  it('an e-mail with 1,000 attachments is bounded: the first 50 are handed back, the rest are listed as not read', async () => {
    const attachments = Array.from({ length: 1_000 }, (_, i) => ({ filename: `note-${i}.txt`, contentType: 'text/plain', content: Buffer.from(`note number ${i}`) }));
    const started = performance.now();
    const out = await extractDocument(makeEmail({ subject: 'Many', from: 'a@example.com', to: 'b@example.com', body: 'Lots.', attachments }), 'message/rfc822');
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(out.attachments!.map((a) => a.filename)).toEqual(Array.from({ length: 50 }, (_, i) => `note-${i}.txt`));
    expect(out.blocks.at(-1)!.text).toBe('Attachments not read:\n- 950 more attachments (at most 50 are read)');
  });
});

/** A zip of the format's parts with one main part inflating to `bytes` (declared honestly, or as 1 KB). */
function bomb(mainPart: string, extra: Array<{ name: string; data: string; store?: boolean }>, bytes: number, honest: boolean): Buffer {
  const filler = Buffer.alloc(bytes, 0x20);
  filler.write('<?xml version="1.0"?><x>', 0);
  const parts = zipOf([...extra, { name: mainPart, data: filler, declaredSize: honest ? bytes : 1024 }]);
  return parts;
}

describe('zip bombs as PPTX, XLSX, ODT and EPUB fail before they fill memory', () => {
  const limits = { ...defaultExtractLimits, maxUncompressedBytes: 32 * 1024 * 1024 };
  const cases: Array<[string, string, string, Array<{ name: string; data: string; store?: boolean }>]> = [
    ['PPTX', PPTX_MIME, 'ppt/presentation.xml', []],
    ['XLSX', XLSX_MIME, 'xl/workbook.xml', []],
    ['ODT', ODT_MIME, 'content.xml', [{ name: 'mimetype', data: ODT_MIME, store: true }]],
    ['EPUB', EPUB_MIME, 'OEBPS/content.opf', [{ name: 'mimetype', data: EPUB_MIME, store: true }, { name: 'META-INF/container.xml', data: '<container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>' }]],
  ];
  it.each(cases)('%s declaring its size', async (_name, mime, main, extra) => {
    const file = bomb(main, extra, 64 * 1024 * 1024, true);
    expect(file.length).toBeLessThan(1 << 20);
    expect(sniffBuffer(file)).toEqual({ ok: true, mime });
    await expect(extractDocument(file, mime, limits)).rejects.toThrow(/would inflate to more than 32 MB \(a zip bomb\?\)/);
  });
  it.each(cases)('%s lying about its size', async (_name, mime, main, extra) => {
    const file = bomb(main, extra, 64 * 1024 * 1024, false);
    await expect(extractDocument(file, mime, limits)).rejects.toThrow(/(inflates far beyond its size \(a zip bomb\?\)|is damaged)/);
  });
  it('too many parts', async () => {
    const many = zipOf(Array.from({ length: 60 }, (_, i) => ({ name: `ppt/slides/slide${i}.xml`, data: deflateRawSync('x').toString() })));
    await expect(extractDocument(many, PPTX_MIME, { ...limits, maxZipEntries: 50 })).rejects.toThrow('the presentation has 60 parts; at most 50 are allowed');
  });
});
