/**
 * Issue 12's defects, each taken the way a new user meets it, in a real
 * browser against a real `quarry serve`: what a user sees after sign-up,
 * sign-in and accepting an invitation; double clicks; invitations bound to an
 * address, a workspace and a role; long queries; deep links and Back; the
 * audit filters; titles, owner rules, upload wording and error details.
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
const WAIT = { timeout: 30_000 };

let server: QuarryProcess;
let browser: Browser;
let base: string;
let dataDir: string;
const contexts: BrowserContext[] = [];
const newPage = () => openPage(browser, base, contexts);

/** Counts the POSTs a page sends to a path (what a double click really sent). */
function countPosts(page: Page, pathname: string) {
  let n = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === pathname) n++;
  });
  return () => n;
}

async function signIn(page: Page, email: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
    cwd: path.join(repoRoot, 'apps/web'),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  dataDir = mkdtempSync(path.join(tmpdir(), 'quarry-ui-defects-'));
  await copyPgliteTemplate(dataDir);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = await startQuarry({ DATA_DIR: dataDir, PORT: String(port), PUBLIC_URL: base, SIGNUP_MODE: 'invite', LOG_LEVEL: 'info' });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('issue 12 defects in a browser', { timeout: 120_000 }, () => {
  let admin: Page;
  let ws = '';

  it('first-run set-up: titled "Set up Quarry", a double click makes one request, and lands on a usable screen', async () => {
    admin = await newPage();
    await admin.goto(base);
    await admin.getByRole('heading', { name: 'Set up Quarry' }).waitFor();
    expect(await admin.title()).toBe('Set up Quarry · Quarry');
    await admin.getByLabel('Name').fill('Ada Admin');
    await admin.getByLabel('Email').fill('ada@example.com');
    await admin.getByLabel('Password').fill(PASSWORD);
    const posts = countPosts(admin, '/api/auth/sign-up/email');
    await admin.getByRole('button', { name: 'Create administrator account' }).dblclick();
    // No reload, no navigation by the test: set-up lands on the new account's personal workspace.
    await admin.getByRole('heading', { name: 'Personal: documents' }).waitFor(WAIT);
    expect(posts()).toBe(1);
    expect(server.output()).not.toMatch(/\n\s+at /);
  });

  it('a double click on "Create workspace" creates one workspace and opens it', async () => {
    const posts = countPosts(admin, '/api/workspaces');
    await admin.getByLabel('Workspace', { exact: true }).selectOption('__new');
    await admin.getByLabel('Workspace name').fill('Geology');
    await admin.getByRole('button', { name: 'Create workspace' }).dblclick();
    await admin.getByRole('heading', { name: 'Geology: documents' }).waitFor(WAIT);
    ws = /\/w\/([^/?#]+)/.exec(admin.url())![1]!;
    const list = (await (await admin.request.get(`${base}/api/workspaces`)).json()) as { items: { name: string }[] };
    expect(list.items.filter((w) => w.name === 'Geology')).toHaveLength(1);
    expect(posts()).toBe(1);
  });

  it('sign-in lands on the workspace, not a blank page', async () => {
    await admin.getByRole('button', { name: 'Sign out', exact: true }).click();
    await admin.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(admin, 'ada@example.com');
    await admin.getByRole('heading', { name: 'Personal: documents' }).waitFor(WAIT);
    expect(await admin.getByLabel('Workspace', { exact: true }).locator('option:checked').innerText()).toBe('Personal');
  });

  it('a deep link to a search keeps ?q= across sign-in, and Back returns to the previous search', async () => {
    const page = await newPage();
    await page.goto(`${base}/w/${ws}/search?q=granite`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(page, 'ada@example.com');
    await page.getByRole('heading', { name: 'Search Geology' }).waitFor(WAIT);
    expect(new URL(page.url()).searchParams.get('q')).toBe('granite');
    expect(await page.getByLabel('Search query').inputValue()).toBe('granite');

    await page.getByLabel('Search query').fill('basalt');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('basalt');
    await page.goBack();
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('granite');
    // The box follows the URL on the render after it (an effect): poll, as a user would look.
    await expect.poll(() => page.getByLabel('Search query').inputValue()).toBe('granite');
  });

  it('long queries: 20,000 pasted characters become 2,000 and search; a longer linked query is refused in words', async () => {
    const page = await newPage();
    await page.context().addCookies(await admin.context().cookies());
    await page.goto(`${base}/w/${ws}/search`);
    const box = page.getByLabel('Search query');
    await box.fill('granite '.repeat(2_500)); // 20,000 characters
    expect((await box.inputValue()).length).toBeLessThanOrEqual(2000);
    const response = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/search'));
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    expect((await response).status()).toBe(200);
    await page.getByText('No passages match.').waitFor(WAIT);
    expect(await page.getByRole('alert').count()).toBe(0);

    // A link with a query the server would refuse: said in words, and not sent.
    let sent = 0;
    page.on('request', (r) => void (new URL(r.url()).pathname.startsWith('/api/') && new URL(r.url()).pathname.endsWith('/search') && sent++));
    await page.goto(`${base}/w/${ws}/search?q=${'x'.repeat(3_000)}`);
    const alert = page.getByRole('alert');
    await alert.waitFor(WAIT);
    const text = await alert.innerText();
    expect(text).toMatch(/2,000 characters/);
    expect(text).not.toMatch(/Request failed|Too big|expected string|\(4\d\d\)/);
    expect(sent).toBe(0);
    await capture(page, 'search-too-long');
  });

  it('invitations: bound to an e-mail, a workspace and a role; one per double click; sign-up mode shown', async () => {
    await admin.goto(`${base}/admin?tab=invitations`);
    await expect.poll(() => admin.getByTestId('signup-mode').innerText(), WAIT).toMatch(/invitation/i);
    const posts = countPosts(admin, '/api/admin/invitations');
    await admin.getByLabel('Email', { exact: true }).fill('bob@example.com');
    await admin.getByLabel('Add to workspace').selectOption({ label: 'Geology' });
    await admin.getByLabel('Role in the workspace').selectOption('editor');
    await admin.getByRole('button', { name: 'Create invitation' }).dblclick();
    const link = await admin.getByLabel('Invitation link').inputValue(WAIT);
    expect(posts()).toBe(1);
    const list = admin.getByRole('list', { name: 'Invitations' });
    await expect.poll(() => list.getByRole('listitem').filter({ hasText: 'bob@example.com' }).count(), WAIT).toBe(1);
    expect(await list.getByRole('listitem').filter({ hasText: 'bob@example.com' }).innerText()).toMatch(/Geology.*editor/is);
    await capture(admin, 'admin-invitations-bound');

    // Someone else cannot use bob's link (the server refuses a different address).
    const carol = await fetch(`${base}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ name: 'Carol', email: 'carol@example.com', password: PASSWORD, inviteToken: new URL(link).searchParams.get('invite') }),
    });
    expect(carol.status).toBe(403);

    const bob = await newPage();
    await bob.goto(link);
    await bob.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
    expect(await bob.title()).toBe('Accept your invitation · Quarry');
    const email = bob.getByLabel('Email');
    await expect.poll(() => email.inputValue(), WAIT).toBe('bob@example.com');
    expect(await email.getAttribute('readonly')).not.toBeNull();
    await bob.getByText(/join Geology as an editor/).waitFor();
    await capture(bob, 'invite-accept');
    await bob.getByLabel('Name').fill('Bob Builder');
    await bob.getByLabel('Password').fill(PASSWORD);
    await bob.getByRole('button', { name: 'Create account' }).click();
    // Accepting lands on the workspace the invitation was for, with its role.
    await bob.getByRole('heading', { name: 'Geology: documents' }).waitFor(WAIT);
    await bob.getByRole('button', { name: 'Choose files…' }).waitFor();
  });

  it('invitations: "anyone with the link" is explicit, and an open invitation can be revoked in the UI', async () => {
    await admin.goto(`${base}/admin?tab=invitations`);
    await admin.getByLabel('Anyone with the link').check();
    expect(await admin.getByLabel('Email', { exact: true }).count()).toBe(0);
    await admin.getByRole('button', { name: 'Create invitation' }).click();
    const link = await admin.getByLabel('Invitation link').inputValue(WAIT);
    const row = admin.getByRole('list', { name: 'Invitations' }).getByRole('listitem').filter({ hasText: 'Anyone with the link' });
    await row.getByRole('button', { name: /^Revoke/ }).click();
    const dialog = admin.getByRole('dialog', { name: 'Revoke this invitation?' });
    await dialog.getByRole('button', { name: 'Revoke invitation' }).click();
    await row.getByText('Revoked', { exact: true }).waitFor(WAIT);

    const visitor = await newPage();
    await visitor.goto(link);
    await visitor.getByRole('heading', { name: 'This invitation cannot be used' }).waitFor(WAIT);
  });

  it('a double click on "Create key" creates one API key', async () => {
    await admin.goto(`${base}/account`);
    await admin.getByLabel('Key name').fill('nightly import');
    const posts = countPosts(admin, '/api/account/api-keys');
    await admin.getByRole('button', { name: 'Create key' }).dblclick();
    await admin.getByLabel('New API key').waitFor(WAIT);
    await admin.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => admin.getByRole('list', { name: 'API keys' }).getByRole('listitem').count(), WAIT).toBe(1);
    expect(posts()).toBe(1);
  });

  it('audit: actions from a list, actor by e-mail, targets by name', async () => {
    await admin.goto(`${base}/admin?tab=audit`);
    const action = admin.getByLabel('Action');
    await expect.poll(() => action.locator('option', { hasText: 'user.sign_in' }).count(), WAIT).toBe(1);
    await action.selectOption('user.sign_in');
    await admin.getByLabel('Actor e-mail').fill('ADA@example.com');
    await admin.getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(async () => {
        const actions = await admin.getByTestId('audit-action').allInnerTexts();
        const actors = await admin.getByTestId('audit-actor').allInnerTexts();
        return actions.length > 0 && actions.every((a) => a === 'user.sign_in') && actors.every((a) => a === 'ada@example.com');
      }, WAIT)
      .toBe(true);

    await action.selectOption('workspace.created');
    await admin.getByLabel('Actor e-mail').fill('');
    await admin.getByRole('button', { name: 'Apply' }).click();
    // The workspace's name beside its id (bob's and ada's Personal workspaces are listed too).
    const targets = () => admin.getByTestId('audit-target').allInnerTexts();
    await expect.poll(async () => (await targets()).some((t) => t.includes('Geology') && t.includes(ws)), WAIT).toBe(true);
    await capture(admin, 'admin-audit-filters');
  });

  it('settings: no "Remove" for a sole owner; errors keep the request id on a details line', async () => {
    await admin.goto(`${base}/w/${ws}/settings`);
    await admin.getByText('bob@example.com', { exact: true }).waitFor(WAIT);
    expect(await admin.getByRole('button', { name: 'Remove ada@example.com' }).count()).toBe(0);
    expect(await admin.getByRole('button', { name: 'Remove bob@example.com' }).count()).toBe(1);

    await admin.getByLabel('Email', { exact: true }).fill('nobody@example.com');
    await admin.getByRole('button', { name: 'Add member' }).click();
    const alert = admin.locator('.add-member').getByRole('alert');
    await alert.waitFor(WAIT);
    expect(await alert.innerText()).not.toMatch(/request/i);
    await admin.locator('.add-member').getByText(/Request ID/).waitFor();
    await capture(admin, 'settings-error');
  });

  it('an upload at 100% says it is being stored while the server works', async () => {
    // Playwright's request routing sends a body in one piece (no upload progress), so this page has none:
    // the request really goes out, progress reaches 100%, and only the server's answer is held back
    // (DevTools' Fetch domain at the response stage) while the screen is checked.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    await context.addCookies(await admin.context().cookies());
    const page = await context.newPage();
    await page.goto(`${base}/w/${ws}`);
    await page.getByRole('heading', { name: 'Geology: documents' }).waitFor(WAIT);
    const cdp = await context.newCDPSession(page);
    const held: string[] = [];
    cdp.on('Fetch.requestPaused', (e: { requestId: string }) => void held.push(e.requestId));
    await cdp.send('Fetch.enable', { patterns: [{ urlPattern: `*/api/workspaces/${ws}/documents`, requestStage: 'Response' }] });
    await page
      .locator('#file-input')
      .setInputFiles([{ name: 'big-notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Granite and basalt. '.repeat(200_000)) }]);
    const item = page.getByTestId('upload-item').filter({ hasText: 'big-notes.txt' });
    await item.getByText('Storing…').waitFor(WAIT);
    expect(await item.innerText()).not.toContain('100%');
    await capture(page, 'upload-storing');
    await expect.poll(() => held.length, WAIT).toBeGreaterThan(0);
    for (const requestId of held) await cdp.send('Fetch.continueRequest', { requestId });
    await cdp.send('Fetch.disable');
    await item.getByText('Uploaded').waitFor(WAIT);
  });
});
