// admin-overview.test.mjs: the operator's Overview page and a tenant's page
// on the real binary: version, drives, tenants count, the top tenant after
// an upload through the AWS CLI, the request chart after S3 requests
// (errors included), the tenant's containers with sizes and its audit log
// (containers created and deleted through S3); no page errors or CSP
// violations, and both pages fit a 390 px screen.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectCoffer, run } from './lib/coffer.mjs';
import { launch } from './lib/browser.mjs';

const TENANT = 'ovtop';
const PROFILE = 'ovtop';
const BUCKET = 'ov-big';
const SIZE = 2 * 1024 * 1024; // 2 MiB

let coffer;
let b;
let page;

async function aws(args) {
  const r = await coffer.aws(args, { profile: PROFILE });
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// operatorAPI answers a GET of the console API through the page's session.
const operatorAPI = (path) => page.evaluate((p) => fetch(p).then((r) => r.json()), path);

const sidebar = () => page.getByRole('navigation', { name: 'Main' });

function assertFits(what) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    .then((overflow) => assert.ok(overflow <= 0, `${what} is ${overflow}px wider than the screen`));
}

describe('operator overview', { concurrency: 1 }, () => {
  before(async () => {
    coffer = connectCoffer();
    await coffer.admin('tenant', 'create', TENANT);
    const keys = JSON.parse(await coffer.admin('keys', 'generate', TENANT));
    const conf = await coffer.configureProfile(PROFILE, keys.accessKey, keys.secretKey);
    assert.equal(conf.code, 0, conf.stderr);
    writeFileSync(join(coffer.work, 'ov-big.bin'), Buffer.alloc(SIZE, 'o'));
    // S3 traffic: create, upload, a refused read (404), a bucket made and removed.
    await aws(['s3', 'mb', `s3://${BUCKET}`]);
    await aws(['s3', 'cp', join(coffer.work, 'ov-big.bin'), `s3://${BUCKET}/big.bin`]);
    const missing = await coffer.aws(['s3api', 'head-object', '--bucket', BUCKET, '--key', 'missing'], { profile: PROFILE });
    assert.notEqual(missing.code, 0, 'head-object of a missing key must fail');
    await aws(['s3', 'mb', 's3://ov-gone']);
    await aws(['s3', 'rb', 's3://ov-gone']);

    b = await launch(coffer.console);
    page = b.page;
    await page.goto(`${coffer.console}/`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(coffer.password);
    await page.getByRole('button', { name: 'Log in' }).click();
  });

  after(async () => {
    if (b) await b.close();
  });

  test('the operator lands on the Overview: version, drives, tenants count', async () => {
    await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
    assert.match(page.url(), /#\/admin\/overview$/);
    assert.equal(await sidebar().getByRole('link', { name: 'Overview' }).getAttribute('aria-current'), 'page');

    const v = await run(process.env.COFFER_BIN, ['version']);
    assert.equal(v.code, 0);
    const want = v.stdout.trim().replace(/^coffer /, '');
    const shown = `${await page.locator('#ov-version .stat-value').innerText()} (${await page.locator('#ov-version .small').innerText()})`;
    assert.equal(shown, want);

    const drives = page.locator('#ov-drives tbody tr');
    assert.equal(await drives.count(), 4);
    for (let i = 0; i < 4; i++) assert.match(await drives.nth(i).innerText(), /Online/);
    assert.match(await page.locator('#ov-drives-summary').innerText(), /4 of 4 drives online; writes have quorum/);

    const tenants = await operatorAPI('/api/admin/tenants');
    assert.ok(tenants.tenants.some((t) => t.name === TENANT));
    assert.equal(await page.locator('#ov-tenants .stat-value').innerText(), String(tenants.tenants.length));
    // Usable is half of raw with 2 data + 2 parity shards.
    assert.match(await page.locator('#ov-usable').innerText(), /2 data \+ 2 parity shards/);
  });

  test('top tenants by bytes: the uploaded tenant with its bytes, in the API\'s order', async () => {
    const ov = await operatorAPI('/api/admin/overview');
    const rows = page.locator('#ov-top tbody tr');
    assert.equal(await rows.count(), ov.topTenants.length);
    for (let i = 0; i < ov.topTenants.length; i++) {
      assert.equal(await rows.nth(i).getAttribute('data-tenant'), ov.topTenants[i].name);
    }
    const others = (await operatorAPI('/api/admin/tenants')).tenants.filter((t) => t.name !== TENANT);
    const ours = ov.topTenants.find((t) => t.name === TENANT);
    if (others.every((t) => t.usage.bytes < SIZE)) {
      // Run alone or beside small tenants, ovtop is the top tenant.
      assert.equal(ov.topTenants[0].name, TENANT);
      assert.equal(await rows.first().getAttribute('data-tenant'), TENANT);
    }
    if (ours) {
      assert.equal(ours.bytes, SIZE);
      assert.match(await page.locator(`#ov-top tr[data-tenant="${TENANT}"]`).innerText(), /2 MiB[\s\S]*1[\s\S]*1/);
    }
  });

  test('the request chart draws the last hour with the S3 requests and errors', async () => {
    const chart = page.locator('svg#requests-chart');
    await chart.waitFor();
    assert.equal(await chart.getAttribute('role'), 'img');
    const bars = page.locator('svg#requests-chart g.bar');
    assert.equal(await bars.count(), 60);
    const counts = await bars.evaluateAll((gs) => gs.map((g) => ({ req: Number(g.dataset.requests), err: Number(g.dataset.errors) })));
    const total = counts.reduce((s, c) => s + c.req, 0);
    const errors = counts.reduce((s, c) => s + c.err, 0);
    // mb, put, head (404), mb, rb at least; other specs may add theirs.
    assert.ok(total >= 5, `chart shows ${total} requests`);
    assert.ok(errors >= 1, `chart shows ${errors} errors`);
    assert.ok(counts.some((c) => c.req > 0), 'a non-zero point');
    const tall = await page.locator('svg#requests-chart rect.bar-req').evaluateAll((rs) => rs.filter((r) => Number(r.getAttribute('height')) > 0).length);
    assert.ok(tall >= 1, 'a bar with height');
    assert.ok(await page.locator('svg#requests-chart rect.bar-err').count() >= 1, 'an error bar');
    assert.match(await page.locator('#ov-requests-total').innerText(), new RegExp(`${total.toLocaleString('en-US')} S3 requests in the last hour`));
    await b.shot('operator-overview');
  });

  test('the tenant page lists its containers with sizes and its audit log', async () => {
    const link = page.locator(`#ov-top tr[data-tenant="${TENANT}"] a`);
    if (await link.count()) await link.click();
    else await page.goto(`${coffer.console}/#/admin/tenants/${TENANT}`);
    await page.getByRole('heading', { name: `Tenant ${TENANT}` }).waitFor();
    const row = page.locator(`#tenant-containers tr[data-container="${BUCKET}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /ov-big[\s\S]*\b1\b[\s\S]*2 MiB[\s\S]*Never enabled/);
    assert.equal(await page.locator('#tenant-containers tr[data-container="ov-gone"]').count(), 0);
    // The usage history (usage-history.js): the bytes and objects charts,
    // the tenant sampled at least once since the server started.
    const usage = page.locator('#tenant-usage-chart');
    assert.equal(await usage.count(), 1);
    await usage.locator('svg.chart-svg').first().waitFor();
    assert.equal(await usage.locator('svg.chart-svg').count(), 2);

    const audit = page.locator('#tenant-audit tbody tr');
    const texts = await audit.allInnerTexts();
    const has = (action, target) => texts.some((t) => t.includes(action) && t.includes(target) && t.includes(`s3:${TENANT}`));
    assert.ok(has('bucket.create', BUCKET), `audit lacks bucket.create ${BUCKET}:\n${texts.join('\n')}`);
    assert.ok(has('bucket.create', 'ov-gone'), 'audit lacks bucket.create ov-gone');
    assert.ok(has('bucket.delete', 'ov-gone'), 'audit lacks bucket.delete ov-gone');
    assert.ok(texts.some((t) => t.includes('credentials.generate')), 'audit lacks the key generation');
    await b.shot('operator-tenant-containers');
  });

  test('both pages fit a 390 px screen; no page errors or CSP violations', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await assertFits('the tenant page');
    await sidebar().getByRole('link', { name: 'Overview' }).click();
    await page.locator('svg#requests-chart').waitFor();
    await assertFits('the overview');
    const box = await page.locator('svg#requests-chart').boundingBox();
    assert.ok(box && box.width > 200 && box.width <= 390, `chart width ${box && box.width}`);
    await b.shot('operator-overview-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(b.problems, []);
    // No request left the console's origin.
    const origin = new URL(coffer.console).origin;
    assert.deepEqual(b.requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:')), []);
  });
});
