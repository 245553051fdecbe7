// console.test.mjs: the product page (shared/product/object-store-management.md)
// followed word for word in headless Chromium against the real coffer binary,
// with the AWS CLI as the tenant's S3 client. The steps share one server and
// one browser and run in order, like a tenant reading the page.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectCoffer } from './lib/coffer.mjs';
import { launch } from './lib/browser.mjs';

const TENANT = 'acme';
const USER = 'alice';
const USER_PASSWORD = 'alice-Pa55word!';
const WARNING = 'Force-deleting a container permanently removes all objects inside it. This action cannot be undone.';

let coffer;
let b; // browser: {page, shot, requests, problems}
let page;
const files = { 'myfile.txt': 1234, 'a.bin': 5000, 'b.bin': 70000 };
let keys = {}; // the key pair currently shown
let oldKeys = {};

function bytesOf(name) { return files[name]; }

async function login(username, password) {
  await page.goto(`${coffer.console}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function logout() {
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
}

const sidebar = () => page.getByRole('navigation', { name: 'Main' });
const access = () => page.getByRole('region', { name: 'Access', exact: true });
const containerRow = (name) => page.locator(`tr[data-container="${name}"]`);

async function openSettings() {
  await sidebar().getByRole('link', { name: 'Storage' }).click();
  await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await page.getByRole('heading', { name: 'Access', exact: true }).waitFor();
}

async function clipboard() {
  return page.evaluate(() => navigator.clipboard.readText());
}

// copyShownKeys copies both keys with their copy buttons and checks the clipboard
// holds exactly what the fields show.
async function copyShownKeys() {
  const ak = await access().getByLabel('Access key', { exact: true }).inputValue();
  const sk = await access().getByLabel('Secret key', { exact: true }).inputValue();
  await access().getByRole('button', { name: 'Copy access key' }).click();
  assert.equal(await clipboard(), ak, 'clipboard holds the access key');
  await access().getByRole('button', { name: 'Copy secret key' }).click();
  assert.equal(await clipboard(), sk, 'clipboard holds the secret key');
  return { accessKey: ak, secretKey: sk };
}

async function usage() {
  await page.getByRole('button', { name: 'Refresh usage' }).click();
  // While the refresh runs the button reads "Refreshing…" and is disabled;
  // once it is back, the new figures are on the page (the old ones stay
  // there until then, so waiting for #usage-objects alone was racy).
  await page.getByRole('button', { name: 'Refresh usage', disabled: false }).waitFor();
  await page.locator('#usage-objects').waitFor();
  const objects = Number((await page.locator('#usage-objects').innerText()).replace(/,/g, ''));
  const bytes = Number(await page.locator('#usage-bytes').getAttribute('data-bytes'));
  return { objects, bytes };
}

describe('Coffer console, following the product page in Chromium', { concurrency: 1 }, () => {
  before(async () => {
    coffer = connectCoffer();
    await coffer.admin('tenant', 'create', TENANT);
    await coffer.admin('user', 'create', TENANT, USER, '--password', USER_PASSWORD);
    for (const [name, size] of Object.entries(files)) {
      writeFileSync(join(coffer.work, name), Buffer.alloc(size, name));
    }
    b = await launch(coffer.console);
    page = b.page;
  });

  // run.sh stops the server and checks its exit status.
  after(async () => {
    if (b) await b.close();
  });

  test('the console is served with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${coffer.console}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') || '';
    assert.match(csp, /default-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.match(await res.text(), /<script type="module" src="\/js\/app.js">/);
  });

  test('login page: a wrong password is refused inline, then the tenant user logs in', async () => {
    await login(USER, 'wrong-password');
    await assert.doesNotReject(page.getByRole('alert').filter({ hasText: /wrong username or password/i }).waitFor());
    await b.shot('login');
    await page.getByLabel('Password').fill(USER_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    assert.match(await page.locator('#who').innerText(), /alice · acme/);
  });

  test('Generating Credentials: Storage > Settings > Access > Generate Credentials, copy both keys', async () => {
    await openSettings();
    await access().getByRole('button', { name: 'Generate Credentials' }).click();
    await access().getByText('The secret key is not shown again after you leave the page.').waitFor();
    keys = await copyShownKeys();
    assert.match(keys.accessKey, /^[A-Z0-9]{20}$/, 'access key is 20 characters');
    assert.equal(keys.secretKey.length, 40, 'secret key is 40 characters');
    await access().getByRole('button', { name: 'Rotate' }).waitFor();
    await access().getByRole('button', { name: 'Delete' }).waitFor();
    await b.shot('settings-new-credentials');
  });

  test('Access endpoint: endpoint URL, region us-east-1 and ready-to-paste snippets', async () => {
    const endpoint = await page.getByLabel('Endpoint URL', { exact: true }).inputValue();
    assert.equal(endpoint, coffer.s3);
    assert.equal(await page.locator('#region').innerText(), 'us-east-1');
    // A server on an IP address serves path style only, and says how to set clients to it.
    assert.match(await page.locator('#addressing-style').innerText(), /^path style only \(http:\/\/127\.0\.0\.1:\d+\/my-container\/key\)$/);
    assert.ok((await page.locator('#addressing-clients').innerText()).includes('s3.addressing_style path'));
    const cli = await page.locator('#snippet-cli').innerText();
    // Profile lines, then an "aws s3 mb" first: the tenant has no container yet (account.test.mjs runs it).
    assert.ok(cli.includes(`aws configure set aws_access_key_id ${keys.accessKey} --profile my-storage`), cli);
    assert.ok(cli.includes(`aws configure set aws_secret_access_key ${keys.secretKey} --profile my-storage`), cli);
    assert.ok(cli.includes(`aws configure set endpoint_url ${coffer.s3} --profile my-storage`), cli);
    assert.ok(cli.includes('aws configure set s3.addressing_style path --profile my-storage'), cli);
    assert.match(cli, /^aws s3 mb s3:\/\/my-container --profile my-storage$/m);
    const py = await page.locator('#snippet-boto3').innerText();
    assert.ok(py.includes(`endpoint_url="${coffer.s3}"`), py);
    assert.ok(py.includes(`aws_access_key_id="${keys.accessKey}"`), py);
    assert.ok(py.includes('region_name="us-east-1"'), py);
    await page.getByRole('button', { name: 'Copy boto3 snippet' }).click();
    assert.equal(await clipboard(), py.replace(/\n$/, ''));
  });

  test('Creating a Container: Create Storage, enter a name (validated as you type), Create', async () => {
    await page.getByRole('link', { name: 'Containers', exact: true }).click();
    await page.getByText('No containers yet.').waitFor();
    const create = page.getByRole('button', { name: 'Create Storage' });
    // Keyboard only: Enter opens the dialog, Escape closes it.
    await create.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Create Storage' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await create.click();
    await dialog.getByLabel('Container name').fill('My_Container');
    await dialog.getByText('Use lower-case letters only.').waitFor();
    assert.equal(await dialog.getByLabel('Container name').getAttribute('aria-invalid'), 'true');
    await b.shot('storage-create');
    await dialog.getByLabel('Container name').fill('my-container');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await containerRow('my-container').waitFor();
    // The server's own message is shown inline for a duplicate.
    await create.click();
    await dialog.getByLabel('Container name').fill('my-container');
    await page.keyboard.press('Enter');
    await dialog.getByRole('alert').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    for (const name of ['empty-bucket', 'full-bucket']) {
      await create.click();
      await dialog.getByLabel('Container name').fill(name);
      await dialog.getByRole('button', { name: 'Create', exact: true }).click();
      await containerRow(name).waitFor();
    }
  });

  test('AWS CLI: the copied keys upload, list and download objects', async () => {
    const conf = await coffer.configureProfile('my-storage', keys.accessKey, keys.secretKey);
    assert.equal(conf.code, 0, conf.stderr);
    let r = await coffer.aws(['s3', 'cp', 'myfile.txt', 's3://my-container/']);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['a.bin', 'b.bin']) {
      r = await coffer.aws(['s3', 'cp', f, 's3://full-bucket/']);
      assert.equal(r.code, 0, r.stderr);
    }
    r = await coffer.aws(['s3', 'ls']);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['my-container', 'empty-bucket', 'full-bucket']) assert.match(r.stdout, new RegExp(` ${name}$`, 'm'));
    r = await coffer.aws(['s3', 'cp', 's3://my-container/myfile.txt', 'downloaded.txt']);
    assert.equal(r.code, 0, r.stderr);

    // The Storage page shows the containers with their object counts and sizes.
    await page.reload();
    await containerRow('my-container').waitFor();
    assert.match(await containerRow('my-container').innerText(), /\b1\b[\s\S]*1.2 KiB/);
    assert.match(await containerRow('full-bucket').innerText(), /\b2\b[\s\S]*73.2 KiB/);
    assert.match(await containerRow('empty-bucket').innerText(), /\b0\b[\s\S]*0 B/);
    await b.shot('storage');
  });

  test('leaving the page and reloading: the secret key is gone, the access key stays', async () => {
    await openSettings();
    await access().getByLabel('Access key', { exact: true }).waitFor();
    assert.equal(await access().getByLabel('Access key', { exact: true }).inputValue(), keys.accessKey);
    assert.equal(await access().getByLabel('Secret key', { exact: true }).count(), 0);
    await page.reload();
    await access().getByText('Hidden.').waitFor();
    const html = await page.content();
    assert.ok(!html.includes(keys.secretKey), 'the secret appears nowhere on the page after a reload');
    assert.ok((await page.locator('#snippet-cli').innerText()).includes('#   aws configure set aws_secret_access_key <your-secret-key> --profile my-storage'));
    assert.ok((await page.locator('#snippet-cli').innerText()).includes(keys.accessKey));
    const me = await page.evaluate(() => fetch('/api/credentials').then((r) => r.text()));
    assert.ok(!me.includes(keys.secretKey), 'GET /api/credentials never returns the secret');
  });

  test('Viewing Usage: object count and bytes match what was uploaded; no quota is "unlimited"; block storage empty state', async () => {
    const u = await usage();
    assert.equal(u.objects, 3);
    assert.equal(u.bytes, bytesOf('myfile.txt') + bytesOf('a.bin') + bytesOf('b.bin'));
    const objectStorage = page.getByRole('region', { name: 'Object Storage' });
    assert.match(await objectStorage.innerText(), /3 objects used · unlimited/);
    const block = page.getByRole('region', { name: 'Block Storage' });
    await block.getByText('No block storage volumes are attached to your tenant\'s servers.').waitFor();
    await coffer.admin('volume', 'add', TENANT, '--name', 'db-data', '--size', '10GiB', '--server', 'db-1');
    await usage();
    const row = block.getByRole('row', { name: /db-data/ });
    await row.waitFor();
    assert.match(await row.innerText(), /db-data[\s\S]*10 GiB[\s\S]*db-1/);
    await b.shot('settings');
  });

  test('Rotating Credentials: Rotate, confirm in the dialog, new pair shown; the old key fails at once', async () => {
    await access().getByRole('button', { name: 'Rotate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate credentials?' });
    await dialog.getByText('Any client using the old secret key will lose access at once.').waitFor();
    await b.shot('settings-rotate-dialog');
    // Cancel keeps the old pair working.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    let r = await coffer.aws(['s3', 'ls']);
    assert.equal(r.code, 0, r.stderr);
    await access().getByRole('button', { name: 'Rotate' }).click();
    await dialog.getByRole('button', { name: 'Rotate' }).click();
    await dialog.waitFor({ state: 'detached' });
    await access().getByLabel('Secret key', { exact: true }).waitFor();
    oldKeys = keys;
    keys = await copyShownKeys();
    assert.notEqual(keys.accessKey, oldKeys.accessKey);
    assert.notEqual(keys.secretKey, oldKeys.secretKey);

    r = await coffer.aws(['s3', 'ls']);
    assert.notEqual(r.code, 0, 'the old key pair must fail after rotation');
    assert.match(r.stderr, /InvalidAccessKeyId|AccessDenied|SignatureDoesNotMatch/);
    await coffer.configureProfile('my-storage', keys.accessKey, keys.secretKey);
    r = await coffer.aws(['s3', 'ls', 's3://my-container/']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /myfile\.txt/);

    // While the new secret is shown, the boto3 snippet carries it and runs as
    // pasted (its listing part; the upload/download lines need local files).
    await page.getByLabel('Container in the snippets').selectOption('my-container');
    const py = await page.locator('#snippet-boto3').innerText();
    assert.ok(py.includes(`aws_secret_access_key="${keys.secretKey}"`), py);
    const listing = py.split('\n').filter((l) => !/put_object|get_object/.test(l)).join('\n');
    const out = await coffer.python(listing);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim(), 'myfile.txt');
  });

  test('Deleting a Container: an empty one is deleted at once', async () => {
    await page.getByRole('link', { name: 'Containers', exact: true }).click();
    await page.getByRole('button', { name: 'Delete empty-bucket' }).click();
    await containerRow('empty-bucket').waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('dialog').count(), 0, 'no dialog for an empty container');
    const r = await coffer.aws(['s3api', 'head-bucket', '--bucket', 'empty-bucket']);
    assert.notEqual(r.code, 0, 'the bucket is gone from S3');
  });

  test('Deleting a Container: a full one asks for its name, Force Delete only on an exact match', async () => {
    await page.getByRole('button', { name: 'Delete full-bucket' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete container full-bucket?' });
    await dialog.getByText(WARNING).waitFor();
    const input = dialog.getByLabel(/to confirm/);
    const force = dialog.getByRole('button', { name: 'Force Delete' });
    assert.equal(await force.isDisabled(), true);
    for (const wrong of ['full-bucke', 'Full-bucket', 'full-bucket ']) {
      await input.fill(wrong);
      assert.equal(await force.isDisabled(), true, `Force Delete stays disabled for "${wrong}"`);
    }
    await input.fill('full-bucket');
    assert.equal(await force.isEnabled(), true);
    await b.shot('storage-force-delete');
    // Cancel leaves the container and its objects untouched.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.match(await containerRow('full-bucket').innerText(), /\b2\b/);
    // Again by keyboard only: Enter on the delete icon, type the name
    // (the field has focus), Enter to Force Delete.
    await page.getByRole('button', { name: 'Delete full-bucket' }).focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.type('full-bucket');
    assert.equal(await force.isEnabled(), true);
    await page.keyboard.press('Enter');
    await containerRow('full-bucket').waitFor({ state: 'detached' });
    const r = await coffer.aws(['s3', 'ls', 's3://full-bucket/']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /NoSuchBucket/);
    await openSettings();
    const u = await usage();
    assert.deepEqual(u, { objects: 1, bytes: bytesOf('myfile.txt') });
  });

  test('Deleting Credentials: Delete, confirm; all S3 access is revoked', async () => {
    await access().getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete credentials?' });
    await dialog.getByText('Deleting revokes all S3 access until new credentials are generated.').waitFor();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await access().getByRole('button', { name: 'Generate Credentials' }).waitFor();
    const r = await coffer.aws(['s3', 'ls']);
    assert.notEqual(r.code, 0, 'deleted credentials must not work');
    assert.match(r.stderr, /InvalidAccessKeyId|AccessDenied/);
  });

  test('operator: sees tenants with usage, creates a tenant with a quota, manages users, sets a quota', async () => {
    await logout();
    await login('admin', coffer.password);
    // The operator lands on the Overview (admin-overview.test.mjs); tenants are one click away.
    await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
    await sidebar().getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('heading', { name: 'Tenants', exact: true }).waitFor();
    const acme = page.locator(`tr[data-tenant="${TENANT}"]`);
    await acme.waitFor();
    assert.match(await acme.innerText(), /1 used · unlimited/);

    await page.getByLabel('Tenant name').fill('beta');
    await page.getByLabel('Max objects').fill('5');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    const beta = page.locator('tr[data-tenant="beta"]');
    await beta.waitFor();
    assert.match(await beta.innerText(), /0 of 5 \(0%\)/);
    await b.shot('operator-tenants');

    await beta.getByRole('link', { name: 'beta' }).click();
    await page.getByRole('heading', { name: 'Tenant beta' }).waitFor();
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Password').fill('bob-Pa55word!');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('region', { name: 'Console users' }).getByRole('row', { name: /^bob/ }).waitFor();
    await page.getByLabel('Volume name').fill('beta-vol');
    await page.getByLabel('Size', { exact: true }).fill('20');
    await page.getByLabel('Size unit').selectOption({ label: 'GiB' });
    await page.getByLabel('Attached server').fill('web-1');
    await page.getByRole('button', { name: 'Add volume' }).click();
    await page.getByRole('region', { name: 'Block storage volumes' }).getByRole('row', { name: /^beta-vol/ }).waitFor();

    await page.getByRole('link', { name: 'All tenants' }).click();
    await acme.getByRole('link', { name: TENANT }).click();
    await page.getByRole('heading', { name: `Tenant ${TENANT}` }).waitFor();
    await page.getByLabel('Max objects').fill('2');
    await page.getByRole('button', { name: 'Save quota' }).click();
    await page.getByText(`Quota of ${TENANT} saved`).waitFor();
    const out = await coffer.admin('tenant', 'show', '--json', TENANT);
    assert.equal(JSON.parse(out).quota.objects, 2, 'the quota set in the UI is the server\'s quota');
    await b.shot('operator-tenant');
  });

  test('operator: drive health and scrub status', async () => {
    await sidebar().getByRole('link', { name: 'Drives' }).click();
    await page.getByText('4 of 4 drives online.').waitFor();
    assert.equal(await page.getByText('Online', { exact: true }).count(), 4);
    await page.getByRole('heading', { name: 'Scrub and heal' }).waitFor();
    assert.match(await page.locator('main').innerText(), /free of/);
    await b.shot('operator-drives');
  });

  test('the tenant\'s quota indicator reflects the operator\'s quota, and the quota is enforced', async () => {
    await logout();
    await login(USER, USER_PASSWORD);
    await openSettings();
    await usage();
    let meter = page.getByRole('meter', { name: 'Object quota' });
    assert.equal(await meter.getAttribute('aria-valuenow'), '1');
    assert.equal(await meter.getAttribute('aria-valuemax'), '2');
    assert.equal(await meter.getAttribute('data-level'), 'ok');
    assert.match(await page.getByRole('region', { name: 'Object Storage' }).innerText(), /1 of 2 objects \(50%\)/);

    // The operator tightens the quota from the CLI; the bar turns to "full".
    await coffer.admin('tenant', 'set-quota', TENANT, '--objects', '1');
    await usage();
    meter = page.getByRole('meter', { name: 'Object quota' });
    assert.equal(await meter.getAttribute('data-level'), 'full');
    assert.match(await page.getByRole('region', { name: 'Object Storage' }).innerText(), /1 of 1 objects \(100%\)/);
    await b.shot('settings-quota-full');

    // New credentials, and an upload beyond the quota is refused.
    await access().getByRole('button', { name: 'Generate Credentials' }).click();
    keys = await copyShownKeys();
    await coffer.configureProfile('my-storage', keys.accessKey, keys.secretKey);
    const r = await coffer.aws(['s3', 'cp', 'a.bin', 's3://my-container/']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /QuotaExceeded/);
  });

  test('the new tenant\'s user sees its own empty storage and its quota', async () => {
    await logout();
    await login('bob', 'bob-Pa55word!');
    await page.getByText('No containers yet.').waitFor();
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('meter', { name: 'Object quota' }).waitFor();
    assert.match(await page.getByRole('region', { name: 'Object Storage' }).innerText(), /0 of 5 objects \(0%\)/);
    const vol = page.getByRole('region', { name: 'Block Storage' }).getByRole('row', { name: /beta-vol/ });
    assert.match(await vol.innerText(), /beta-vol[\s\S]*20 GiB[\s\S]*web-1/);
  });

  test('narrow screen: no horizontal scrolling, sidebar still reachable', async () => {
    await logout();
    await page.setViewportSize({ width: 390, height: 844 });
    await login(USER, USER_PASSWORD);
    await openSettings();
    await usage();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await b.shot('settings-narrow');
    await page.getByRole('link', { name: 'Containers', exact: true }).click();
    await page.getByRole('button', { name: 'Delete my-container' }).waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    await b.shot('storage-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('a tenant user cannot open operator pages; Log out ends the session', async () => {
    await page.goto(`${coffer.console}/#/admin/tenants`);
    await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    assert.equal(await sidebar().getByRole('link', { name: 'Tenants' }).count(), 0);
    const status = await page.evaluate(() => fetch('/api/admin/tenants').then((r) => r.status));
    assert.equal(status, 403);
    await logout();
    await page.goto(`${coffer.console}/#/storage/settings`);
    await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
    const me = await page.evaluate(() => fetch('/api/me').then((r) => r.status));
    assert.equal(me, 401);
  });

  test('the console sent no request to any host but its own, and no CSP violation happened', () => {
    const origin = new URL(coffer.console).origin;
    const foreign = b.requests.filter((u) => new URL(u).origin !== origin);
    assert.deepEqual(foreign, []);
    assert.ok(b.requests.length > 20, 'requests were recorded');
    assert.deepEqual(b.problems, []);
  });

  test('every state-changing API call after login carried the session\'s X-CSRF-Token', () => {
    const calls = b.writes.filter((w) => new URL(w.url).pathname !== '/api/login');
    assert.ok(calls.length >= 15, `only ${calls.length} state-changing calls recorded`);
    const missing = calls.filter((w) => w.csrf.length < 16);
    assert.deepEqual(missing, []);
  });
});

// Cookie tossing (issue 12 finding 7): cookies ignore ports, so an HTML
// object served by the S3 listener of the same host could plant the
// attacker's console session in the victim's browser, and the victim's next
// Generate Credentials would land in the attacker's tenant. Own server and
// browser, so the checks of the suite above stay exact.
describe('a session cookie planted by another origin on the same host', { concurrency: 1 }, () => {
  let srv;
  let br;
  let pg;
  let attackerToken = '';
  let baitURL = '';

  const hasKey = async (tenant) => {
    try { await srv.admin('keys', 'show', tenant); return true; } catch { return false; }
  };
  const loginAs = async (username, password) => {
    await pg.goto(`${srv.console}/`);
    await pg.getByLabel('Username').fill(username);
    await pg.getByLabel('Password').fill(password);
    await pg.getByRole('button', { name: 'Log in' }).click();
  };
  const settings = async () => {
    await pg.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Storage' }).click();
    await pg.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    await pg.getByRole('link', { name: 'Settings', exact: true }).click();
    await pg.getByRole('heading', { name: 'Access', exact: true }).waitFor();
  };
  const region = () => pg.getByRole('region', { name: 'Access', exact: true });
  const plant = (path) => br.context.addCookies([{
    name: 'coffer_session', value: attackerToken, domain: '127.0.0.1', path, httpOnly: false, secure: false, sameSite: 'Strict',
  }]);
  const sessionNotice = () => pg.locator('#login-notice').filter({ hasText: /session changed/i });

  before(async () => {
    srv = connectCoffer(); // the same server as above: tenants victim and mallory are new
    for (const t of ['victim', 'mallory']) {
      await srv.admin('tenant', 'create', t);
      await srv.admin('user', 'create', t, `${t}-user`, '--password', `password-of-${t}`);
    }
    // The attacker's S3 keys, a bucket with an HTML object, and a presigned link to it.
    const k = JSON.parse(await srv.admin('keys', 'generate', 'mallory'));
    assert.equal((await srv.configureProfile('mallory', k.accessKey, k.secretKey)).code, 0);
    // The attacker's own console session: the cookie to plant.
    const res = await fetch(`${srv.console}/api/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'mallory-user', password: 'password-of-mallory' }),
    });
    assert.equal(res.status, 200);
    attackerToken = ((res.headers.get('set-cookie') || '').match(/coffer_session=([^;]+)/) || [])[1] || '';
    assert.ok(attackerToken.length > 20, 'attacker session token');
    const html = '<!doctype html><title>cat pictures</title><script>' +
      `document.cookie = "coffer_session=${attackerToken}; path=/api"; document.title = "planted";</script>`;
    writeFileSync(join(srv.work, 'evil.html'), html);
    const mallory = { profile: 'mallory' };
    assert.equal((await srv.aws(['s3', 'mb', 's3://bait'], mallory)).code, 0);
    const cp = await srv.aws(['s3', 'cp', join(srv.work, 'evil.html'), 's3://bait/evil.html', '--content-type', 'text/html'], mallory);
    assert.equal(cp.code, 0, cp.stderr);
    const ps = await srv.aws(['s3', 'presign', 's3://bait/evil.html'], mallory);
    assert.equal(ps.code, 0, ps.stderr);
    baitURL = ps.stdout.trim();
    br = await launch(srv.console);
    pg = br.page;
  });

  after(async () => {
    if (br) await br.close();
  });

  test('the S3 listener serves the HTML sandboxed: its script cannot plant a cookie', async () => {
    await loginAs('victim-user', 'password-of-victim');
    await pg.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    const tab = await br.context.newPage();
    await tab.goto(baitURL);
    await tab.waitForLoadState('load');
    const title = await tab.title();
    await tab.close();
    const planted = (await br.context.cookies()).filter((c) => c.value === attackerToken);
    assert.deepEqual(planted, [], 'the S3 object planted the attacker\'s session cookie');
    assert.equal(title, 'cat pictures', 'the object\'s script ran');
    const res = await fetch(baitURL);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-security-policy'), 'sandbox');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    // From here on the attacker's tenant has no key, so a Generate Credentials
    // landing there would show.
    await srv.admin('keys', 'delete', 'mallory');
    assert.equal(await hasKey('mallory'), false);
  });

  test('a shadow cookie planted anyway: Generate Credentials is refused, the page asks to log in again', async () => {
    await settings();
    await plant('/api'); // as another service on this host could
    await region().getByRole('button', { name: 'Generate Credentials' }).click();
    await pg.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
    await sessionNotice().waitFor();
    assert.equal(await hasKey('mallory'), false, 'a key was created in the attacker\'s tenant');
    assert.equal(await hasKey('victim'), false);
    // The refusal cleared the planted cookie: logging in again works, in the victim's tenant.
    await loginAs('victim-user', 'password-of-victim');
    await pg.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    await settings();
    await region().getByRole('button', { name: 'Generate Credentials' }).click();
    await region().getByText('The secret key is not shown again after you leave the page.').waitFor();
    assert.equal(await hasKey('victim'), true);
    assert.equal(await hasKey('mallory'), false, 'a key was created in the attacker\'s tenant');
  });

  test('the session swapped outright: coming back to the console, the page does not adopt it', async () => {
    await br.context.clearCookies(); // an attacker who evicted the victim's cookie
    await plant('/');
    await pg.goto(`${srv.console}/`);
    await pg.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
    await sessionNotice().waitFor();
    assert.equal(await pg.locator('#who').isHidden(), true, 'the page shows someone as logged in');
    // The page ended the planted session on the server.
    const me = await fetch(`${srv.console}/api/me`, { headers: { Cookie: `coffer_session=${attackerToken}` } });
    assert.equal(me.status, 401, 'the planted session is still alive');
    await srv.admin('keys', 'delete', 'victim');
    assert.equal(await hasKey('mallory'), false);
  });
});
