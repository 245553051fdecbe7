// names.test.mjs: the console's naming rules (console/web/js/names.js) against
// the table that storage's TestNamesTable checks in Go (testdata/names.json),
// so the form refuses exactly the names the server refuses. Needs no server:
//   node --test test/browser/names.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const table = JSON.parse(readFileSync(resolve(root, 'testdata/names.json'), 'utf8'));

// names.js is a browser ES module outside any package.json with "type":
// "module", so Node 20 loads it from its source text (it imports nothing).
const source = readFileSync(resolve(root, 'console/web/js/names.js'), 'utf8');
const { bucketNameProblem, tenantNameProblem } = await import(`data:text/javascript,${encodeURIComponent(source)}`);

test('the shared table is not empty', () => {
  assert.ok(table.buckets.length >= 20 && table.tenants.length >= 5);
});

for (const [kind, check] of [['bucket', bucketNameProblem], ['tenant', tenantNameProblem]]) {
  test(`${kind} names: names.js agrees with testdata/names.json`, () => {
    const wrong = [];
    for (const { name, valid, why } of table[`${kind}s`]) {
      const problem = check(name);
      if (valid !== (problem === '')) wrong.push(`${JSON.stringify(name)} (${why}): want valid=${valid}, names.js says ${JSON.stringify(problem)}`);
    }
    assert.deepEqual(wrong, []);
  });
}
