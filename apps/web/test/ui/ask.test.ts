/**
 * Ask as conversations in a real browser against a real `quarry serve`
 * (offline answers), the way a user gets there: sign in and land, upload,
 * ask, follow up "and how is it invoked?" and get an answer about the same
 * subject, reload and find the thread, open a citation in the reader. Also:
 * Enter sends and Shift+Enter makes a new line, the mode is shown on each
 * answer, thumbs are stored, a thread is shared read-only. Screenshots with
 * axe at 1280 and 375 px, light and dark.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyPgliteTemplate } from '../../../../test/support/pglite-template.js';
import { freePort, repoRoot, startQuarry, type QuarryProcess } from '../../../../test/support/process.js';
import { capture, launchBrowser, openPage, shots } from './browser.js';

const PASSWORD = 'correct horse battery';
const WAIT = { timeout: 60_000 };
const MANUAL = `# asn1Coding

asn1Coding is a command-line tool that encodes ASN.1 values into DER. It reads an ASN.1 definitions file and a file of value assignments, and writes the DER encoding of each value.

## Invoking asn1Coding

asn1Coding is invoked as asn1Coding [options] definitions-file assignments-file from a shell. The option -o names the output file; without it the encoding is written beside the assignments file.

# Beekeeping

A beehive is inspected every seven days in swarm season. The beekeeper looks for queen cells on the lower edge of each frame.
`;

let server: QuarryProcess;
let browser: Browser;
let base: string;
let dataDir: string;
const contexts: BrowserContext[] = [];

async function signUp(email: string, name: string) {
  const res = await fetch(`${base}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ email, password: PASSWORD, name }),
  });
  if (res.status !== 200) throw new Error(`sign-up: ${res.status} ${await res.text()}`);
}

async function signIn(page: Page, email: string) {
  await page.goto(base);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: path.join(repoRoot, 'apps/web'), encoding: 'utf8', timeout: 180_000 });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  dataDir = mkdtempSync(path.join(tmpdir(), 'quarry-ui-ask-'));
  await copyPgliteTemplate(dataDir);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = await startQuarry({ DATA_DIR: dataDir, PORT: String(port), PUBLIC_URL: base, SIGNUP_MODE: 'open', LOG_LEVEL: 'warn' });
  await signUp('ursula@example.com', 'Ursula User');
  await signUp('milo@example.com', 'Milo Member');
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('Ask as conversations in a browser', { timeout: 180_000 }, () => {
  let page: Page;
  let ws = '';
  let threadUrl = '';

  it('signs in, lands on the documents, uploads a manual', async () => {
    page = await openPage(browser, base, contexts);
    await signIn(page, 'ursula@example.com');
    await page.getByRole('heading', { name: 'Personal: documents' }).waitFor(WAIT);
    ws = /\/w\/([^/?#]+)/.exec(page.url())![1]!;
    await page.locator('#file-input').setInputFiles([{ name: 'asn1-manual.md', mimeType: 'text/markdown', buffer: Buffer.from(MANUAL) }]);
    await expect.poll(() => page.locator('[data-testid=document-row] [data-status=ready]').count(), { timeout: 90_000 }).toBe(1);
  });

  it('asks (Enter sends, Shift+Enter is a new line), then follows up about the same subject', async () => {
    await page.getByRole('link', { name: 'Ask', exact: true }).click();
    const box = page.getByLabel('Your question');
    await box.waitFor();
    expect(await box.getAttribute('placeholder')).toMatch(/Enter to send, Shift\+Enter for a new line/);
    await box.fill('What does asn1Coding do?');
    await box.press('Shift+Enter');
    expect(await box.inputValue()).toBe('What does asn1Coding do?\n');
    await box.press('Enter');
    const turns = page.getByTestId('ask-turn');
    await expect.poll(() => turns.count(), WAIT).toBe(1);
    await page.getByRole('button', { name: 'Copy answer' }).first().waitFor(WAIT); // finished
    expect(await turns.first().getByTestId('answer-text').innerText()).toMatch(/encodes ASN\.1 values/);
    // The mode is on the answer.
    expect(await turns.first().getByText('Extractive', { exact: true }).isVisible()).toBe(true);
    expect(new URL(page.url()).searchParams.get('thread')).toMatch(/^[0-9a-f-]{36}$/);

    await box.fill('and how is it invoked?');
    await box.press('Enter');
    await expect.poll(() => turns.count(), WAIT).toBe(2);
    await expect.poll(() => turns.nth(1).getByRole('button', { name: 'Copy answer' }).count(), WAIT).toBe(1);
    const followUp = await turns.nth(1).getByTestId('answer-text').innerText();
    expect(followUp).toMatch(/invoked as asn1Coding/);
    // Rate it: stored on the server.
    await turns.nth(1).getByRole('button', { name: 'Helpful', exact: true }).click();
    await expect.poll(() => turns.nth(1).getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed')).toBe('true');
    threadUrl = page.url();
    await capture(page, 'ask-thread');
  });

  it('after a reload the thread is in the list with both turns; a citation opens the reader at the passage', async () => {
    await page.goto(`${base}/w/${ws}/ask`);
    const link = page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: /What does asn1Coding do\?/ });
    await link.waitFor(WAIT);
    await link.click();
    const turns = page.getByTestId('ask-turn');
    await expect.poll(() => turns.count(), WAIT).toBe(2);
    expect(page.url()).toBe(threadUrl);
    expect(await turns.nth(1).getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed')).toBe('true');
    const cite = turns.nth(1).getByTestId('answer-text').locator('a.cite').first();
    await cite.waitFor(WAIT);
    await cite.click();
    await page.getByRole('heading', { level: 1, name: /asn1/i }).waitFor(WAIT);
    expect(new URL(page.url()).searchParams.get('passage')).toMatch(/^[0-9a-f-]{36}$/);
    const passage = page.getByTestId('passage');
    await passage.waitFor(WAIT);
    expect((await passage.innerText())).toContain('invoked as asn1Coding');
  });

  it('shared read-only: another member reads the thread, without a composer or actions', async () => {
    await page.goto(threadUrl);
    await page.getByRole('button', { name: 'Share with workspace' }).click();
    await page.getByRole('button', { name: 'Stop sharing' }).waitFor();
    // Ursula adds Milo to her workspace as a viewer (through the API the settings screen uses).
    const added = await page.request.post(`${base}/api/workspaces/${ws}/members`, { data: { email: 'milo@example.com', role: 'viewer' }, headers: { origin: base } });
    expect(added.status()).toBe(201);
    const milo = await openPage(browser, base, contexts);
    await signIn(milo, 'milo@example.com');
    await milo.getByRole('heading', { name: /: documents$/ }).waitFor(WAIT);
    await milo.goto(`${base}/w/${ws}/ask`);
    const shared = milo.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: /What does asn1Coding do\?/ });
    await shared.waitFor(WAIT);
    await shared.click();
    await expect.poll(() => milo.getByTestId('ask-turn').count(), WAIT).toBe(2);
    expect(await milo.getByText(/Shared by Ursula User/).isVisible()).toBe(true);
    expect(await milo.getByLabel('Your question').count()).toBe(0);
    expect(await milo.getByRole('button', { name: 'Regenerate' }).count()).toBe(0);
    await capture(milo, 'ask-shared');
  });
});
