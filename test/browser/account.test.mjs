// account.test.mjs: a console user's own account in Chromium against the
// real binary: per-tenant usernames (user@tenant login, a shared name asks
// for the tenant), the password rule shown before submit with one message
// per problem, "Log out other sessions" ending a second browser's session,
// changing the password, and the AWS CLI snippet of Storage > Settings run
// as pasted with the AWS CLI.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectCoffer, run } from './lib/coffer.mjs';
import { launch, screenshotDir } from './lib/browser.mjs';

const TENANT = 'acct';
const OTHER_TENANT = 'acct-two';
const USER = 'dana';
const PASSWORD = 'dana-Pa55word!';
const NEW_PASSWORD = 'dana-N3w-password';

let coffer;
let b; // the main browser
let b2; // a second browser (another device) logged in as the same user
let page;

async function login(p, username, password) {
  await p.goto(`${coffer.console}/`);
  await p.getByLabel('Username').fill(username);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Log in' }).click();
}

// openSettings loads Storage > Settings afresh (a hash change alone does
// not re-render the page it is already on).
async function openSettings(p = page) {
  await p.goto(`${coffer.console}/#/storage/settings`);
  await p.reload();
  await p.getByRole('heading', { name: 'Sessions', exact: true }).waitFor();
}

// meStatus is the status of GET /api/me in page p (200 logged in, 401 not).
function meStatus(p) {
  return p.evaluate(() => fetch('/api/me').then((r) => r.status));
}

// cleanAwsEnv is an environment with a fresh, empty AWS CLI configuration
// of its own, as on a machine where the snippet is pasted for the first time.
function cleanAwsEnv() {
  const dir = join(coffer.work, 'aws-snippet');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config'), '');
  writeFileSync(join(dir, 'credentials'), '');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  return {
    ...env, AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_MAX_ATTEMPTS: '1', AWS_EC2_METADATA_DISABLED: 'true',
  };
}

// shotOf saves a screenshot of one element under docs/screenshots/NAME.png.
function shotOf(locator, name) {
  return locator.screenshot({ path: join(screenshotDir, `${name}.png`), animations: 'disabled' });
}

describe('Coffer console: the user\'s own account', { concurrency: 1 }, () => {
  before(async () => {
    coffer = connectCoffer();
    for (const t of [TENANT, OTHER_TENANT]) {
      await coffer.admin('tenant', 'create', t);
      // The same username in two tenants: allowed, usernames are unique per tenant.
      await coffer.admin('user', 'create', t, USER, '--password', PASSWORD);
    }
    b = await launch(coffer.console);
    page = b.page;
  });

  after(async () => {
    if (b2) await b2.close();
    if (b) await b.close();
  });

  test('a name two tenants share must name the tenant; user@tenant logs in', async () => {
    await login(page, USER, PASSWORD);
    const alert = page.getByRole('alert').filter({ hasText: `log in as ${USER}@TENANT` });
    await alert.waitFor();
    assert.match(await alert.innerText(), /more than one tenant has a user named dana/);
    assert.match(await page.locator('#login-username-hint').innerText(), /alice@your-tenant/);
    await login(page, 'dana@nobody', PASSWORD);
    await page.getByRole('alert').filter({ hasText: /wrong username or password/i }).waitFor();
    await login(page, `${USER}@${TENANT}`, PASSWORD);
    await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    assert.match(await page.locator('#who').innerText(), /dana · acct\b/);
    assert.equal(await meStatus(page), 200);
  });

  test('the password rule is shown before submit, and each problem has its own message', async () => {
    await openSettings();
    const form = page.locator('#account-password-form');
    assert.match(await page.locator('#account-new-rules').innerText(), /At least 8 characters/);
    assert.match(await page.locator('#account-password-note').innerText(), /logs out your other sessions/);
    // Typing a short password and leaving the field says what is wrong, before any submit.
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Confirm new password').focus();
    await page.locator('#account-new-error').filter({ hasText: 'Too short: use at least 8 characters (this has 5).' }).waitFor();
    assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid'), 'true');
    // Submitting shows every problem, each beside its own field.
    await page.getByLabel('Confirm new password').fill('something-else');
    await form.getByRole('button', { name: 'Change password' }).click();
    assert.equal(await page.locator('#account-current-error').innerText(), 'Enter your current password.');
    assert.equal(await page.locator('#account-new-error').innerText(), 'Too short: use at least 8 characters (this has 5).');
    assert.equal(await page.locator('#account-confirm-error').innerText(), 'The two new passwords differ.');
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('Confirm new password').fill(PASSWORD);
    assert.equal(await page.locator('#account-new-error').innerText(), 'Choose a password different from the current one.');
    // The server's own answer for a wrong current password, beside that field; the session stays.
    await page.getByLabel('Current password').fill('not-my-password');
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#account-current-error').filter({ hasText: 'The current password is wrong.' }).waitFor();
    assert.equal(await page.locator('#account-new-error').innerText(), '');
    assert.equal(await meStatus(page), 200);
    await shotOf(page.locator('#account-password'), 'account-password');
  });

  test('the session list marks this session; Log out other sessions ends a second browser\'s', async () => {
    b2 = await launch(coffer.console);
    await login(b2.page, `${USER}@${TENANT}`, PASSWORD);
    await b2.page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    await openSettings();
    const rows = page.locator('#sessions-table tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('#sessions-table tbody tr').length === 2);
    assert.equal(await rows.filter({ hasText: 'this session' }).count(), 1);
    const text = await page.locator('#sessions-table').innerText();
    assert.match(text, /Chrome \d+ on Linux/);
    assert.match(text, /127\.0\.0\.1/);
    const cookies = await b2.context.cookies();
    for (const c of cookies) assert.ok(!(await page.content()).includes(c.value), 'no session token on the page');

    await shotOf(page.locator('#account-sessions'), 'account-sessions');
    await page.getByRole('button', { name: 'Log out other sessions' }).click();
    await page.locator('#sessions-status').filter({ hasText: 'Logged out 1 other session.' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#sessions-table tbody tr').length === 1);
    assert.equal(await meStatus(b2.page), 401);
    assert.equal(await meStatus(page), 200);
    // The second browser finds itself logged out on its next request.
    await b2.page.reload();
    await b2.page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
  });

  test('changing the password ends the other sessions, keeps this one; the new password logs in', async () => {
    await login(b2.page, `${USER}@${TENANT}`, PASSWORD);
    await b2.page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    await openSettings();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#account-password-status').filter({ hasText: 'Password changed. Your other sessions were logged out.' }).waitFor();
    assert.equal(await page.getByLabel('Current password').inputValue(), '');
    assert.equal(await meStatus(b2.page), 401, 'the other browser\'s session ended');
    assert.equal(await meStatus(page), 200, 'this session stays');

    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await login(page, `${USER}@${TENANT}`, PASSWORD);
    await page.getByRole('alert').filter({ hasText: /wrong username or password/i }).waitFor();
    await login(page, `${USER}@${TENANT}`, NEW_PASSWORD);
    await page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    // The other tenant's dana keeps her own password.
    await login(b2.page, `${USER}@${OTHER_TENANT}`, PASSWORD);
    await b2.page.getByRole('heading', { name: 'Shared Storage' }).waitFor();
    assert.match(await b2.page.locator('#who').innerText(), /dana · acct-two/);
  });

  test('the AWS CLI snippet runs as pasted: the profile, a new container, then one that exists', async () => {
    await openSettings();
    await page.getByRole('button', { name: 'Generate Credentials' }).click();
    const secret = await page.getByLabel('Secret key', { exact: true }).inputValue();
    await page.getByRole('button', { name: 'Copy AWS CLI snippet' }).click();
    const first = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(first, (await page.locator('#snippet-cli').innerText()).replace(/\n$/, ''));
    assert.ok(first.includes(`aws configure set aws_secret_access_key ${secret} --profile my-storage`), first);
    assert.match(first, /^aws configure set endpoint_url http:\/\/127\.0\.0\.1:\d+ --profile my-storage$/m);
    assert.match(first, /^aws configure set s3\.addressing_style path --profile my-storage$/m);
    assert.match(first, /^aws s3 mb s3:\/\/my-container --profile my-storage$/m, 'no container yet: the snippet makes one first');

    await shotOf(page.getByRole('region', { name: 'Access endpoint' }), 'settings-snippets');
    const env = cleanAwsEnv();
    let r = await run('bash', ['-e', '-o', 'pipefail', '-c', first], { env, cwd: coffer.work });
    assert.equal(r.code, 0, `snippet failed:\n${first}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /make_bucket: my-container/);
    assert.match(r.stdout, /hello\.txt/);
    assert.match(r.stdout, /^hello from Coffer$/m);

    // Back later: the secret is no longer shown, the container exists.
    await page.reload();
    await page.locator('#snippet-cli').waitFor();
    const second = await page.locator('#snippet-cli').innerText();
    assert.ok(!second.includes(secret), 'the secret is gone after a reload');
    assert.doesNotMatch(second, /aws s3 mb/);
    assert.match(second, /^echo "hello from Coffer" \| aws s3 cp - s3:\/\/my-container\/hello\.txt --profile my-storage$/m);
    r = await run('bash', ['-e', '-o', 'pipefail', '-c', second], { env, cwd: coffer.work });
    assert.equal(r.code, 0, `snippet failed:\n${second}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^hello from Coffer$/m);

    // The style follows the endpoint: virtual-hosted only where the
    // endpoint's host is the server's virtual-host domain.
    const styles = await page.evaluate(() => import('/js/settings.js').then((m) => [
      m.addressingStyle('https://s3.example.com', 's3.example.com'),
      m.addressingStyle('https://s3.example.com', ''),
      m.addressingStyle('http://127.0.0.1:9000', ''),
      m.addressingStyle('http://localhost:9000', 'localhost'),
    ]));
    assert.deepEqual(styles, ['virtual', 'path', 'path', 'path']);
    assert.deepEqual(b.problems, []);
  });

  test('the operator has the same account page', async () => {
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await login(page, 'admin', coffer.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Sessions', exact: true }).waitFor();
    await page.locator('#sessions-table tbody tr', { hasText: 'this session' }).waitFor();
    assert.match(await page.locator('#account-password').innerText(), /Logged in as admin \(operator\)/);
  });
});
