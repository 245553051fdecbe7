// usage.test.mjs: usage you can see. The usage-over-time chart on Settings
// (bytes and objects against the quota line) and on a container's settings
// page, checked against what was uploaded through S3; the banners on every
// tenant page at 80% and 100% of a quota and when the tenant is suspended,
// each checked against what the server then really refuses or allows.
// Samples are taken with the operator's POST /api/admin/usage/sample (the
// server samples hourly by itself), so the test never waits for a clock.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectCoffer } from './lib/coffer.mjs';
import { launch, logInTenant, screenshotDir } from './lib/browser.mjs';

const TENANT = 'usageco';
const USER = 'ursula';
const PASSWORD = 'ursula-Pa55word!';
const PROFILE = 'usageco';
const BUCKET = 'meter';
const OBJ = 1000; // bytes per uploaded object

let coffer;
let b;
let page;

async function aws(args) {
  const r = await coffer.aws(args, { profile: PROFILE });
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function upload(n, from) {
  for (let i = from; i < from + n; i++) {
    const f = join(coffer.work, `usage-${i}.bin`);
    writeFileSync(f, Buffer.alloc(OBJ, i % 256));
    await aws(['s3', 'cp', f, `s3://${BUCKET}/obj-${i}.bin`]);
  }
}

// operator calls the operator API with the server's API token, as the CLI does.
async function operator(method, path) {
  const token = readFileSync(process.env.COFFER_TOKEN_FILE, 'utf8').trim();
  const res = await fetch(`${coffer.console}${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) assert.fail(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

const sample = () => operator('POST', '/api/admin/usage/sample');

// chart reads what a drawn chart says: its SVG's data and its table.
async function chart(id) {
  const svg = page.locator(`#${id} svg.chart-svg`);
  await svg.waitFor();
  const rows = await page.locator(`#${id}-table tbody tr`).evaluateAll((trs) => trs.map((tr) => ({
    value: Number(tr.querySelector('[data-value]').getAttribute('data-value')),
    limit: Number(tr.querySelector('[data-limit]').getAttribute('data-limit')),
  })));
  return {
    points: Number(await svg.getAttribute('data-points')),
    latest: Number(await svg.getAttribute('data-latest')),
    limit: Number(await svg.getAttribute('data-limit')),
    dots: await svg.locator('.chart-point').count(),
    limitLines: await svg.locator('polyline.chart-limit').evaluateAll((ls) => ls.map((l) => Number(l.getAttribute('data-limit')))),
    title: await svg.locator('title').first().textContent(),
    desc: await svg.locator('desc').textContent(),
    label: await svg.getAttribute('aria-labelledby'),
    rows,
  };
}

async function openSettings() {
  await page.goto(`${coffer.console}/#/storage`);
  await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
  await page.goto(`${coffer.console}/#/storage/settings`);
  await page.locator('#usage-history-bytes svg').waitFor();
}

// banners returns the data-banner names shown, once the banner area settled.
async function banners(want) {
  const area = page.locator('#banners');
  await page.waitForFunction((w) => {
    const names = [...document.querySelectorAll('#banners [data-banner]')].map((e) => e.dataset.banner).sort();
    return JSON.stringify(names) === JSON.stringify([...w].sort());
  }, want, { timeout: 10000 }).catch(() => {});
  const names = await area.locator('[data-banner]').evaluateAll((els) => els.map((e) => e.dataset.banner));
  return names.sort();
}

describe('usage you can see', { concurrency: 1 }, () => {
  before(async () => {
    coffer = connectCoffer();
    await coffer.admin('tenant', 'create', TENANT, '--quota-objects', '10', '--quota-bytes', '10000');
    await coffer.admin('user', 'create', TENANT, USER, '--password', PASSWORD);
    const keys = JSON.parse(await coffer.admin('keys', 'generate', TENANT));
    const conf = await coffer.configureProfile(PROFILE, keys.accessKey, keys.secretKey);
    assert.equal(conf.code, 0, conf.stderr);
    await aws(['s3', 'mb', `s3://${BUCKET}`]);
    await upload(3, 0);
    await sample();

    b = await launch(coffer.console);
    page = b.page;
    await logInTenant(page, coffer.console, USER, PASSWORD);
  });

  after(async () => {
    if (b) await b.close();
  });

  test('the Settings usage chart shows the uploaded bytes and objects against the quota line, with a table of the numbers', async () => {
    await openSettings();
    const bytes = await chart('usage-history-bytes');
    assert.ok(bytes.points >= 1, `points ${bytes.points}`);
    assert.equal(bytes.latest, 3 * OBJ);
    assert.equal(bytes.limit, 10000);
    assert.equal(bytes.dots, bytes.points);
    assert.deepEqual(bytes.limitLines, [10000], 'one dashed quota line at 10000 bytes');
    assert.equal(bytes.rows[0].value, 3 * OBJ, 'the table\'s newest row');
    assert.equal(bytes.rows[0].limit, 10000);
    assert.equal(bytes.title, 'Bytes stored');
    assert.match(bytes.desc, /latest 2\.9 KiB of a quota of 9\.8 KiB/);
    assert.equal(bytes.label, 'usage-history-bytes-title usage-history-bytes-desc');
    const objects = await chart('usage-history-objects');
    assert.equal(objects.latest, 3);
    assert.deepEqual(objects.limitLines, [10]);
    assert.deepEqual(await banners([]), [], 'no banner below 80%');
    // The history the chart drew is the operator's too.
    const op = await operator('GET', `/api/admin/tenants/${TENANT}/usage/history?range=48h`);
    assert.equal(op.points.at(-1).bytes, 3 * OBJ);
    assert.equal(op.points.at(-1).quotaBytes, 10000);
  });

  test('a later sample moves the line; 30 and 365 days show the daily record', async () => {
    await upload(5, 3); // 8 objects, 8000 bytes: 80% of both quotas
    await sample();
    await openSettings();
    assert.equal((await chart('usage-history-bytes')).latest, 8 * OBJ);
    assert.equal((await chart('usage-history-objects')).latest, 8);
    for (const r of ['30d', '365d']) {
      await page.getByLabel('Usage over').selectOption(r);
      await page.waitForFunction(() => !document.querySelector('.usage-history-body[aria-busy]'));
      const c = await chart('usage-history-bytes');
      assert.ok(c.points >= 1 && c.points <= 2, `${r}: one day sampled (two across midnight UTC): ${c.points}`);
      assert.equal(c.latest, 8 * OBJ, r);
      assert.equal(c.limit, 10000, r);
    }
    await page.getByLabel('Usage over').selectOption('48h');
    await page.waitForFunction(() => !document.querySelector('.usage-history-body[aria-busy]'));
    await page.locator('#usage-history-bytes svg').waitFor();
    await page.locator('section[aria-labelledby="usage-h"]').screenshot({ path: join(screenshotDir, 'usage-chart.png'), animations: 'disabled' });
  });

  test('a container\'s chart on its settings page shows that container, without a quota line', async () => {
    await page.goto(`${coffer.console}/#/storage/c/${BUCKET}/settings`);
    const c = await chart('container-usage-bytes');
    assert.equal(c.latest, 8 * OBJ);
    assert.equal(c.limit, 0);
    assert.deepEqual(c.limitLines, []);
    assert.equal((await chart('container-usage-objects')).latest, 8);
  });

  test('at 80% of both quotas every tenant page shows a "nearly used" banner saying what 100% means', async () => {
    for (const path of ['/#/storage', `/#/storage/c/${BUCKET}`, '/#/storage/settings']) {
      await page.goto(`${coffer.console}${path}`);
      assert.deepEqual(await banners(['quota-near-bytes', 'quota-near-objects']), ['quota-near-bytes', 'quota-near-objects'], path);
    }
    const text = await page.locator('[data-banner="quota-near-objects"]').innerText();
    assert.match(text, /8 of 10 objects \(80%\)/);
    assert.match(text, /At 100%, new uploads are refused; deletes still work\./);
  });

  test('at the object quota the banner says uploads are refused and deletes work, and they are', async () => {
    await coffer.admin('tenant', 'set-quota', TENANT, '--objects', '8', '--bytes', '10000');
    await sample();
    await page.goto(`${coffer.console}/#/storage`);
    assert.deepEqual(await banners(['quota-near-bytes', 'quota-reached-objects']), ['quota-near-bytes', 'quota-reached-objects']);
    const text = await page.locator('[data-banner="quota-reached-objects"]').innerText();
    assert.match(text, /8 of 8 objects \(100%\)/);
    assert.match(text, /New uploads are refused; deletes still work\./);
    // What the banner says is what the server does.
    const f = join(coffer.work, 'one-more.bin');
    writeFileSync(f, 'x');
    const put = await coffer.aws(['s3', 'cp', f, `s3://${BUCKET}/one-more.bin`], { profile: PROFILE });
    assert.notEqual(put.code, 0, 'an upload at the quota must fail');
    assert.match(put.stderr, /QuotaExceeded/);
    await aws(['s3', 'rm', `s3://${BUCKET}/obj-7.bin`]);
    await page.goto(`${coffer.console}/#/storage/c/${BUCKET}`);
    assert.deepEqual(await banners(['quota-near-objects']), ['quota-near-objects'], 'after a delete: 7 of 8 objects, 70% of the bytes');
    // The quota line shows the quota as it was at the last sample (the
    // hour's point, or a new one when the hour turned since the last).
    await openSettings();
    const objects = await chart('usage-history-objects');
    assert.equal(objects.limit, 8);
    assert.equal(objects.rows[0].limit, 8);
    assert.ok(objects.points === 1 || objects.rows[1].limit === 10, 'an earlier hour keeps its quota of 10');
  });

  test('a suspended tenant sees a banner saying what it can still do; S3 refuses it, the console still shows its data', async () => {
    await coffer.admin('tenant', 'suspend', TENANT);
    await page.goto(`${coffer.console}/#/storage/c/${BUCKET}`);
    assert.deepEqual(await banners(['quota-near-objects', 'suspended']), ['quota-near-objects', 'suspended']);
    const text = await page.locator('[data-banner="suspended"]').innerText();
    assert.match(text, /suspended/);
    assert.match(text, /uploads, deletes, new containers/);
    assert.match(text, /refused with AccessDenied/);
    // Browsing still works: the objects are listed.
    await page.getByText('obj-0.bin').first().waitFor();
    const ls = await coffer.aws(['s3', 'ls', `s3://${BUCKET}`], { profile: PROFILE });
    assert.notEqual(ls.code, 0);
    assert.match(ls.stderr, /AccessDenied/);
    await b.shot('usage-banners', { fullPage: false });
    await coffer.admin('tenant', 'resume', TENANT);
    await page.goto(`${coffer.console}/#/storage`);
    assert.deepEqual(await banners(['quota-near-objects']), ['quota-near-objects'], 'banner gone after resume');
  });

  test('the chart is readable at 390 px and the page made no external request or CSP violation', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await openSettings();
    const box = await page.locator('#usage-history-bytes svg').boundingBox();
    assert.ok(box.width > 250 && box.x + box.width <= 390, `svg box ${JSON.stringify(box)}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(overflow <= 390, `page scrolls sideways: ${overflow}`);
    const fontPx = await page.locator('#usage-history-bytes .chart-xaxis').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(fontPx >= 12, `axis labels ${fontPx}px`);
    await page.locator('#usage-history').screenshot({ path: join(screenshotDir, 'usage-chart-narrow.png'), animations: 'disabled' });
    await page.setViewportSize({ width: 1280, height: 900 });
    const origin = new URL(coffer.console).origin;
    assert.deepEqual(b.requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:')), []);
    assert.deepEqual(b.problems, []);
  });
});
