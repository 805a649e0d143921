/**
 * OCR (issue 15): images of text and a scanned PDF (made by rasterising a
 * text PDF) are recognised offline, in the memory-limited extraction process,
 * page by page with progress; the recognised pages are marked; the character
 * accuracy is measured against the text the fixtures were drawn from. A
 * 20,000 × 20,000 image is refused from its header. And tesseract.js fetches
 * nothing: OCR runs with every outbound connection refused (and, where the
 * kernel allows it, in a network namespace with no network at all).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { characterAccuracy, hugePngHeader, printTextPdf, rasterisePdf, textImage, textTiff } from '../../../../test/support/format-fixtures.js';
import { repoRoot } from '../../../../test/support/process.js';
import { sniffBuffer } from '../sniff.js';
import { extractDocument } from './index.js';
import { IsolatedExtractor } from './isolated.js';
import { defaultExtractLimits } from './types.js';

const LINES = ['The harbour authority approved the new lighthouse', 'budget on Tuesday after a long debate about gulls.'];
const PAGES = [
  'The harbour authority approved the new lighthouse budget on Tuesday morning after a long debate about the nesting gulls.',
  'The second page describes the copper mine near the river delta and its flooded lower galleries.',
];
const chunk = { maxTokens: 200, overlap: 0 };

describe('OCR in the extraction process', { timeout: 180_000 }, () => {
  const extractor = new IsolatedExtractor();
  afterAll(() => extractor.close());

  it.each(['png', 'jpeg', 'webp', 'tiff'] as const)('an image of text (%s) is recognised with high character accuracy', async (format) => {
    const image = format === 'tiff' ? await textTiff(LINES) : await textImage(LINES, format);
    const sniffed = sniffBuffer(image);
    expect(sniffed).toEqual({ ok: true, mime: `image/${format}` });
    const progress: string[] = [];
    const started = performance.now();
    const out = await extractor.extractPassages(image, (sniffed as { mime: string }).mime, { chunk, timeoutMs: 120_000, onProgress: (m) => progress.push(m) });
    const seconds = (performance.now() - started) / 1000;
    const text = out.passages.map((p) => p.text).join(' ');
    const accuracy = characterAccuracy(LINES.join(' '), text);
    console.log(`[ocr] ${format} ${image.length} bytes: ${seconds.toFixed(2)} s, character accuracy ${(accuracy * 100).toFixed(1)}%`);
    expect(accuracy).toBeGreaterThan(0.95);
    expect(out.passages[0]!.page).toBe(1);
    expect(out.ocrPages).toEqual([1]);
    expect(progress).toEqual(['OCR page 1 of 1']);
  });

  it('a scanned PDF (a text PDF rasterised at 150 dpi) is recognised page by page, with progress, its pages marked', async () => {
    const textPdf = await printTextPdf(PAGES);
    // The text PDF has a text layer; its scan has none.
    const fromText = await extractDocument(textPdf, 'application/pdf');
    expect(fromText.ocrPages).toBeUndefined();
    const scan = await rasterisePdf(textPdf, 150);
    const progress: string[] = [];
    const started = performance.now();
    const out = await extractor.extractPassages(scan, 'application/pdf', { chunk, timeoutMs: 180_000, onProgress: (m) => progress.push(m) });
    const seconds = (performance.now() - started) / 1000;
    expect(out.pageCount).toBe(2);
    expect(out.ocrPages).toEqual([1, 2]);
    expect(progress[0]).toBe('OCR page 1 of 2');
    for (const [i, expected] of PAGES.entries()) {
      const got = out.passages.filter((p) => p.page === i + 1).map((p) => p.text).join(' ');
      const accuracy = characterAccuracy(expected, got);
      console.log(`[ocr] scanned PDF page ${i + 1}: character accuracy ${(accuracy * 100).toFixed(1)}%`);
      expect(accuracy).toBeGreaterThan(0.95);
    }
    console.log(`[ocr] scanned PDF: ${(seconds / 2).toFixed(2)} s per page (2 pages at 200 dpi, Tesseract start included)`);
    expect(out.passages.find((p) => p.text.includes('copper mine'))?.page).toBe(2);
  });

  it('a PDF mixing a text page and a scanned page OCRs only the scanned one', async () => {
    const { PDFDocument } = await import('pdf-lib');
    const textPdf = await printTextPdf(['This page has a real text layer about orchards and apples.']);
    const scanned = await PDFDocument.load(await rasterisePdf(await printTextPdf([PAGES[1]!]), 150));
    const mixed = await PDFDocument.load(textPdf);
    const [page] = await mixed.copyPages(scanned, [0]);
    mixed.addPage(page);
    const out = await extractor.extractPassages(Buffer.from(await mixed.save()), 'application/pdf', { chunk, timeoutMs: 120_000 });
    expect(out.ocrPages).toEqual([2]);
    expect(out.passages.find((p) => p.text.includes('orchards'))?.page).toBe(1);
    expect(characterAccuracy(PAGES[1]!, out.passages.filter((p) => p.page === 2).map((p) => p.text).join(' '))).toBeGreaterThan(0.95);
  });

  it('a 20,000 × 20,000 pixel image is refused from its header, before anything decodes it', async () => {
    const huge = hugePngHeader(20_000, 20_000);
    const started = performance.now();
    await expect(extractor.extract(huge, 'image/png', { timeoutMs: 30_000 })).rejects.toThrow(
      'the image is 20000 × 20000 pixels; images of at most 40 megapixels are read',
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    // The process is still good for the next document.
    const next = await extractor.extract(await textImage(['Still working fine']), 'image/png', { timeoutMs: 60_000 });
    expect(next.blocks.map((b) => b.text).join(' ')).toContain('working');
  });

  it('with OCR turned off, an image fails with a reason and a scanned page is left empty', async () => {
    const off = { ...defaultExtractLimits, maxOcrPages: 0 };
    await expect(extractDocument(await textImage(['x']), 'image/png', off)).rejects.toThrow('text recognition (OCR) is turned off');
  });
});

describe('OCR needs no network', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'quarry-ocr-offline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const require = createRequire(import.meta.url);
  const tsx = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist/esm/index.mjs')).href;
  const guard = pathToFileURL(path.join(repoRoot, 'test/support/network-guard.mjs')).href;
  const script = path.join(repoRoot, 'test/support/offline-ocr.mts');

  const run = (command: string, args: string[], env: Record<string, string>) =>
    new Promise<string>((resolve, reject) =>
      execFile(command, args, { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr.slice(0, 2000)}`)) : resolve(stdout),
      ),
    );

  it('recognises an image with every outbound connection, DNS lookup and fetch refused, in every thread', async () => {
    const image = path.join(dir, 'text.png');
    writeFileSync(image, await textImage(LINES));
    const log = path.join(dir, 'guard.log');
    const text = JSON.parse(await run(process.execPath, ['--import', guard, '--import', tsx, script, image, 'image/png'], { NETWORK_GUARD_LOG: log })) as string;
    expect(characterAccuracy(LINES.join(' '), text)).toBeGreaterThan(0.95);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.startsWith('attempt'))).toEqual([]);
    // The guard ran in the main thread and in Tesseract's worker thread.
    expect(lines).toContain('loaded thread=0');
    expect(lines.some((l) => /^loaded thread=[1-9]/.test(l))).toBe(true);
  });

  const canUnshare = (() => {
    try {
      execFileSync('unshare', ['-rn', 'true'], { stdio: 'ignore', timeout: 5_000 });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!canUnshare)('recognises an image inside a network namespace with no interfaces but loopback', async () => {
    const image = path.join(dir, 'text2.png');
    writeFileSync(image, await textImage(LINES));
    const text = JSON.parse(await run('unshare', ['-rn', process.execPath, '--import', tsx, script, image, 'image/png'], {})) as string;
    expect(characterAccuracy(LINES.join(' '), text)).toBeGreaterThan(0.95);
  });
});
