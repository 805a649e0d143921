// Drives Debian's Chromium through Caddy (the production CSP and headers) to
// prove the UI works under them: the sign-in page renders, signing in works,
// and no Content-Security-Policy violation or page error occurs.
// Usage: node browser-check.mjs <domain> <bind-ip> <email> <password> <screenshot.png>
// Prints one JSON line; exit 0 when every expectation holds.
import { chromium } from 'playwright-core';

const [domain, bindIp, email, password, shot] = process.argv.slice(2);
const out = { violations: [], pageErrors: [], steps: [] };
let browser;
const deadline = setTimeout(() => {
  out.error = 'timed out after 90 s';
  console.log(JSON.stringify(out));
  process.exit(1);
}, 90_000);

try {
  browser = await chromium.launch({
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
      // Only the test domain, only to the bind IP; everything else fails to resolve.
      `--host-resolver-rules=MAP ${domain} ${bindIp}, EXCLUDE localhost, MAP * ~NOTFOUND`,
    ],
  });
  // TLS itself is verified by curl against Caddy's root CA; here the page matters.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await page.exposeFunction('__cspViolation', (v) => out.violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) out.violations.push(m.text().slice(0, 200));
  });
  page.on('pageerror', (e) => out.pageErrors.push(String(e).slice(0, 200)));

  const res = await page.goto(`https://${domain}/sign-in`, { waitUntil: 'networkidle', timeout: 30_000 });
  out.status = res?.status();
  out.csp = res?.headers()['content-security-policy'] ? 'present' : 'missing';
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
  out.steps.push('sign-in page rendered');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'), { timeout: 15_000 });
  await page.waitForLoadState('networkidle', { timeout: 15_000 }).catch(() => undefined);
  out.steps.push(`signed in, now at ${new URL(page.url()).pathname}`);
  if (shot) await page.screenshot({ path: shot, fullPage: true });
  out.ok = out.status === 200 && out.csp === 'present' && out.violations.length === 0 && out.pageErrors.length === 0;
} catch (error) {
  out.error = String(error).split('\n')[0].slice(0, 300);
  out.ok = false;
} finally {
  await browser?.close().catch(() => undefined);
  clearTimeout(deadline);
}
console.log(JSON.stringify(out));
process.exit(out.ok ? 0 : 1);
