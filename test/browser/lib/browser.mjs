// browser.mjs: launches Debian's Chromium through playwright-core with a fresh
// profile, no network services of its own, and a record of every request.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// Screenshots refresh docs/screenshots only when COFFER_SCREENSHOTS=1 (make
// screenshots); ordinary runs write them to a temporary folder so a test run
// leaves the work tree clean.
export const screenshotDir = process.env.COFFER_SCREENSHOTS === '1'
  ? resolve(dirname(fileURLToPath(import.meta.url)), '../../../docs/screenshots')
  : mkdtempSync(join(tmpdir(), 'coffer-shots-'));

const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// launch opens Chromium on origin; requests holds every URL the page asked for,
// writes every state-changing request, problems every page error or CSP violation.
export async function launch(origin) {
  const profile = mkdtempSync(join(tmpdir(), 'coffer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(15000);
  const requests = [];
  const problems = [];
  const writes = []; // state-changing API calls: {method, url, csrf}
  context.on('request', (r) => {
    requests.push(r.url());
    if (r.method() !== 'GET' && r.method() !== 'HEAD') {
      writes.push({ method: r.method(), url: r.url(), csrf: r.headers()['x-csrf-token'] || '' });
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  mkdirSync(screenshotDir, { recursive: true });
  return {
    context,
    page,
    requests,
    writes,
    problems,
    // shot saves a screenshot of the page under docs/screenshots/NAME.png.
    shot: (name, opts = {}) => page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true, animations: 'disabled', ...opts }),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// logInTenant logs a tenant user in through the login page and waits for
// the Storage page.
export async function logInTenant(page, origin, username, password) {
  await page.goto(`${origin}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
}
