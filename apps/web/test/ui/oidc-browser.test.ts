/**
 * Single sign-on in a real browser, the user's path: Quarry's sign-in page → "Sign in with Corp SSO" →
 * the provider's own login form (oidc-provider on 127.0.0.1, started here) → back in Quarry, signed in.
 * Also what the user sees when it fails: a forged `state`, an unverified e-mail, a disallowed domain;
 * and the group claim making an administrator (the Admin link appears).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyPgliteTemplate } from '../../../../test/support/pglite-template.js';
import { startTestIdp, type TestIdp } from '../../../../test/support/oidc-provider.js';
import { freePort, repoRoot, startQuarry, type QuarryProcess } from '../../../../test/support/process.js';
import { capture, launchBrowser, shots } from './browser.js';

const WAIT = { timeout: 30_000 };
let server: QuarryProcess;
let idp: TestIdp;
let browser: Browser;
let base: string;
let dataDir: string;
const contexts: BrowserContext[] = [];

/** A fresh browser profile that may reach only Quarry and the test provider. */
async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    return url.startsWith(base) || url.startsWith(idp.issuer) ? route.continue() : route.abort();
  });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

/** From Quarry's sign-in page through the provider's login form; `beforeReturn` may rewrite the callback. */
async function ssoSignIn(page: Page, login: string, password: string) {
  await page.goto(`${base}/sign-in`);
  await page.getByRole('button', { name: 'Sign in with Corp SSO' }).click();
  await page.getByRole('heading', { name: 'Test IdP' }).waitFor(WAIT);
  expect(new URL(page.url()).origin).toBe(idp.issuer);
  await page.getByLabel('Username').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Continue' }).click();
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: path.join(repoRoot, 'apps/web'), encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  dataDir = mkdtempSync(path.join(tmpdir(), 'quarry-ui-oidc-'));
  await copyPgliteTemplate(dataDir);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startTestIdp({ redirectUris: [`${base}/api/auth/callback/oidc`] });
  idp.accounts.set('alice', { email: 'alice@corp.example', email_verified: true, name: 'Alice', groups: ['staff'], password: 'pw-alice' });
  idp.accounts.set('boss', { email: 'boss@corp.example', email_verified: true, name: 'Boss', groups: ['quarry-admins'], password: 'pw-boss' });
  idp.accounts.set('unverified', { email: 'unverified@corp.example', email_verified: false, name: 'U', password: 'pw-u' });
  idp.accounts.set('outsider', { email: 'out@elsewhere.example', email_verified: true, name: 'Out', password: 'pw-out' });
  server = await startQuarry({
    DATA_DIR: dataDir,
    PORT: String(port),
    PUBLIC_URL: base,
    SIGNUP_MODE: 'invite',
    ADMIN_EMAIL: 'root@corp.example',
    LOG_LEVEL: 'info',
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    OIDC_DISPLAY_NAME: 'Corp SSO',
    OIDC_SCOPES: 'openid email profile groups',
    OIDC_ALLOWED_DOMAINS: 'corp.example',
    OIDC_ADMIN_GROUP: 'quarry-admins',
  });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
  await idp?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('OIDC sign-in in a browser', { timeout: 120_000 }, () => {
  it('success: the sign-in page offers the provider, its login form signs the user in to Quarry', async () => {
    const page = await newPage();
    await page.goto(base);
    await page.getByRole('button', { name: 'Sign in with Corp SSO' }).waitFor(WAIT);
    await capture(page, 'sign-in-sso');
    await ssoSignIn(page, 'alice', 'pw-alice');
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor(WAIT);
    expect(new URL(page.url()).origin).toBe(base);
    const me = await page.evaluate(async () => (await fetch('/api/me')).json());
    expect(me.user).toMatchObject({ email: 'alice@corp.example', role: 'member' });
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
  });

  it('a forged state: back on the sign-in page with a reason, not signed in', async () => {
    const page = await newPage();
    // The provider's redirect back is rewritten on its way to the browser, as an attacker's link would be.
    idp.tamperNextRedirect = (url) => url.searchParams.set('state', 'forged-state-never-issued-by-quarry');
    await ssoSignIn(page, 'alice', 'pw-alice');
    await page.getByRole('alert').filter({ hasText: 'Try again' }).waitFor(WAIT);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect((await page.evaluate(async () => (await fetch('/api/me')).status))).toBe(401);
  });

  it('an unverified e-mail: refused with the reason', async () => {
    const page = await newPage();
    await ssoSignIn(page, 'unverified', 'pw-u');
    await page.getByRole('alert').filter({ hasText: 'not verified your e-mail' }).waitFor(WAIT);
    expect((await page.evaluate(async () => (await fetch('/api/me')).status))).toBe(401);
  });

  it('a disallowed domain: refused with the reason', async () => {
    const page = await newPage();
    await ssoSignIn(page, 'outsider', 'pw-out');
    await page.getByRole('alert').filter({ hasText: 'e-mail domain' }).waitFor(WAIT);
    await capture(page, 'sign-in-sso-refused');
    expect((await page.evaluate(async () => (await fetch('/api/me')).status))).toBe(401);
  });

  it('group mapping: a member of the admin group arrives as an administrator', async () => {
    const page = await newPage();
    await ssoSignIn(page, 'boss', 'pw-boss');
    await page.getByRole('link', { name: 'Admin' }).waitFor(WAIT);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByText('alice@corp.example', { exact: true }).waitFor(WAIT);
  });
});
