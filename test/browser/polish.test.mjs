// polish.test.mjs: the console on a phone and in the browser's console, in
// Chromium against the real binary. At 390 px (and on a desktop) no copy
// button covers the code it copies and no copyable field (keys, endpoint,
// share link) is cut off; and login/logout rounds (tenant and operator), a
// visit to a container that does not exist and the pages of a tenant
// without keys log no error in the browser console (no 401 from the
// start-up session probe, no 404 from a missing container or key pair).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connectCoffer } from './lib/coffer.mjs';
import { launch } from './lib/browser.mjs';

const TENANT = 'polco';
const USER = 'paula';
const PASSWORD = 'paula-Pa55word!';
const PROFILE = 'polco';

let coffer;
let b;
let page;
let consoleErrors = []; // every console message of type error, and page errors

async function login() {
  await page.goto(`${coffer.console}/`);
  await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
  await page.getByLabel('Username').fill(USER);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
}

async function logout() {
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
}

// layoutProblems measures, in the page, every copy button against the code
// or field it copies, and every copyable field and code block against the
// screen: a button's box must not meet the text of its code (each line's
// box as the browser lays it out, cut to the part the <pre> shows), a field
// must lie inside the screen beside its button and show its whole value, and
// code wider than its box must be reachable by scrolling that box.
async function layoutProblems() {
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); // layout settled
  const problems = [];
  const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const cut = (r, clip) => ({
    left: Math.max(r.left, clip.left), right: Math.min(r.right, clip.right),
    top: Math.max(r.top, clip.top), bottom: Math.min(r.bottom, clip.bottom),
  });
  const vw = document.documentElement.clientWidth;
  const snippets = [...document.querySelectorAll('.snippet')];
  for (const s of snippets) {
    const pre = s.querySelector('pre');
    const btn = s.querySelector('button');
    const name = pre.id || pre.getAttribute('aria-label');
    const shown = pre.getBoundingClientRect();
    const btnBox = btn.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(pre);
    for (const line of range.getClientRects()) {
      const visible = cut(line, shown);
      if (visible.right > visible.left && visible.bottom > visible.top && meet(visible, btnBox)) {
        problems.push(`${name}: the copy button covers the code`);
        break;
      }
    }
    if (shown.left < 0 || shown.right > vw + 0.5) problems.push(`${name}: the code block runs off the screen (${shown.left}..${shown.right} of ${vw})`);
    const ox = getComputedStyle(pre).overflowX;
    if (pre.scrollWidth > pre.clientWidth && ox !== 'auto' && ox !== 'scroll') problems.push(`${name}: wider than its box and not scrollable`);
  }
  const fields = [...document.querySelectorAll('.copy-row')];
  for (const row of fields) {
    const input = row.querySelector('input, textarea');
    const btn = row.querySelector('button');
    const box = input.getBoundingClientRect();
    if (box.left < 0 || box.right > vw + 0.5) problems.push(`#${input.id}: runs off the screen (${box.left}..${box.right} of ${vw})`);
    if (box.width < 80) problems.push(`#${input.id}: squeezed to ${box.width}px`);
    if (meet(box, btn.getBoundingClientRect())) problems.push(`#${input.id}: the copy button covers the field`);
    for (let el = row; el && el !== document.body; el = el.parentElement) {
      const r = el.getBoundingClientRect();
      const o = getComputedStyle(el).overflowX;
      if ((o === 'hidden' || o === 'clip') && (box.right > r.right + 0.5 || box.left < r.left - 0.5)) {
        problems.push(`#${input.id}: clipped by a parent without scrolling`);
      }
    }
    // The whole value is on the screen: nothing beyond the field's box.
    if (input.scrollWidth > input.clientWidth + 1 || input.scrollHeight > input.clientHeight + 1) {
      problems.push(`#${input.id}: its value is cut off (${input.scrollWidth}x${input.scrollHeight} in ${input.clientWidth}x${input.clientHeight})`);
    }
    if (input.value.length === 0) problems.push(`#${input.id}: empty`);
  }
  // Inline code (addresses, commands in sentences) wraps inside the screen.
  for (const code of document.querySelectorAll('code')) {
    if (code.closest('pre')) continue;
    for (const r of code.getClientRects()) {
      if (r.right > vw + 0.5) {
        problems.push(`code "${code.textContent.slice(0, 40)}" runs off the screen (${r.right} of ${vw})`);
        break;
      }
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) {
    problems.push(`page is ${document.documentElement.scrollWidth - window.innerWidth}px wider than the screen`);
  }
  return { problems, snippets: snippets.length, fields: fields.map((r) => r.querySelector('input, textarea').id) };
}

describe('Console polish: narrow screens and a quiet browser console', { concurrency: 1 }, () => {
  before(async () => {
    coffer = connectCoffer();
    await coffer.admin('tenant', 'create', TENANT);
    await coffer.admin('user', 'create', TENANT, USER, '--password', PASSWORD);
    b = await launch(coffer.console);
    page = b.page;
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`); });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  });

  after(async () => {
    if (b) await b.close();
  });

  test('login/logout rounds, a missing container and a tenant without keys log no error in the browser console', async () => {
    consoleErrors = [];
    await page.goto(`${coffer.console}/`);
    await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
    assert.deepEqual(consoleErrors, [], 'browser console errors on the login page');
    await login();
    await page.goto(`${coffer.console}/#/storage/c/no-such-container`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.deepEqual(consoleErrors, [], 'browser console errors on a missing container');
    assert.match(await alert.innerText(), /There is no container named "no-such-container"/);
    await page.getByRole('link', { name: 'Back to containers' }).click();
    await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    // Settings of a tenant without a key pair yet: "none" is an answer.
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('button', { name: 'Generate Credentials' }).waitFor();
    assert.deepEqual(consoleErrors, [], 'browser console errors on Settings without keys');
    await logout();
    await page.reload();
    await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
    // The operator's page of that tenant: its S3 credentials are "None".
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(coffer.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out', exact: true }).waitFor();
    await page.goto(`${coffer.console}/#/admin/tenants/${TENANT}`);
    await page.getByRole('region', { name: 'S3 credentials' }).getByText('None.').waitFor();
    await logout();
    assert.deepEqual(consoleErrors, [], 'browser console errors');
    assert.deepEqual(b.problems, []);
  });

  test('390 px: copy buttons never cover code, keys and endpoint fields are whole', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await login();
      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      await page.getByRole('button', { name: 'Generate Credentials' }).click();
      await page.locator('#secret-key').waitFor();
      await page.locator('#snippet-boto3').waitFor();
      let got = await page.evaluate(layoutProblems);
      assert.deepEqual(got.problems, [], 'settings at 390 px');
      assert.ok(got.snippets >= 2, `settings shows ${got.snippets} snippets`);
      for (const id of ['access-key', 'secret-key', 'endpoint-url']) assert.ok(got.fields.includes(id), `settings has #${id}: ${got.fields}`);
      await b.shot('settings-narrow-credentials');

      // The same page on a desktop: the button sits beside the code, not on it.
      await page.setViewportSize({ width: 1280, height: 900 });
      got = await page.evaluate(layoutProblems);
      assert.deepEqual(got.problems, [], 'settings at 1280 px');
      await page.setViewportSize({ width: 390, height: 844 });

      // A share link: a long presigned URL in a narrow dialog.
      const keys = {
        accessKey: await page.locator('#access-key').inputValue(),
        secretKey: await page.locator('#secret-key').inputValue(),
      };
      const conf = await coffer.configureProfile(PROFILE, keys.accessKey, keys.secretKey);
      assert.equal(conf.code, 0, conf.stderr);
      for (const args of [['s3', 'mb', 's3://narrow'], ['s3', 'cp', '-', 's3://narrow/a-rather-long-folder-name/and-a-long-file-name.txt']]) {
        const r = await coffer.aws(args, { profile: PROFILE, input: 'hello\n' });
        assert.equal(r.code, 0, r.stderr);
      }
      await page.goto(`${coffer.console}/#/storage/c/narrow?prefix=a-rather-long-folder-name%2F`);
      const row = page.locator('tr[data-key="a-rather-long-folder-name/and-a-long-file-name.txt"]');
      await row.getByRole('button', { name: 'and-a-long-file-name.txt', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'a-rather-long-folder-name/and-a-long-file-name.txt' });
      await dialog.getByRole('button', { name: 'Create share link' }).click();
      await dialog.locator('#share-url').waitFor();
      got = await page.evaluate(layoutProblems);
      assert.deepEqual(got.problems, [], 'share link at 390 px');
      assert.ok(got.fields.includes('share-url'), `dialog has #share-url: ${got.fields}`);
      const url = await dialog.locator('#share-url').inputValue();
      assert.ok(url.startsWith(`${coffer.s3}/narrow/a-rather-long-folder-name/and-a-long-file-name.txt?`), url);
      const res = await fetch(url);
      assert.equal(await res.text(), 'hello\n');
      await b.shot('share-narrow');
      await dialog.getByRole('button', { name: 'Close' }).click();

      // The container's settings: its public address and the policy editor.
      await page.goto(`${coffer.console}/#/storage/c/narrow/settings`);
      await page.getByRole('heading', { name: 'Public access' }).waitFor();
      await page.getByRole('heading', { name: 'Lifecycle' }).waitFor();
      got = await page.evaluate(layoutProblems);
      assert.deepEqual(got.problems, [], 'container settings at 390 px');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    assert.deepEqual(b.problems, []);
  });
});
