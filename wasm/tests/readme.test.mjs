// The README's first example, run as written, where a newcomer would put it: in an ES module it
// runs; in the `.js` file of a package as `npm init -y` writes it (CommonJS), Node stops at its
// first line, and the README says so right above the example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const pkg = fileURLToPath(new URL('../pkg/', import.meta.url));

test('the README example runs from a .mjs file, fails from a CommonJS .js file, and the README says which', () => {
  const start = readme.indexOf('```js\n');
  assert.ok(start > 0);
  const example = readme.slice(start + 6, readme.indexOf('```', start + 6));
  const before = readme.slice(0, start);
  assert.match(before, /`\.mjs` file, or set `"type": "module"` in your `package\.json` \(`npm init -y` writes\n?`"type": "commonjs"`/);
  const dir = mkdtempSync(join(tmpdir(), 'fusegym-readme-'));
  try {
    // A project as `npm init -y` leaves it, with the package installed.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'newcomer', version: '1.0.0', type: 'commonjs' }));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(pkg, join(dir, 'node_modules', 'fusegym'), 'dir');
    writeFileSync(join(dir, 'main.mjs'), example);
    writeFileSync(join(dir, 'main.js'), example);
    const run = (file) => spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    const ok = run('main.mjs');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^1 -?\d/, 'prints the first reward (1) and an observation');
    const cjs = run('main.js');
    assert.notEqual(cjs.status, 0);
    assert.match(cjs.stderr, /Cannot use import statement outside a module|To load an ES module/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
