/**
 * The reader in a real browser against a real `quarry serve`, the way a user
 * gets there: sign in and land, upload, then a search hit and an Ask citation
 * open the right document at the passage — highlighted and on screen — for a
 * PDF (its page view too), an HTML and a DOCX document; next / previous match;
 * screenshots with axe at 1280 and 375 px, light and dark. Then the timings the
 * issue asks for: a 4 MB HTML book and a 50-page PDF, first paint and passage
 * visible (written to test-results/reader-timings.json).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDocx, makePdf } from '../../../../test/support/document-fixtures.js';
import { copyPgliteTemplate } from '../../../../test/support/pglite-template.js';
import { freePort, repoRoot, startQuarry, type QuarryProcess } from '../../../../test/support/process.js';
import { capture, launchBrowser, openPage, shots } from './browser.js';

const PASSWORD = 'correct horse battery';
const WAIT = { timeout: 60_000 };

let server: QuarryProcess;
let browser: Browser;
let base: string;
let dataDir: string;
const contexts: BrowserContext[] = [];
const timings: Record<string, unknown> = {};

/** A PDF whose page 4 alone speaks of basalt columns (so a hit on page 4 is the right one). */
const pdfPages = [
  'Coastal survey. This survey describes the cliffs and beaches along the northern coast in the spring season.',
  'Sandstone. The sandstone cliffs erode quickly in winter storms and are monitored every month by volunteers.',
  'Chalk. Chalk stacks stand offshore; their caves shelter seabirds during the breeding season each year.',
  'Basalt. The hexagonal basalt columns formed when a thick lava flow cooled slowly and cracked into prisms.',
  'Shingle. Shingle ridges protect the lagoon behind them and move a few metres inland every decade.',
];
const htmlBook = `<!doctype html><html><head><title>Harbour almanac</title></head><body>
<h1>Harbour almanac</h1>
<h2>Tides</h2><p>Spring tides at the harbour mouth reach four metres; the lighthouse keeper logs every one of them.</p>
<h2>Moorings</h2><p>Visitors moor at the outer pontoon. The harbour master assigns berths by the length of the boat.</p>
<table><tr><th>Berth</th><th>Length</th></tr><tr><td>A1</td><td>12 m</td></tr><tr><td>B4</td><td>9 m</td></tr></table>
<h2>Lighthouse</h2><h3>History</h3><p>The granite lighthouse was lit in 1851 and its lamp was converted to electricity in 1952.</p>
<h3>Visits</h3><p>The lighthouse opens for visits on summer weekends, when the lighthouse stairs are swept.</p>
</body></html>`;

async function docxBook(): Promise<Buffer> {
  return makeDocx([
    { heading: 'Orchard register', paragraphs: ['This register lists the trees planted in the community orchard.'] },
    {
      heading: 'Pruning',
      paragraphs: [
        'Apple trees are pruned in late winter while dormant, removing crossing branches to open the crown.',
      ],
      table: [
        ['Tree', 'Variety', 'Planted'],
        ['1', 'Bramley', '2019'],
        ['2', 'Cox', '2020'],
      ],
    },
    { heading: 'Harvest', paragraphs: ['Quince fruit is harvested in October once it turns golden and fragrant.'] },
  ]);
}

async function signIn(page: Page, email: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The element's box lies inside the viewport (on screen, not merely in the DOM). */
async function expectOnScreen(page: Page, locator: Locator, what: string) {
  await expect
    .poll(
      async () => {
        const box = await locator.boundingBox();
        const vp = page.viewportSize()!;
        return (
          !!box &&
          box.y >= 0 &&
          box.y < vp.height &&
          box.y + Math.min(box.height, vp.height / 2) <= vp.height &&
          box.x >= 0 &&
          box.x < vp.width
        );
      },
      { timeout: 10_000, message: `${what} is on screen` },
    )
    .toBe(true);
}

/** The reader shows the linked passage of the document `title`, highlighted and on screen, containing `word`. */
async function expectPassageOpen(page: Page, title: string, word: string) {
  await page.getByRole('heading', { level: 1, name: title }).waitFor(WAIT);
  const url = new URL(page.url());
  expect(url.searchParams.get('passage') ?? url.hash.replace(/^#p-/, '')).toMatch(/^[0-9a-f-]{36}$/);
  const passage = page.getByTestId('passage');
  await passage.waitFor(WAIT);
  expect((await passage.innerText()).toLowerCase()).toContain(word);
  expect(await passage.getAttribute('class')).toContain('current');
  await expectOnScreen(page, passage, `the passage with “${word}”`);
  // Its neighbours are there around it: the document, not an isolated passage.
  expect(await page.locator('.reader-passage').count()).toBeGreaterThan(1);
}

async function search(page: Page, q: string) {
  await page.getByRole('link', { name: 'Search', exact: true }).click();
  await page.getByLabel('Search query').fill(q);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByTestId('search-result').first().waitFor(WAIT);
}

async function ask(page: Page, question: string, documentId: string) {
  await page.getByRole('link', { name: 'Ask', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /^Ask / }).waitFor(WAIT);
  await page.getByLabel('Your question').fill(question);
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  // A citation (in the answer or its sources) that opens this document at a passage.
  const citation = page.locator(`main a[href*="/documents/${documentId}?"][href*="passage="]`).first();
  await citation.waitFor(WAIT);
  return citation;
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
    cwd: path.join(repoRoot, 'apps/web'),
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  dataDir = mkdtempSync(path.join(tmpdir(), 'quarry-ui-reader-'));
  await copyPgliteTemplate(dataDir);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = await startQuarry({
    DATA_DIR: dataDir,
    PORT: String(port),
    PUBLIC_URL: base,
    SIGNUP_MODE: 'open',
    LOG_LEVEL: 'warn',
  });
  // The first account (an administrator in a development install); the browser signs in with it below.
  const res = await fetch(`${base}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ email: 'rhea@example.com', password: PASSWORD, name: 'Rhea Reader' }),
  });
  if (res.status !== 200) throw new Error(`sign-up: ${res.status} ${await res.text()}`);
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  writeFileSync(path.join(repoRoot, 'test-results', 'reader-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the reader in a browser', { timeout: 180_000 }, () => {
  let page: Page;
  let ws = '';
  const ids: Record<'pdf' | 'html' | 'docx', string> = { pdf: '', html: '', docx: '' };
  const titles: Record<'pdf' | 'html' | 'docx', string> = { pdf: '', html: '', docx: '' };

  it('signs in, lands on the documents, and uploads a PDF, an HTML and a DOCX document', async () => {
    page = await openPage(browser, base, contexts);
    await page.goto(base);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(page, 'rhea@example.com');
    await page.getByRole('heading', { name: 'Personal: documents' }).waitFor(WAIT);
    ws = /\/w\/([^/?#]+)/.exec(page.url())![1]!;
    await page.locator('#file-input').setInputFiles([
      { name: 'coastal-survey.pdf', mimeType: 'application/pdf', buffer: await makePdf(pdfPages) },
      { name: 'harbour-almanac.html', mimeType: 'text/html', buffer: Buffer.from(htmlBook) },
      {
        name: 'orchard-register.docx',
        mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        buffer: await docxBook(),
      },
    ]);
    await expect
      .poll(() => page.locator('[data-testid=document-row] [data-status=ready]').count(), { timeout: 90_000 })
      .toBe(3);
    const list = (await (await page.request.get(`${base}/api/workspaces/${ws}/documents`)).json()) as {
      items: Array<{ id: string; filename: string; title: string }>;
    };
    for (const d of list.items) {
      const kind = (['pdf', 'html', 'docx'] as const).find((k) => d.filename.endsWith(`.${k}`));
      if (kind) {
        ids[kind] = d.id;
        titles[kind] = d.title;
      }
    }
    expect(Object.values(ids).every(Boolean)).toBe(true);
  });

  it('a search hit opens the HTML document at the passage, with its headings and table, and steps through the matches', async () => {
    await search(page, 'lighthouse');
    await page.getByTestId('search-result').filter({ hasText: titles.html }).getByRole('link').first().click();
    await expectPassageOpen(page, titles.html, 'lighthouse');
    expect(new URL(page.url()).searchParams.get('q')).toBe('lighthouse');
    // The text as a document: headings, a table as a table, the query's words marked.
    // Levels follow the document's (its own h1 is the h2 under the page title): h2 Lighthouse › h3 History.
    await page.locator('.reader-text h3', { hasText: 'Lighthouse' }).waitFor();
    await page.locator('.reader-text h4', { hasText: 'History' }).waitFor();
    expect(await page.locator('.reader-text table td', { hasText: 'B4' }).count()).toBe(1);
    expect((await page.locator('.reader-text mark').first().innerText()).toLowerCase()).toBe('lighthouse');
    const count = page.getByTestId('match-count');
    await expect.poll(() => count.innerText()).toMatch(/Match \d of \d for “lighthouse”/);
    const first = await page.getByTestId('passage').getAttribute('data-passage-id');
    const total = Number(/of (\d+)/.exec(await count.innerText())![1]);
    if (total > 1) {
      await page.getByRole('button', { name: 'Next match' }).click();
      await expect.poll(() => page.getByTestId('passage').getAttribute('data-passage-id')).not.toBe(first);
      await expectOnScreen(page, page.getByTestId('passage'), 'the next match');
      await page.getByRole('button', { name: 'Previous match' }).click();
      await expect.poll(() => page.getByTestId('passage').getAttribute('data-passage-id')).toBe(first);
    }
    await capture(page, 'reader-html', { darkAt375: true });
  });

  it('a search hit opens the DOCX document at the passage, its table as a table', async () => {
    await search(page, 'pruned dormant');
    await page.getByTestId('search-result').filter({ hasText: titles.docx }).getByRole('link').first().click();
    await expectPassageOpen(page, titles.docx, 'pruned');
    expect(await page.locator('.reader-text table td', { hasText: 'Bramley' }).count()).toBe(1);
    await capture(page, 'reader-docx', { darkAt375: true });
  });

  it('a search hit opens the PDF at its page 4 passage; the page view draws the page with the passage highlighted', async () => {
    await search(page, 'hexagonal basalt columns');
    await page.getByTestId('search-result').filter({ hasText: titles.pdf }).getByRole('link').first().click();
    await expectPassageOpen(page, titles.pdf, 'basalt');
    await page.getByRole('separator', { name: 'Page 4' }).waitFor();
    await page.getByRole('button', { name: 'Page', exact: true }).click();
    await page.getByRole('img', { name: 'Page 4 of the original PDF' }).waitFor(WAIT);
    const highlight = page.getByTestId('page-highlight').first();
    await highlight.waitFor(WAIT);
    await expectOnScreen(page, highlight, 'the highlight on page 4');
    // The highlight covers the passage's line, not the whole page.
    const box = (await highlight.boundingBox())!;
    const canvas = (await page.locator('.page-canvas canvas').boundingBox())!;
    expect(box.height).toBeLessThan(canvas.height / 4);
    // The canvas really has ink on it (pdf.js drew the page, with its worker from this server).
    const inked = await page.locator('.page-canvas canvas').evaluate((c: HTMLCanvasElement) => {
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i]! < 128) dark++;
      return dark;
    });
    expect(inked).toBeGreaterThan(100);
    await capture(page, 'reader-pdf-page', { darkAt375: true });
    // One click back to the text, at the same passage.
    await page.getByRole('button', { name: 'Text', exact: true }).click();
    await expectOnScreen(page, page.getByTestId('passage'), 'the passage back in the text view');
  });

  it('an Ask citation opens the right document at the passage, for the HTML, DOCX and PDF documents', async () => {
    const cases = [
      { question: 'When was the granite lighthouse lit?', id: ids.html, title: titles.html, word: 'lighthouse' },
      { question: 'When are apple trees pruned?', id: ids.docx, title: titles.docx, word: 'pruned' },
      { question: 'How did the hexagonal basalt columns form?', id: ids.pdf, title: titles.pdf, word: 'basalt' },
    ];
    for (const c of cases) {
      const citation = await ask(page, c.question, c.id);
      await citation.click();
      await expectPassageOpen(page, c.title, c.word);
    }
    // The PDF's citation in the page view too.
    await page.getByRole('button', { name: 'Page', exact: true }).click();
    await expectOnScreen(page, page.getByTestId('page-highlight').first(), 'the cited passage on its page');
  });

  it('a #p-<passage> link opens there too, and another user gets "not found", not the text', async () => {
    const passageId = new URL(page.url()).searchParams.get('passage')!;
    await page.goto(`${base}/w/${ws}/documents/${ids.pdf}#p-${passageId}`);
    await expectPassageOpen(page, titles.pdf, 'basalt');
    const other = await openPage(browser, base, contexts);
    await other.request.post(`${base}/api/auth/sign-up/email`, {
      headers: { origin: base },
      data: { email: 'otto@example.com', password: PASSWORD, name: 'Otto' },
    });
    await other.goto(`${base}/w/${ws}/documents/${ids.pdf}?passage=${passageId}`);
    await other.getByRole('heading', { name: 'Not found' }).waitFor(WAIT);
    expect(await other.locator('body').innerText()).not.toContain('basalt');
  });

  it('search comforts: type and date filters, documents counted, ↑/↓ and Enter open a result', async () => {
    await search(page, 'lighthouse basalt');
    const results = page.getByTestId('search-result');
    await page.getByLabel('Type', { exact: true }).selectOption('pdf');
    await expect.poll(async () => (await results.allInnerTexts()).every((t) => t.includes(titles.pdf)), WAIT).toBe(true);
    expect(new URL(page.url()).searchParams.get('type')).toBe('pdf');
    await expect.poll(() => page.getByText(/passages? in 1 document/).count()).toBe(1);
    // A date range that ends before today finds nothing; clearing it finds them again.
    await page.getByLabel('to', { exact: true }).fill('2000-01-01');
    await page.getByText('No passages match.').waitFor(WAIT);
    await page.getByLabel('to', { exact: true }).fill('');
    await page.getByLabel('Type', { exact: true }).selectOption('');
    await results.first().waitFor(WAIT);
    await page.getByRole('button', { name: 'Search tips' }).or(page.getByText('Search tips')).first().click();
    await capture(page, 'search-comforts', { darkAt375: true });
    await page.getByLabel('Search query').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    expect(focused).toBe(await results.first().locator('a.result-title').innerText());
    await page.keyboard.press('Enter');
    await page.getByTestId('passage').waitFor(WAIT);
  });

  it('document management: filter, sort, rename, a failure reason with Retry, select several to re-index or delete', async () => {
    await page.getByRole('link', { name: 'Documents', exact: true }).first().click();
    await page.getByRole('heading', { name: 'Personal: documents' }).waitFor(WAIT);
    await page.locator('#file-input').setInputFiles([
      { name: 'broken.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\nthis is not really a PDF at all\n') },
    ]);
    const rows = page.getByTestId('document-row');
    const failed = rows.filter({ hasText: 'broken.pdf' });
    await failed.getByTestId('failure-reason').waitFor(WAIT);
    expect(await failed.getByTestId('failure-reason').innerText()).toMatch(/Why it failed: .+/);
    await failed.getByRole('button', { name: 'Retry broken.pdf' }).waitFor();
    // Filter by type and status; sort by name.
    await page.locator('.doc-filters').getByLabel('Type', { exact: true }).selectOption('pdf');
    await expect.poll(() => rows.count()).toBe(2);
    await page.locator('.doc-filters').getByLabel('Status', { exact: true }).selectOption('failed');
    await expect.poll(() => rows.count()).toBe(1);
    await capture(page, 'documents-manage', { darkAt375: true });
    await page.locator('.doc-filters').getByLabel('Status', { exact: true }).selectOption('');
    await page.locator('.doc-filters').getByLabel('Type', { exact: true }).selectOption('');
    await page.locator('.doc-filters').getByLabel('Sort by').selectOption('name');
    const names = await rows.locator('.doc-title').allInnerTexts();
    expect(names).toEqual([...names].sort((a, b) => a.toLocaleLowerCase().localeCompare(b.toLocaleLowerCase())));
    // Rename: the title changes everywhere, the file keeps its name.
    await rows.filter({ hasText: titles.docx }).getByRole('button', { name: `Rename ${titles.docx}` }).click();
    await page.getByLabel(`New title for ${titles.docx}`).fill('Orchard register 2026');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await rows.locator('.doc-title', { hasText: 'Orchard register 2026' }).waitFor(WAIT);
    titles.docx = 'Orchard register 2026';
    // Select two, re-index them; then delete the broken one through the selection.
    const reindexed = page.waitForResponse((r) => r.url().endsWith(`/documents/${ids.html}/reindex`));
    await page.getByLabel(`Select ${titles.html}`).check();
    await page.getByLabel(`Select ${titles.docx}`).check();
    await page.getByRole('button', { name: 'Re-index selected' }).click();
    expect((await reindexed).status()).toBe(202);
    await page.getByLabel('Select broken.pdf').check();
    await page.getByLabel(`Select ${titles.html}`).uncheck();
    await page.getByLabel(`Select ${titles.docx}`).uncheck();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByRole('button', { name: 'Delete document' }).click();
    await expect.poll(() => rows.filter({ hasText: 'broken.pdf' }).count(), WAIT).toBe(0);
    await expect.poll(() => page.locator('[data-testid=document-row] [data-status=ready]').count(), { timeout: 90_000 }).toBe(3);
  });

  it('opens a 4 MB HTML book and a 50-page PDF quickly (first paint, passage visible)', async () => {
    const chapters: string[] = [];
    for (let c = 1; chapters.join('').length < 4 * 1024 * 1024; c++) {
      const paras = Array.from(
        { length: 12 },
        (_, p) =>
          `<p>Chapter ${c}, paragraph ${p}: the keeper walked the breakwater at dawn, counting gulls and noting the swell, the wind from the ${['north', 'south', 'east', 'west'][p % 4]} and the colour of the water beyond the bar. ${'Nets dried on the quay while the boats waited for the tide. '.repeat(6)}</p>`,
      );
      chapters.push(
        `<h2>Chapter ${c}</h2>${paras.join('')}${c === 300 ? '<p>The cormorant sanctuary lies beyond the second jetty.</p>' : ''}`,
      );
    }
    const book = Buffer.from(
      `<!doctype html><html><head><title>Keeper's log</title></head><body><h1>Keeper's log</h1>${chapters.join('')}</body></html>`,
    );
    const fiftyPages = await makePdf(
      Array.from(
        { length: 50 },
        (_, i) =>
          `Page ${i + 1} of the ledger. ${i === 39 ? 'The ptarmigan survey results are recorded here. ' : ''}${'Quarry output was weighed and entered in the ledger by the clerk. '.repeat(20)}`,
      ),
    );
    const upload = async (name: string, mimeType: string, buffer: Buffer) => {
      const res = await page.request.post(`${base}/api/workspaces/${ws}/documents`, {
        headers: { origin: base },
        multipart: { file: { name, mimeType, buffer } },
      });
      expect(res.status()).toBe(202);
      const id = ((await res.json()) as { id: string }).id;
      await expect
        .poll(
          async () =>
            (
              (await (await page.request.get(`${base}/api/workspaces/${ws}/documents/${id}`)).json()) as {
                status: string;
              }
            ).status,
          { timeout: 170_000, interval: 500 },
        )
        .toBe('ready');
      return id;
    };
    const bookId = await upload('keepers-log.html', 'text/html', book);
    const ledgerId = await upload('ledger.pdf', 'application/pdf', fiftyPages);
    const find = async (id: string, q: string) => {
      const res = await page.request.get(`${base}/api/workspaces/${ws}/documents/${id}/matches?q=${q}`);
      return ((await res.json()) as { matches: Array<{ passageId: string; page: number | null }> }).matches[0]!;
    };
    const measure = async (name: string, url: string) => {
      const fresh = await openPage(browser, base, contexts);
      await fresh.context().addCookies(await page.context().cookies());
      const started = Date.now();
      await fresh.goto(url);
      const target = fresh.getByTestId('passage');
      await target.waitFor(WAIT);
      await expectOnScreen(fresh, target, name);
      const passageVisibleMs = Date.now() - started;
      const firstPaintMs = await fresh.evaluate(
        () => performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint')?.startTime ?? null,
      );
      timings[name] = {
        firstContentfulPaintMs: firstPaintMs === null ? null : Math.round(firstPaintMs),
        passageVisibleMs,
      };
      return { fresh, passageVisibleMs };
    };
    const deep = await find(bookId, 'cormorant');
    const book1 = await measure(
      'html-4mb-at-passage',
      `${base}/w/${ws}/documents/${bookId}?passage=${deep.passageId}&q=cormorant`,
    );
    expect((await book1.fresh.getByTestId('passage').innerText()).toLowerCase()).toContain('cormorant');
    // The whole book is not in the page: a window of it is.
    const rendered = await book1.fresh.locator('.reader-passage').count();
    const total = (
      (await (await page.request.get(`${base}/api/workspaces/${ws}/documents/${bookId}`)).json()) as {
        passageCount: number;
      }
    ).passageCount;
    timings['html-4mb'] = { bytes: book.length, passages: total, renderedAtOpen: rendered };
    expect(rendered).toBeLessThan(total);
    expect(book1.passageVisibleMs).toBeLessThan(10_000);

    const fromStart = await openPage(browser, base, contexts);
    await fromStart.context().addCookies(await page.context().cookies());
    const t0 = Date.now();
    await fromStart.goto(`${base}/w/${ws}/documents/${bookId}`);
    await fromStart.locator('.reader-passage').first().waitFor(WAIT);
    timings['html-4mb-from-start'] = { firstPassageVisibleMs: Date.now() - t0 };

    const ledger = await find(ledgerId, 'ptarmigan');
    expect(ledger.page).toBe(40);
    const pdfText = await measure(
      'pdf-50-pages-at-passage',
      `${base}/w/${ws}/documents/${ledgerId}?passage=${ledger.passageId}&page=40`,
    );
    expect(pdfText.passageVisibleMs).toBeLessThan(10_000);
    const pdfPage = await openPage(browser, base, contexts);
    await pdfPage.context().addCookies(await page.context().cookies());
    const t1 = Date.now();
    await pdfPage.goto(`${base}/w/${ws}/documents/${ledgerId}?passage=${ledger.passageId}&page=40&view=page`);
    const mark = pdfPage.getByTestId('page-highlight').first();
    await mark.waitFor(WAIT);
    await expectOnScreen(pdfPage, mark, 'the highlight on page 40');
    timings['pdf-50-pages-page-view'] = { highlightVisibleMs: Date.now() - t1 };
    console.info('[reader timings]', JSON.stringify(timings));
  });
});
