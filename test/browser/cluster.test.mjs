// cluster.test.mjs: the operator overview in cluster mode. Starts its own
// `coffer cluster dev` with 3 nodes (beside the server run.sh started),
// logs in on node2's console with the operator password of cluster.json,
// and checks the Cluster panel: 3 nodes up with their S3 endpoints, one
// leader; after node3 is killed (SIGKILL) a reload shows it down.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from './lib/browser.mjs';

let dir;
let dev;
let cluster;
let b;
let page;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('operator overview in cluster mode', { concurrency: 1 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-browser-cluster-'));
    dev = spawn(process.env.COFFER_BIN, ['cluster', 'dev', '--dir', join(dir, 'c'), '--nodes', '3'], { stdio: 'ignore' });
    const file = join(dir, 'c', 'cluster.json');
    for (let i = 0; i < 900 && !existsSync(file); i++) {
      assert.equal(dev.exitCode, null, 'coffer cluster dev exited before the cluster was ready');
      await sleep(100);
    }
    cluster = JSON.parse(readFileSync(file, 'utf8'));
    b = await launch(cluster.nodes[1].console);
    page = b.page;
    await page.goto(`${cluster.nodes[1].console}/`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(cluster.operatorPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
  });

  after(async () => {
    if (b) await b.close();
    if (dev && dev.exitCode === null) {
      const exited = new Promise((r) => dev.once('exit', r));
      dev.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the Cluster panel shows every node up, then a killed node down', async () => {
    await page.getByRole('heading', { name: 'Cluster' }).waitFor();
    const rows = page.locator('#ov-cluster tbody tr');
    assert.equal(await rows.count(), 3);
    for (const n of cluster.nodes) {
      const row = page.locator(`#ov-cluster tr[data-node="${n.name}"]`);
      assert.equal(await row.getAttribute('data-state'), 'up', `${n.name} up`);
      assert.match(await row.textContent(), new RegExp(n.s3.replace(/[.:/]/g, '\\$&')));
    }
    assert.equal(await page.locator('#ov-cluster .badge', { hasText: 'Leader' }).count(), 1, 'one leader');
    assert.match(await page.locator('#ov-cluster-summary').textContent(), /3 of 3 nodes up; erasure set 4 data \+ 2 parity shards/);

    process.kill(cluster.nodes[2].pid, 'SIGKILL');
    let state = 'up';
    for (let i = 0; i < 40 && state !== 'down'; i++) {
      await sleep(500);
      await page.reload();
      await page.locator('#ov-cluster').waitFor();
      state = await page.locator('#ov-cluster tr[data-node="node3"]').getAttribute('data-state');
    }
    assert.equal(state, 'down', 'node3 shown down within 20 s of its SIGKILL');
    assert.match(await page.locator('#ov-cluster-summary').textContent(), /2 of 3 nodes up/);
    assert.deepEqual(b.problems, []);
  });
});
