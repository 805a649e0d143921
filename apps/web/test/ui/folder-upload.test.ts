/**
 * Uploading a folder in the browser (issue 15): the directory picker on the
 * documents screen sends every file with its path in the folder; a file
 * Quarry cannot read is listed as skipped with the server's reason (not a
 * failed upload); hidden folders are left out; the paths reach the API.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyPgliteTemplate } from '../../../../test/support/pglite-template.js';
import { freePort, repoRoot, startQuarry, type QuarryProcess } from '../../../../test/support/process.js';
import { launchBrowser } from './browser.js';

const PASSWORD = 'correct horse battery';
const WAIT = { timeout: 30_000 };

let server: QuarryProcess;
let browser: Browser;
let base: string;
let dataDir: string;
const folder = mkdtempSync(path.join(tmpdir(), 'quarry-folder-'));

beforeAll(async () => {
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: path.join(repoRoot, 'apps/web'), encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  dataDir = mkdtempSync(path.join(tmpdir(), 'quarry-ui-folder-'));
  await copyPgliteTemplate(dataDir);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = await startQuarry({ DATA_DIR: dataDir, PORT: String(port), PUBLIC_URL: base, SIGNUP_MODE: 'invite', LOG_LEVEL: 'warn' });
  browser = await launchBrowser();
  const put = (rel: string, data: string | Buffer) => {
    mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
    writeFileSync(path.join(folder, rel), data);
  };
  put('field-notes/cliffs.md', '# Cliffs\n\nThe chalk cliffs retreat a metre each winter.\n');
  put('field-notes/2026/tides.txt', 'Spring tides flooded the lower car park twice.');
  put('field-notes/sketch.gif', Buffer.from('GIF89a\x10\x00\x10\x00', 'latin1'));
  put('field-notes/.cache/state.txt', 'hidden');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  rmSync(folder, { recursive: true, force: true });
});

describe('folder upload in the browser', { timeout: 120_000 }, () => {
  it('uploads a chosen folder with paths; the unreadable file is listed as skipped with the reason', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(base);
    await page.getByRole('heading', { name: 'Set up Quarry' }).waitFor();
    await page.getByLabel('Name').fill('Ada Admin');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create administrator account' }).click();
    await page.getByRole('link', { name: 'Admin' }).waitFor();
    await page.getByLabel('Workspace', { exact: true }).selectOption('__new');
    await page.getByLabel('Workspace name').fill('Coast');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('heading', { name: 'Coast: documents' }).waitFor();
    const ws = /\/w\/([^/?#]+)/.exec(page.url())![1]!;

    await page.locator('#folder-input').setInputFiles(path.join(folder, 'field-notes'));
    const summary = page.getByTestId('folder-summary');
    await expect.poll(() => summary.innerText(), WAIT).toContain('3 of 3 files: 2 uploaded, 0 already here, 1 skipped');
    const skipped = page.getByTestId('folder-skipped');
    expect(await skipped.count()).toBe(1);
    expect(await skipped.innerText()).toMatch(/field-notes\/sketch\.gif\s+skipped: .*GIF image/);

    const listed = await page.evaluate(async (url) => (await (await fetch(url, { credentials: 'include' })).json()) as { items: Array<{ path: string }> }, `${base}/api/workspaces/${ws}/documents?path=field-notes`);
    expect(listed.items.map((d) => d.path).sort()).toEqual(['field-notes/2026/tides.txt', 'field-notes/cliffs.md']);
    await context.close();
  });
});
