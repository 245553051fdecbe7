// uploads.test.mjs: a container's unfinished multipart uploads in the
// console: shown per container (count, bytes, age), aborted one by one and
// all at once, explained in the usage panel, and a container holding only
// uploads deleted without Force Delete. The AWS CLI starts the uploads and
// checks what the server holds afterwards.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectCoffer } from './lib/coffer.mjs';
import { launch } from './lib/browser.mjs';

const TENANT = 'upco';
const USER = 'uma';
const PASSWORD = 'uma-Pa55word!';
const PROFILE = 'upco';

let coffer;
let b;
let page;

const row = (name) => page.locator(`tr[data-container="${name}"]`);

async function aws(args) {
  const r = await coffer.aws(args, { profile: PROFILE });
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// startUpload starts a multipart upload of key with one part of the file
// (none when file is empty) and returns its upload id.
async function startUpload(bucket, key, file) {
  const out = JSON.parse(await aws(['s3api', 'create-multipart-upload', '--bucket', bucket, '--key', key, '--output', 'json']));
  if (file) {
    await aws(['s3api', 'upload-part', '--bucket', bucket, '--key', key, '--upload-id', out.UploadId,
      '--part-number', '1', '--body', file, '--output', 'json']);
  }
  return out.UploadId;
}

async function listUploads(bucket) {
  const out = await aws(['s3api', 'list-multipart-uploads', '--bucket', bucket, '--output', 'json']);
  return out.trim() ? (JSON.parse(out).Uploads || []) : [];
}

async function openStorage() {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Storage' }).click();
  await page.getByRole('link', { name: 'Containers', exact: true }).click();
  await row('parts').waitFor();
}

describe('unfinished multipart uploads in the console', { concurrency: 1 }, () => {
  before(async () => {
    coffer = connectCoffer();
    await coffer.admin('tenant', 'create', TENANT);
    await coffer.admin('user', 'create', TENANT, USER, '--password', PASSWORD);
    const keys = JSON.parse(await coffer.admin('keys', 'generate', TENANT));
    const conf = await coffer.configureProfile(PROFILE, keys.accessKey, keys.secretKey);
    assert.equal(conf.code, 0, conf.stderr);
    writeFileSync(join(coffer.work, 'part-3000.bin'), Buffer.alloc(3000, 'p'));
    writeFileSync(join(coffer.work, 'part-1234.bin'), Buffer.alloc(1234, 'q'));
    for (const bucket of ['parts', 'only-uploads']) await aws(['s3', 'mb', `s3://${bucket}`]);
    await aws(['s3api', 'put-object', '--bucket', 'parts', '--key', 'done.txt', '--body', 'part-1234.bin']);
    await startUpload('parts', 'big/one', 'part-3000.bin');
    await startUpload('parts', 'big/two', '');
    await startUpload('only-uploads', 'video.mp4', 'part-1234.bin');

    b = await launch(coffer.console);
    page = b.page;
    await page.goto(`${coffer.console}/`);
    await page.getByLabel('Username').fill(USER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
  });

  after(async () => {
    if (b) await b.close();
  });

  test('each container shows its unfinished uploads: count, bytes and age', async () => {
    await openStorage();
    const parts = row('parts');
    assert.match(await parts.innerText(), /2 uploads · 2\.9 KiB\s+oldest (under a minute|1 minute)/);
    assert.match(await parts.locator('[data-uploads]').getAttribute('title'), /^2 unfinished uploads hold 2\.9 KiB, oldest /);
    assert.equal(await parts.locator('[data-uploads]').getAttribute('data-upload-bytes'), '3000');
    assert.match(await row('only-uploads').innerText(), /1 upload · 1\.2 KiB/);
    await b.shot('storage-uploads');
  });

  test('the usage panel explains what unfinished uploads hold', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    const note = page.locator('#usage-uploads-note');
    await note.waitFor();
    assert.equal(await page.locator('#usage-uploads').innerText(), '3');
    assert.match(await note.innerText(), /3 unfinished uploads hold 4\.1 KiB \(included in Bytes stored\)\. They count toward your quota; abort them or they stay\./);
    assert.equal(await page.locator('#usage-bytes').getAttribute('data-bytes'), String(1234 + 3000 + 1234));
  });

  test('View / Abort lists the uploads; Abort removes one, Abort all the rest', async () => {
    await openStorage();
    await row('parts').getByRole('button', { name: 'Unfinished uploads of parts' }).click();
    const dialog = page.getByRole('dialog', { name: 'Unfinished uploads in parts' });
    await dialog.waitFor();
    const one = dialog.locator('tr', { hasText: 'big/one' });
    const two = dialog.locator('tr', { hasText: 'big/two' });
    await one.waitFor();
    assert.match(await one.innerText(), /big\/one[\s\S]*\b1\b[\s\S]*2\.9 KiB/);
    assert.match(await two.innerText(), /big\/two[\s\S]*\b0\b[\s\S]*0 B/);
    await b.shot('storage-uploads-dialog');

    await dialog.getByRole('button', { name: 'Abort upload of big/two' }).click();
    await dialog.getByText('Upload of big/two aborted.').waitFor();
    await two.waitFor({ state: 'detached' });
    assert.deepEqual((await listUploads('parts')).map((u) => u.Key), ['big/one']);

    await dialog.getByRole('button', { name: 'Abort all' }).click();
    const confirm = page.getByRole('dialog', { name: 'Abort all unfinished uploads in parts?' });
    await confirm.getByRole('button', { name: 'Abort all' }).click();
    await confirm.waitFor({ state: 'detached' });
    await dialog.getByText('1 upload aborted.').waitFor();
    await dialog.getByText('No unfinished uploads.').waitFor();
    assert.deepEqual(await listUploads('parts'), []);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    // The list is reloaded: parts has none left; its object is untouched.
    await page.waitForFunction(() => /\bNone\b/.test(document.querySelector('tr[data-container="parts"] td.uploads')?.innerText || ''));
    assert.match(await aws(['s3', 'ls', 's3://parts/']), /done\.txt/);
  });

  test('a container with 0 objects and only uploads is deleted without Force Delete', async () => {
    await row('only-uploads').getByRole('button', { name: 'Delete only-uploads' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete container only-uploads?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /holds no objects\. Its 1 unfinished upload holds 1\.2 KiB, oldest .*; deleting the container aborts them\./);
    assert.equal(await dialog.getByRole('button', { name: 'Force Delete' }).count(), 0, 'no Force Delete offered');
    assert.equal(await dialog.getByLabel(/to confirm/).count(), 0, 'no name to type');
    await b.shot('storage-delete-uploads-only');
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Container only-uploads deleted; its unfinished uploads were aborted.').waitFor();
    await row('only-uploads').waitFor({ state: 'detached' });
    assert.doesNotMatch(await aws(['s3', 'ls']), /only-uploads/);
    const audit = await coffer.admin('audit', '--tenant', TENANT, '--json');
    assert.match(audit, /"action":\s*"container\.delete"[^}]*"target":\s*"only-uploads"/);
    assert.match(audit, /"action":\s*"upload\.abort"[^}]*"target":\s*"parts\/big\/two/);
  });

  test('no page error, no CSP violation', () => {
    assert.deepEqual(b.problems, []);
  });
});
