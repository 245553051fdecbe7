// versioning.test.mjs: a container's versioning in the console: the state
// (Never enabled / Enabled / Suspended) and the toggle, checked against what
// the AWS CLI sees; the noncurrent versions and their bytes; an Object Lock
// container's default retention, with no way offered to suspend it.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectCoffer } from './lib/coffer.mjs';
import { launch } from './lib/browser.mjs';

const TENANT = 'verco';
const USER = 'vera';
const PASSWORD = 'vera-Pa55word!';
const PROFILE = 'verco';

let coffer;
let b;
let page;
// s3Versioning: this build's S3 layer answers ListObjectVersions (today's
// 501 before issue 14's S3 part lands); only then are the console's states
// cross-checked with the AWS CLI, and an Object Lock bucket created.
let s3Versioning = false;

const row = (name) => page.locator(`tr[data-container="${name}"]`);

async function aws(args) {
  const r = await coffer.aws(args, { profile: PROFILE });
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function versioningStatus(bucket) {
  if (!s3Versioning) return null;
  const out = await aws(['s3api', 'get-bucket-versioning', '--bucket', bucket, '--output', 'json']);
  return out.trim() ? (JSON.parse(out).Status || '') : '';
}

// toggle clicks the container's versioning button and confirms the dialog.
async function toggle(name, label, dialogText) {
  await row(name).getByRole('button', { name: `${label} of ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: `${label} of ${name}?` });
  await dialog.waitFor();
  assert.match(await dialog.innerText(), dialogText);
  await dialog.getByRole('button', { name: label }).click();
  await dialog.waitFor({ state: 'detached' });
}

describe('container versioning in the console', { concurrency: 1 }, () => {
  before(async () => {
    coffer = connectCoffer();
    await coffer.admin('tenant', 'create', TENANT);
    await coffer.admin('user', 'create', TENANT, USER, '--password', PASSWORD);
    const keys = JSON.parse(await coffer.admin('keys', 'generate', TENANT));
    const conf = await coffer.configureProfile(PROFILE, keys.accessKey, keys.secretKey);
    assert.equal(conf.code, 0, conf.stderr);
    writeFileSync(join(coffer.work, 'v1.bin'), Buffer.alloc(2048, '1'));
    writeFileSync(join(coffer.work, 'v2.bin'), Buffer.alloc(3072, '2'));
    await aws(['s3', 'mb', 's3://history']);
    s3Versioning = (await coffer.aws(['s3api', 'list-object-versions', '--bucket', 'history'], { profile: PROFILE })).code === 0;

    b = await launch(coffer.console);
    page = b.page;
    await page.goto(`${coffer.console}/`);
    await page.getByLabel('Username').fill(USER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    await row('history').waitFor();
  });

  after(async () => {
    if (b) await b.close();
  });

  test('a new container: versioning never enabled; Enable warns it cannot be turned off', async () => {
    assert.equal(await row('history').locator('[data-versioning]').innerText(), 'Never enabled');
    assert.equal(await row('history').getByRole('button', { name: 'Suspend versioning of history' }).count(), 0);
    await toggle('history', 'Enable versioning', /can only be suspended, never turned off/);
    await page.getByText('Versioning of history enabled.').waitFor();
    await row('history').getByRole('button', { name: 'Suspend versioning of history' }).waitFor();
    assert.equal(await row('history').locator('[data-versioning]').innerText(), 'Enabled');
    assert.ok([null, 'Enabled'].includes(await versioningStatus('history')));
  });

  test('overwrites keep versions: the noncurrent bytes are shown', async () => {
    await aws(['s3', 'cp', 'v1.bin', 's3://history/doc.bin']);
    await aws(['s3', 'cp', 'v2.bin', 's3://history/doc.bin']);
    if (s3Versioning) {
      const versions = JSON.parse(await aws(['s3api', 'list-object-versions', '--bucket', 'history', '--output', 'json']));
      assert.equal(versions.Versions.length, 2);
    }
    await page.reload();
    await row('history').waitFor();
    assert.match(await row('history').innerText(), /\b2\b[\s\S]*5 KiB[\s\S]*Enabled[\s\S]*1 noncurrent version holds 2 KiB/);
    assert.equal(await row('history').locator('[data-noncurrent-bytes]').getAttribute('data-noncurrent-bytes'), '2048');
    await b.shot('storage-versioning');
    // The usage panel says how much of the bytes stored is noncurrent.
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    const note = page.locator('#usage-noncurrent');
    await note.waitFor();
    assert.equal(await note.getAttribute('data-bytes'), '2048');
    assert.match(await note.innerText(), /Of these, 2 KiB in 1 noncurrent version kept by versioning; they count toward your quota/);
    await page.getByRole('link', { name: 'Containers', exact: true }).click();
    await row('history').waitFor();
  });

  test('Suspend: the state follows, versions already kept stay', async () => {
    await toggle('history', 'Suspend versioning', /versions already kept stay/);
    await page.getByText('Versioning of history suspended.').waitFor();
    assert.equal(await row('history').locator('[data-versioning]').innerText(), 'Suspended');
    assert.ok([null, 'Suspended'].includes(await versioningStatus('history')));
    assert.match(await row('history').innerText(), /1 noncurrent version holds 2 KiB/);
    // Enable is offered again; never a way back to unversioned.
    await row('history').getByRole('button', { name: 'Enable versioning of history' }).waitFor();
    assert.equal(await page.getByText('Never enabled').count(), 0);
  });

  test('an Object Lock container shows its default retention and offers no Suspend', async (t) => {
    if (!s3Versioning) {
      t.skip('this build\'s S3 layer has no versioning or Object Lock yet (ListObjectVersions answered an error)');
      return;
    }
    await aws(['s3api', 'create-bucket', '--bucket', 'vault', '--object-lock-enabled-for-bucket']);
    await aws(['s3api', 'put-object-lock-configuration', '--bucket', 'vault', '--object-lock-configuration',
      '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}']);
    await page.reload();
    await row('vault').waitFor();
    assert.equal(await row('vault').locator('[data-versioning]').innerText(), 'Enabled');
    assert.match(await row('vault').locator('[data-object-lock]').innerText(), /Object Lock: GOVERNANCE, 1 day by default/);
    assert.equal(await row('vault').getByRole('button', { name: /versioning of vault/ }).count(), 0);
    await b.shot('storage-object-lock');
  });

  test('no page error, no CSP violation', () => {
    assert.deepEqual(b.problems, []);
  });
});
