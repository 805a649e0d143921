/**
 * Browser plumbing shared by UI test files: Debian's chromium through
 * playwright-core, pages that may only reach the server under test, and a
 * capture step (screenshots at 1280 and 375 px, light and dark, with axe).
 */
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { repoRoot } from '../../../../test/support/process.js';

export const shots = path.join(repoRoot, 'test-results', 'screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function openPage(browser: Browser, base: string, contexts: BrowserContext[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  // Only the server under test is ever contacted.
  await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

/** Screenshots at 1280 and 375 px (and dark at 1280, and at 375 with `darkAt375`), an axe check at each, and no sideways scrolling at 375 px. */
export async function capture(page: Page, name: string, options: { darkAt375?: boolean } = {}) {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  const runs: { width: number; scheme: 'light' | 'dark' }[] = [
    { width: 1280, scheme: 'light' },
    { width: 375, scheme: 'light' },
    { width: 1280, scheme: 'dark' },
    ...(options.darkAt375 ? [{ width: 375, scheme: 'dark' as const }] : []),
  ];
  for (const { width, scheme } of runs) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width, height: width === 1280 ? 800 : 740 });
    await page.screenshot({
      path: path.join(shots, `${name}-${width}${scheme === 'dark' ? '-dark' : ''}.png`),
      fullPage: true,
      animations: 'disabled',
    });
    const axe = new AxeBuilder({ page });
    const result = await (
      scheme === 'dark' ? axe.withRules(['color-contrast']) : axe.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    ).analyze();
    const serious = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect.soft(serious, `axe on ${name} at ${width}px ${scheme}`).toEqual([]);
    if (width === 375) {
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect.soft(overflow, `${name} scrolls sideways at 375px`).toBeLessThanOrEqual(0);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
}
