/**
 * Admin → Users and Admin → System in a browser, the way an administrator and
 * a new colleague use them: the admin adds an account and hands over the
 * set-up link; the colleague opens it signed out, chooses a password, signs
 * in and lands in their workspace; a spent link says so in words; a reset
 * link replaces the password; deleting the account asks what happens to the
 * workspace it alone owns; the System tab answers "is it working?".
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
const NEW_PASSWORD = 'a brand new passphrase';
const WAIT = { timeout: 30_000 };

let server: QuarryProcess;
let browser: Browser;
let base: string;
let dataDir: string;
const contexts: BrowserContext[] = [];
const newPage = () => openPage(browser, base, contexts);

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function chooseNewPassword(page: Page, password: string) {
  await page.getByRole('heading', { name: 'Choose a password' }).waitFor(WAIT);
  await page.getByLabel('New password').fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Set password' }).click();
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: path.join(repoRoot, 'apps/web'), encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  dataDir = mkdtempSync(path.join(tmpdir(), 'quarry-ui-accounts-'));
  await copyPgliteTemplate(dataDir);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = await startQuarry({ DATA_DIR: dataDir, PORT: String(port), PUBLIC_URL: base, SIGNUP_MODE: 'closed', LOG_LEVEL: 'info' });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('account management in a browser', { timeout: 120_000 }, () => {
  let admin: Page;
  let setupLink = '';

  it('the admin adds an account (one per double click) and is shown its set-up link once', async () => {
    admin = await newPage();
    await admin.goto(base);
    await admin.getByLabel('Name').fill('Ada Admin');
    await admin.getByLabel('Email').fill('ada@example.com');
    await admin.getByLabel('Password').fill(PASSWORD);
    await admin.getByRole('button', { name: 'Create administrator account' }).click();
    await admin.getByRole('heading', { name: 'Personal: documents' }).waitFor(WAIT);

    await admin.getByRole('link', { name: 'Admin' }).click();
    await admin.getByRole('heading', { name: 'Add an account' }).waitFor(WAIT);
    let posts = 0;
    admin.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/admin/users') posts++;
    });
    await admin.getByLabel('Email').fill('nia@example.com');
    await admin.getByLabel('Name (optional)').fill('Nia Newcomer');
    await admin.getByRole('button', { name: 'Add account' }).dblclick();
    const link = admin.getByLabel('Set-up link', { exact: true });
    await link.waitFor(WAIT);
    setupLink = await link.inputValue();
    expect(setupLink.startsWith(`${base}/reset-password?token=`)).toBe(true);
    expect(posts).toBe(1);
    await admin.getByRole('cell', { name: 'Nia Newcomer nia@example.com' }).waitFor();
    const users = (await (await admin.request.get(`${base}/api/admin/users`)).json()) as { items: { email: string }[] };
    expect(users.items.filter((u) => u.email === 'nia@example.com')).toHaveLength(1);
    await capture(admin, 'admin-users');
    await admin.getByRole('button', { name: 'Done' }).click();
    expect(await admin.getByLabel('Set-up link', { exact: true }).count()).toBe(0);
  });

  it('the new colleague opens the link signed out, chooses a password, signs in and lands in their workspace', async () => {
    const nia = await newPage();
    await nia.goto(setupLink);
    await nia.getByRole('heading', { name: 'Choose a password' }).waitFor(WAIT);
    expect(await nia.title()).toBe('Choose a password · Quarry');
    await capture(nia, 'reset-password');
    // Two passwords that differ are caught before anything is sent.
    await nia.getByLabel('New password').fill(PASSWORD);
    await nia.getByLabel('Repeat the password').fill(`${PASSWORD}!`);
    await nia.getByRole('button', { name: 'Set password' }).click();
    await nia.getByText('The two passwords differ.').waitFor();
    await chooseNewPassword(nia, PASSWORD);
    await nia.getByRole('heading', { name: 'Password set' }).waitFor(WAIT);
    await nia.getByRole('link', { name: 'Sign in' }).click();
    await signIn(nia, 'nia@example.com', PASSWORD);
    await nia.getByRole('heading', { name: 'Personal: documents' }).waitFor(WAIT);
    await nia.context().close();

    // The link is spent: opened again, it says so instead of offering a form that would fail.
    const again = await newPage();
    await again.goto(setupLink);
    await chooseNewPassword(again, NEW_PASSWORD);
    await again.getByRole('heading', { name: 'This link cannot be used' }).waitFor(WAIT);
    await again.getByText(/used already, replaced by a newer link, or it has expired/).waitFor();
  });

  it('a reset link opened while signed in asks to sign out first, then sets the new password', async () => {
    await admin.getByRole('button', { name: 'Make a password reset link for nia@example.com' }).click();
    const link = admin.getByLabel('Password reset link', { exact: true });
    await link.waitFor(WAIT);
    const url = await link.inputValue();

    const nia = await newPage();
    await nia.goto(base);
    await signIn(nia, 'nia@example.com', PASSWORD);
    await nia.getByRole('heading', { name: 'Personal: documents' }).waitFor(WAIT);
    await nia.goto(url);
    await nia.getByText('This link sets the password of an account').waitFor(WAIT);
    await nia.getByRole('button', { name: 'Sign out and choose the password' }).click();
    await chooseNewPassword(nia, NEW_PASSWORD);
    await nia.getByRole('heading', { name: 'Password set' }).waitFor(WAIT);
    await nia.getByRole('link', { name: 'Sign in' }).click();
    await signIn(nia, 'nia@example.com', PASSWORD);
    await nia.getByRole('alert').waitFor(WAIT); // the old password no longer works
    await nia.getByLabel('Password').fill(NEW_PASSWORD);
    await nia.getByRole('button', { name: 'Sign in' }).click();
    await nia.getByRole('heading', { name: 'Personal: documents' }).waitFor(WAIT);
  });

  it('deleting an account asks what happens to the workspace it alone owns, and transfers it', async () => {
    await admin.getByRole('button', { name: 'Delete nia@example.com' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Delete nia@example.com?' });
    await dialog.getByText('They are the only owner of:').waitFor(WAIT);
    await dialog.getByText(/Personal — 0 documents/).waitFor();
    // No new owner chosen yet: nothing to confirm.
    expect(await dialog.getByRole('button', { name: 'Delete account' }).isDisabled()).toBe(true);
    await dialog.getByLabel('New owner').selectOption({ label: 'Ada Admin (ada@example.com)' });
    await dialog.getByRole('button', { name: 'Delete account' }).click();
    await dialog.waitFor({ state: 'hidden', ...WAIT });
    await admin.getByRole('cell', { name: 'Nia Newcomer nia@example.com' }).waitFor({ state: 'detached', ...WAIT });
    const workspaces = (await (await admin.request.get(`${base}/api/workspaces`)).json()) as { items: { name: string; role: string }[] };
    expect(workspaces.items.filter((w) => w.name === 'Personal')).toHaveLength(2);
    const audit = (await (await admin.request.get(`${base}/api/admin/audit?action=user.deleted`)).json()) as { items: { outcome: string }[] };
    expect(audit.items.map((e) => e.outcome)).toEqual(['success']);
  });

  it('the System tab says what runs: embedded database, local files, the embedding model, the queue', async () => {
    await admin.getByRole('tab', { name: 'System' }).click();
    const panel = admin.getByRole('tabpanel');
    await panel.getByText(/Embedded \(PGlite\), PostgreSQL/).waitFor(WAIT);
    await panel.getByText('Local disk').waitFor();
    await panel.getByText('Reachable').waitFor();
    await panel.getByText(/Extractive \(no chat model configured\)/).waitFor();
    await panel.getByText(/^Closed$/).waitFor();
    expect(await panel.getByRole('heading', { level: 2 }).allInnerTexts()).toEqual(['Quarry', 'Database', 'Files', 'Search and answers', 'Ingest queue', 'Sign-in']);
    await capture(admin, 'admin-system');
  });
});
