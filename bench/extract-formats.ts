/**
 * Extraction speed per format (issue 15): the same text — CISI abstracts when ../shared/data/cisi is there,
 * else generated paragraphs — written into each format by the test fixture builders, then extracted in this
 * process by `extractDocument` (what the isolated extraction process runs). Each format's time is the median
 * of 3 runs after one warm-up; the baseline is plain text of the same paragraphs, in the same run. OCR is
 * measured apart, on one image of text (its time is Tesseract's, per page).
 *
 *   npx tsx bench/extract-formats.ts            print the table
 *   npx tsx bench/extract-formats.ts --write    also write it into docs/benchmarks.md ("Extraction per format")
 *
 * Nothing leaves the process: the fixtures are made here, OCR's model is read from node_modules.
 */
import { cpus, loadavg } from 'node:os';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { extractDocument, EPUB_MIME, ODP_MIME, ODS_MIME, ODT_MIME, PPTX_MIME, XLSX_MIME } from '@quarry/ingest';
import { makeDocx, makePdf } from '../test/support/document-fixtures.js';
import { characterAccuracy, makeEmail, makeEpub, makeOdp, makeOds, makeOdt, makePptx, makeRtf, makeXlsx, textImage } from '../test/support/format-fixtures.js';
import { loadSmartCollection, sharedDataDir } from './collections.js';
import { replaceSection } from './report.js';

const write = process.argv.includes('--write');
const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
/** Paragraphs per document: 300 CISI abstracts are ~0.25 MB of text. */
const PARAGRAPHS = 300;
/** Paragraphs per page, slide, sheet row group or chapter. */
const PER_PAGE = 6;

function paragraphs(): { source: string; items: Array<{ title: string; text: string }> } {
  if (existsSync(path.join(sharedDataDir(), 'cisi'))) {
    const docs = loadSmartCollection('cisi').docs.slice(0, PARAGRAPHS);
    return { source: `${docs.length} CISI abstracts`, items: docs.map((d) => ({ title: d.title, text: d.text.replace(/\s+/g, ' ').trim() })) };
  }
  const words = 'library catalogue index retrieval journal citation archive reader abstract subject classification'.split(' ');
  const items = Array.from({ length: PARAGRAPHS }, (_, p) => ({
    title: `Part ${p + 1}`,
    text: `${Array.from({ length: 120 }, (_, w) => words[(p * 13 + w * 31) % words.length]).join(' ')}.`,
  }));
  return { source: `${PARAGRAPHS} generated paragraphs`, items };
}

const groups = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function fixtures(items: Array<{ title: string; text: string }>): Promise<Array<{ format: string; mime: string; bytes: Buffer; units: string }>> {
  const pages = groups(items, PER_PAGE);
  const plain = items.map((i) => `${i.title}\n\n${i.text}`).join('\n\n');
  const slides = pages.map((g, i) => ({ title: `Slide ${i + 1}`, body: g.map((p) => p.text) }));
  const rows = [['Title', 'Abstract'], ...items.map((i) => [i.title, i.text])];
  const csv = rows.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\n');
  return [
    { format: 'plain text (baseline)', mime: 'text/plain', bytes: Buffer.from(plain), units: '1 file' },
    { format: 'Markdown', mime: 'text/markdown', bytes: Buffer.from(items.map((i) => `## ${i.title}\n\n${i.text}`).join('\n\n')), units: `${items.length} sections` },
    {
      format: 'HTML',
      mime: 'text/html',
      bytes: Buffer.from(
        `<!doctype html><html><head><title>Bench</title></head><body><nav><a href="/">Home</a></nav><main>${items
          .map((i) => `<h2>${escapeHtml(i.title)}</h2><p>${escapeHtml(i.text)}</p>`)
          .join('')}</main><footer>Footer</footer></body></html>`,
      ),
      units: `${items.length} sections`,
    },
    { format: 'PDF (text layer)', mime: 'application/pdf', bytes: await makePdf(pages.map((g) => g.map((p) => p.text).join('\n\n'))), units: `${pages.length} pages` },
    { format: 'DOCX', mime: DOCX_MIME, bytes: await makeDocx(items.map((i) => ({ heading: i.title, paragraphs: [i.text] }))), units: `${items.length} sections` },
    { format: 'PPTX', mime: PPTX_MIME, bytes: makePptx(slides), units: `${slides.length} slides` },
    { format: 'XLSX', mime: XLSX_MIME, bytes: makeXlsx([{ name: 'Abstracts', rows }]), units: `${rows.length} rows` },
    { format: 'CSV', mime: 'text/csv', bytes: Buffer.from(csv), units: `${rows.length} rows` },
    { format: 'ODT', mime: ODT_MIME, bytes: makeOdt(items.map((i) => ({ heading: i.title, paragraphs: [i.text] }))), units: `${items.length} sections` },
    { format: 'ODS', mime: ODS_MIME, bytes: makeOds([{ name: 'Abstracts', rows }]), units: `${rows.length} rows` },
    { format: 'ODP', mime: ODP_MIME, bytes: makeOdp(slides), units: `${slides.length} slides` },
    {
      format: 'EPUB',
      mime: EPUB_MIME,
      bytes: makeEpub('Bench', pages.map((g, i) => ({ title: `Chapter ${i + 1}`, paragraphs: g.map((p) => p.text) }))),
      units: `${pages.length} chapters`,
    },
    { format: 'e-mail (RFC 822)', mime: 'message/rfc822', bytes: makeEmail({ subject: 'Bench', from: 'a@example.com', to: 'b@example.com', body: plain }), units: '1 body' },
    { format: 'RTF', mime: 'application/rtf', bytes: makeRtf(items.map((i) => `${i.title}. ${i.text}`)), units: `${items.length} paragraphs` },
  ];
}

async function timeExtract(bytes: Buffer, mime: string): Promise<{ ms: number; chars: number }> {
  let chars = 0;
  const times: number[] = [];
  for (let run = 0; run < 4; run++) {
    const started = performance.now();
    const result = await extractDocument(new Uint8Array(bytes), mime);
    const ms = performance.now() - started;
    chars = result.blocks.reduce((n, b) => n + b.text.length, 0);
    if (run > 0) times.push(ms); // the first run warms the parser's code
  }
  times.sort((a, b) => a - b);
  return { ms: times[1]!, chars };
}

const { source, items } = paragraphs();
const load = loadavg().map((l) => l.toFixed(2)).join(' / ');
const rows: string[] = [];
let baseline: number | undefined;
for (const f of await fixtures(items)) {
  const { ms, chars } = await timeExtract(f.bytes, f.mime);
  const mbps = chars / 1048576 / (ms / 1000);
  baseline ??= mbps;
  const line = `| ${f.format} | ${(f.bytes.length / 1024).toFixed(0)} KB, ${f.units} | ${ms.toFixed(1)} ms | ${mbps.toFixed(1)} MB/s | ${(mbps / baseline).toFixed(3)}× |`;
  console.log(line);
  rows.push(line);
}

// OCR: one image of five lines, recognised by tesseract.js with the bundled English model.
const ocrLines = ['Quarry reads scanned pages offline.', 'Tesseract recognises each page.', 'The text becomes searchable.', 'Page numbers are kept.', 'Nothing is downloaded.'];
const image = await textImage(ocrLines);
const ocrStarted = performance.now();
const ocr = await extractDocument(new Uint8Array(image), 'image/png');
const ocrMs = performance.now() - ocrStarted;
const ocrText = ocr.blocks.map((b) => b.text).join('\n');
const accuracy = characterAccuracy(ocrLines.join('\n'), ocrText);

const body = [
  `\`npx tsx bench/extract-formats.ts\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load average ${load} (1/5/15 min) at the start, ` +
    `Node ${process.version}. The same text (${source}, ${(items.reduce((n, i) => n + i.text.length + i.title.length, 0) / 1048576).toFixed(2)} MB) written into each format by the test ` +
    `fixture builders, extracted in process by \`extractDocument\` (what the extraction process runs); median of 3 after a warm-up. ` +
    `MB/s counts the characters extracted; the baseline is plain text of the same paragraphs, in the same run.`,
  '',
  '| format | file | extraction | text MB/s | vs plain text |',
  '|---|---|---|---|---|',
  ...rows,
  '',
  `OCR (tesseract.js, bundled English model): one 5-line PNG (${(image.length / 1024).toFixed(0)} KB) in ${(ocrMs / 1000).toFixed(1)} s, ` +
    `Tesseract's start included; character accuracy ${(accuracy * 100).toFixed(1)} % against the drawn text.`,
].join('\n');
console.log(`\n${body}`);
if (write) replaceSection('Extraction per format', body);
