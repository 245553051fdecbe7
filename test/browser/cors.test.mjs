// cors.test.mjs: a web application on another origin (a second loopback
// port) uploads a file straight to Coffer with a presigned POST and reads it
// back with fetch under the bucket's CORS rules, in headless Chromium; the
// same page against a bucket without a CORS rule is refused by the browser.
// The policy is signed here with the tenant's keys, as an application's
// backend would sign it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './lib/browser.mjs';
import { connectCoffer } from './lib/coffer.mjs';

const coffer = connectCoffer();
const tenant = `web${randomBytes(3).toString('hex')}`;
const withCORS = 'web-uploads';
const withoutCORS = 'no-cors-uploads';
let keys;
let site; // the application's origin: a static page on another port
let origin;
let browser;

// The application's page: nothing but the script the test drives.
const page = '<!doctype html><meta charset="utf-8"><title>uploader</title><p id="out">ready</p>';

function hmac(key, data) { return createHmac('sha256', key).update(data).digest(); }

// presignedPost returns the form fields of a SigV4 POST policy for key.
function presignedPost(bucket, key) {
  const now = new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const day = amzDate.slice(0, 8);
  const credential = `${keys.accessKey}/${day}/us-east-1/s3/aws4_request`;
  const policy = Buffer.from(JSON.stringify({
    expiration: new Date(now.getTime() + 10 * 60000).toISOString(),
    conditions: [
      { bucket }, { key }, { success_action_status: '201' },
      ['content-length-range', 1, 1024],
      ['starts-with', '$Content-Type', 'text/'],
      { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': credential }, { 'x-amz-date': amzDate },
    ],
  })).toString('base64');
  let k = hmac(`AWS4${keys.secretKey}`, day);
  for (const part of ['us-east-1', 's3', 'aws4_request']) k = hmac(k, part);
  return {
    key, success_action_status: '201', 'Content-Type': 'text/plain',
    'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': credential, 'x-amz-date': amzDate,
    policy, 'x-amz-signature': hmac(k, policy).toString('hex'),
  };
}

// presignV4 signs a URL for method on path (query-string SigV4, host the
// only signed header, unsigned payload), as an application's backend would.
function presignV4(method, path) {
  const url = new URL(coffer.s3);
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const enc = (v) => encodeURIComponent(v).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  const params = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'], ['X-Amz-Credential', `${keys.accessKey}/${scope}`],
    ['X-Amz-Date', amzDate], ['X-Amz-Expires', '600'], ['X-Amz-SignedHeaders', 'host'],
  ].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
  const canonical = [method, path, params, `host:${url.host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k = hmac(`AWS4${keys.secretKey}`, day);
  for (const part of ['us-east-1', 's3', 'aws4_request']) k = hmac(k, part);
  return `${url.origin}${path}?${params}&X-Amz-Signature=${hmac(k, toSign).toString('hex')}`;
}

// putFrom runs in the page: a PUT is not a simple request, so the browser
// sends a preflight first and the PUT only if the preflight allows it.
async function putFrom({ url, text }) {
  try {
    const res = await fetch(url, { method: 'PUT', body: text, headers: { 'Content-Type': 'text/plain' } });
    return { status: res.status, etag: res.headers.get('ETag') };
  } catch (e) {
    return { error: String(e) };
  }
}

// presignedGet asks the AWS CLI for a presigned GET URL.
async function presignedGet(bucket, key) {
  const r = await coffer.aws(['s3', 'presign', `s3://${bucket}/${key}`, '--expires-in', '600'], { profile: tenant });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function aws(...args) {
  const r = await coffer.aws(args, { profile: tenant });
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// uploadAndRead runs in the page: POST the form with a file, then fetch the
// presigned GET URL; each step reports what the page could see.
async function uploadAndRead({ s3, bucket, fields, text, getURL }) {
  const out = {};
  try {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new File([text], 'note.txt', { type: 'text/plain' }));
    const res = await fetch(`${s3}/${bucket}`, { method: 'POST', body: form });
    out.postStatus = res.status;
    out.postBody = await res.text();
  } catch (e) {
    out.postError = String(e);
  }
  try {
    const res = await fetch(getURL);
    out.getStatus = res.status;
    out.getBody = await res.text();
    out.getETag = res.headers.get('ETag');
  } catch (e) {
    out.getError = String(e);
  }
  return out;
}

before(async () => {
  await coffer.admin('tenant', 'create', tenant);
  keys = JSON.parse(await coffer.admin('keys', 'generate', tenant));
  const cfg = await coffer.configureProfile(tenant, keys.accessKey, keys.secretKey);
  assert.equal(cfg.code, 0, cfg.stderr);
  await aws('s3api', 'create-bucket', '--bucket', withCORS);
  await aws('s3api', 'create-bucket', '--bucket', withoutCORS);

  site = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  await new Promise((ok) => site.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${site.address().port}`;
  assert.notEqual(origin, new URL(coffer.s3).origin);

  const rules = join(coffer.work, 'cors.json');
  writeFileSync(rules, JSON.stringify({
    CORSRules: [{ AllowedOrigins: [origin], AllowedMethods: ['GET', 'POST', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 60 }],
  }));
  await aws('s3api', 'put-bucket-cors', '--bucket', withCORS, '--cors-configuration', `file://${rules}`);
  browser = await launch(origin);
  await browser.page.goto(`${origin}/`);
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (site ? site.close(ok) : ok()));
});

test('a page on another origin uploads with a presigned POST and reads the file back under CORS', async () => {
  const text = `hello from ${origin} ${Date.now()}`;
  const got = await browser.page.evaluate(uploadAndRead, {
    s3: coffer.s3, bucket: withCORS, fields: presignedPost(withCORS, 'notes/a.txt'), text,
    getURL: await presignedGet(withCORS, 'notes/a.txt'),
  });
  assert.equal(got.postError, undefined);
  assert.equal(got.postStatus, 201, got.postBody);
  assert.match(got.postBody, /<Key>notes\/a\.txt<\/Key>/);
  assert.equal(got.getError, undefined);
  assert.equal(got.getStatus, 200);
  assert.equal(got.getBody, text);
  assert.match(got.getETag || '', /^"[0-9a-f]{32}"$/); // exposed by the rule

  // Stored as the form said, whoever reads it.
  const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', withCORS, '--key', 'notes/a.txt'));
  assert.equal(head.ContentType, 'text/plain');
  assert.equal(head.ContentLength, Buffer.byteLength(text));
  assert.deepEqual(browser.problems, []);
});

test('without a CORS rule the browser refuses the page both answers', async () => {
  const got = await browser.page.evaluate(uploadAndRead, {
    s3: coffer.s3, bucket: withoutCORS, fields: presignedPost(withoutCORS, 'notes/b.txt'), text: 'refused',
    getURL: await presignedGet(withoutCORS, 'notes/b.txt'),
  });
  assert.match(got.postError || '', /TypeError: Failed to fetch/);
  assert.equal(got.postStatus, undefined);
  assert.match(got.getError || '', /TypeError: Failed to fetch/);
  assert.equal(got.getBody, undefined);
});

test('a rule for another origin is no rule for this page', async () => {
  const rules = join(coffer.work, 'cors-other.json');
  writeFileSync(rules, JSON.stringify({ CORSRules: [{ AllowedOrigins: ['http://elsewhere.example'], AllowedMethods: ['GET', 'POST'] }] }));
  await aws('s3api', 'put-bucket-cors', '--bucket', withoutCORS, '--cors-configuration', `file://${rules}`);
  const got = await browser.page.evaluate(uploadAndRead, {
    s3: coffer.s3, bucket: withoutCORS, fields: presignedPost(withoutCORS, 'notes/c.txt'), text: 'refused',
    getURL: await presignedGet(withoutCORS, 'notes/c.txt'),
  });
  assert.match(got.postError || '', /TypeError: Failed to fetch/);
  assert.match(got.getError || '', /TypeError: Failed to fetch/);
});

test('a PUT needs a preflight, which only the tenant:bucket address can answer', async () => {
  // At TENANT:BUCKET the preflight finds the bucket's rules and the PUT goes through.
  const put = await browser.page.evaluate(putFrom, { url: presignV4('PUT', `/${tenant}:${withCORS}/notes/put.txt`), text: 'put from a page' });
  assert.equal(put.error, undefined);
  assert.equal(put.status, 200);
  assert.match(put.etag || '', /^"[0-9a-f]{32}"$/);
  const got = await browser.page.evaluate(uploadAndRead, {
    s3: coffer.s3, bucket: withCORS, fields: presignedPost(withCORS, 'notes/put2.txt'), text: 'x',
    getURL: await presignedGet(withCORS, 'notes/put.txt'),
  });
  assert.equal(got.getBody, 'put from a page');

  // At /BUCKET a preflight cannot know whose bucket it is: refused, and
  // the browser never sends the PUT.
  const refused = await browser.page.evaluate(putFrom, { url: presignV4('PUT', `/${withCORS}/notes/never.txt`), text: 'never' });
  assert.match(refused.error || '', /TypeError: Failed to fetch/);
  const head = await coffer.aws(['s3api', 'head-object', '--bucket', withCORS, '--key', 'notes/never.txt'], { profile: tenant });
  assert.notEqual(head.code, 0, 'the PUT was sent despite the refused preflight');
});
