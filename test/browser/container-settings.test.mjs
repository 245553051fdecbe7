// container-settings.test.mjs: a container's settings page in the console:
// the lifecycle form ("Delete objects older than N days", "Clean up
// unfinished uploads after N days") checked against what S3's
// GetBucketLifecycleConfiguration returns, a rule set through S3 kept and
// shown read-only, a refusal shown inline; the Public access setting with
// its warning and the policy editor's validation, checked against the
// stored policy (and, when this build's S3 layer has bucket policies,
// GetBucketPolicy and an anonymous GET at TENANT:BUCKET).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectCoffer, run } from './lib/coffer.mjs';
import { launch } from './lib/browser.mjs';

const TENANT = 'setco';
const USER = 'seth';
const PASSWORD = 'seth-Pa55word!';
const PROFILE = 'setco';
const BUCKET = 'site';

let coffer;
let b;
let page;

async function aws(args) {
  const r = await coffer.aws(args, { profile: PROFILE });
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function s3Lifecycle() {
  return JSON.parse(await aws(['s3api', 'get-bucket-lifecycle-configuration', '--bucket', BUCKET, '--output', 'json'])).Rules;
}

// consoleGET reads the console API in the page's session.
function consoleGET(path) {
  return page.evaluate(async (p) => (await fetch(p, { headers: { Accept: 'application/json' } })).json(), path);
}

describe('container settings in the console', { concurrency: 1 }, () => {
  before(async () => {
    coffer = connectCoffer();
    await coffer.admin('tenant', 'create', TENANT);
    await coffer.admin('user', 'create', TENANT, USER, '--password', PASSWORD);
    const keys = JSON.parse(await coffer.admin('keys', 'generate', TENANT));
    const conf = await coffer.configureProfile(PROFILE, keys.accessKey, keys.secretKey);
    assert.equal(conf.code, 0, conf.stderr);
    await aws(['s3', 'mb', `s3://${BUCKET}`]);
    writeFileSync(join(coffer.work, 'hello.txt'), 'hello, public world');
    await aws(['s3', 'cp', join(coffer.work, 'hello.txt'), `s3://${BUCKET}/hello.txt`]);

    b = await launch(coffer.console);
    page = b.page;
    await page.goto(`${coffer.console}/`);
    await page.getByLabel('Username').fill(USER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    await page.getByRole('button', { name: `Settings of ${BUCKET}` }).click();
    await page.getByRole('heading', { name: `Settings of ${BUCKET}` }).waitFor();
    await page.getByRole('heading', { name: 'Lifecycle' }).waitFor();
  });

  after(async () => {
    if (b) await b.close();
  });

  test('the lifecycle form writes the rules S3 returns', async () => {
    await page.getByLabel('Delete objects older than').check();
    await page.locator('#expire-days').fill('30');
    await page.getByLabel('Clean up unfinished uploads after').check();
    await page.locator('#abort-days').fill('3');
    await page.getByRole('button', { name: 'Save lifecycle' }).click();
    await page.getByText('Lifecycle saved.').waitFor();
    const rules = await s3Lifecycle();
    assert.deepEqual(rules.map((r) => r.ID), ['console-expire', 'console-abort']);
    assert.equal(rules[0].Expiration.Days, 30);
    assert.equal(rules[0].Status, 'Enabled');
    assert.equal(rules[1].AbortIncompleteMultipartUpload.DaysAfterInitiation, 3);
  });

  test('a rule set through S3 is kept and shown read-only; the form edits its own', async () => {
    const current = await s3Lifecycle();
    const cfg = { Rules: [...current, { ID: 'tmp-files', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } }] };
    writeFileSync(join(coffer.work, 'lc.json'), JSON.stringify(cfg));
    await aws(['s3api', 'put-bucket-lifecycle-configuration', '--bucket', BUCKET, '--lifecycle-configuration', `file://${join(coffer.work, 'lc.json')}`]);
    await page.reload();
    const other = page.locator('[data-rule="tmp-files"]');
    await other.waitFor();
    assert.match(await other.innerText(), /keys starting with "tmp\/": delete objects 1 days after creation/);
    assert.equal(await page.locator('#expire-days').inputValue(), '30');

    await page.locator('#expire-days').fill('45');
    await page.getByLabel('Clean up unfinished uploads after').uncheck();
    await page.getByRole('button', { name: 'Save lifecycle' }).click();
    await page.getByText('Lifecycle saved.').waitFor();
    const rules = await s3Lifecycle();
    assert.deepEqual(rules.map((r) => r.ID), ['tmp-files', 'console-expire']);
    assert.equal(rules[1].Expiration.Days, 45);
    await b.shot('container-lifecycle');
    assert.equal(rules[0].Filter.Prefix, 'tmp/');
  });

  test('lifecycle.Parse refusals are shown inline and nothing changes', async () => {
    // A legacy (V1, top-level Prefix) configuration: the form's rule is
    // written in that form too, and S3 refuses overlapping V1 prefixes.
    const cfg = { Rules: [{ ID: 'old', Prefix: 'a/', Status: 'Enabled', Expiration: { Days: 3 } }] };
    writeFileSync(join(coffer.work, 'lc1.json'), JSON.stringify(cfg));
    await aws(['s3api', 'put-bucket-lifecycle-configuration', '--bucket', BUCKET, '--lifecycle-configuration', `file://${join(coffer.work, 'lc1.json')}`]);
    await page.reload();
    await page.locator('[data-rule="old"]').waitFor();
    await page.getByLabel('Delete objects older than').check();
    await page.locator('#expire-days').fill('9');
    await page.getByRole('button', { name: 'Save lifecycle' }).click();
    const err = page.locator('[data-lifecycle-error]');
    await err.waitFor();
    assert.equal(await err.innerText(), "InvalidRequest: Found overlapping prefixes '' and 'a/' for same action type 'Expiration'");
    assert.deepEqual((await s3Lifecycle()).map((r) => r.ID), ['old']);
  });

  test('Public read warns, then writes the public-read statement', async () => {
    const warning = page.locator('#public-warning');
    assert.equal(await warning.isVisible(), false);
    await page.getByLabel('Public read').check();
    await warning.waitFor({ state: 'visible' });
    assert.match(await warning.innerText(), /Anyone with the link can read every object in this container/);
    await page.getByRole('button', { name: 'Save public access' }).click();
    await page.getByText(`${BUCKET} is now public: anyone can read its objects.`).waitFor();
    assert.equal(await page.locator('[data-access-state]').getAttribute('data-access-state'), 'public');
    const url = await page.locator('[data-public-url]').getAttribute('data-public-url');
    assert.equal(url, `${coffer.s3}/${TENANT}:${BUCKET}/`);
    await b.shot('container-public', { fullPage: false }); // the public access panel; the page goes on with the policy and lifecycle

    const v = await consoleGET(`/api/containers/${BUCKET}/policy`);
    assert.equal(v.publicRead, true);
    const doc = JSON.parse(v.policy);
    assert.deepEqual(doc.Statement, [{ Sid: 'console-public-read', Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${BUCKET}/*`] }]);

    // The object's details show its public URL.
    await page.getByRole('link', { name: BUCKET, exact: true }).click();
    await page.locator('tr[data-key="hello.txt"]').getByRole('button', { name: 'hello.txt', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'hello.txt' });
    const field = dialog.locator('#public-url');
    await field.waitFor();
    assert.equal(await field.inputValue(), `${url}hello.txt`);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('link', { name: 'Container settings' }).click();
    await page.getByLabel('Policy document (JSON)').waitFor();

    // With bucket policies in the S3 layer: S3 returns the same document
    // and an anonymous GET at TENANT:BUCKET/KEY reads the object.
    const got = await coffer.aws(['s3api', 'get-bucket-policy', '--bucket', BUCKET, '--output', 'json'], { profile: PROFILE });
    if (got.code === 0) {
      assert.deepEqual(JSON.parse(JSON.parse(got.stdout).Policy), doc);
      const curl = await run('curl', ['-sS', '-o', '-', '-w', '\n%{http_code}', `${url}hello.txt`]);
      assert.equal(curl.stdout, 'hello, public world\n200');
    }
  });

  test('the policy editor shows the MalformedPolicy reason and saves a valid policy', async () => {
    const ta = page.getByLabel('Policy document (JSON)');
    await ta.fill(JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::elsewhere/*' }] }));
    await page.getByRole('button', { name: 'Save policy' }).click();
    const err = page.locator('[data-policy-error]');
    await err.waitFor();
    assert.equal(await err.innerText(), 'MalformedPolicy: Policy has invalid resource');
    assert.equal((await consoleGET(`/api/containers/${BUCKET}/policy`)).publicRead, true);

    const deny = { Version: '2012-10-17', Statement: [{ Sid: 'NoDeletes', Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${BUCKET}/*` }] };
    await ta.fill(JSON.stringify(deny));
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Policy saved.').waitFor();
    assert.equal(await page.locator('[data-access-state]').getAttribute('data-access-state'), 'private');
    const v = await consoleGET(`/api/containers/${BUCKET}/policy`);
    assert.equal(v.publicRead, false);
    assert.equal(JSON.parse(v.policy).Statement[0].Sid, 'NoDeletes');

    await page.getByRole('button', { name: 'Delete policy' }).click();
    await page.getByText('Policy deleted: the container is private.').waitFor();
    assert.equal((await consoleGET(`/api/containers/${BUCKET}/policy`)).policy, '');
    assert.deepEqual(b.problems, []);
  });
});
