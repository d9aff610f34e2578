// GpuVecEnv.create where WebGPU is half there: a navigator.gpu outside a window or a worker
// (Node with a WebGPU polyfill), an adapter request that resolves null, rejects or throws. Each
// must reject with "no WebGPU adapter: ..." naming why, within a deadline (before, the first
// trapped inside a promise that never settled), and leave the instance working. Stubs of the
// browser's globals are installed for one check at a time and removed after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GpuVecEnv, VecEnv, init, webgpuSupported } from '../pkg/index.js';

await init({ flavor: 'simd' });

/** Runs `f` with `globals` defined on globalThis, then removes them. */
async function withGlobals(globals, f) {
  for (const [k, value] of Object.entries(globals)) {
    assert.equal(globalThis[k], undefined, `node defines no ${k}`);
    Object.defineProperty(globalThis, k, { value, configurable: true, writable: true });
  }
  try {
    return await f();
  } finally {
    for (const k of Object.keys(globals)) delete globalThis[k];
  }
}

/** Rejects when `p` has not settled within `ms` (instead of hanging the test run). */
function deadline(p, ms = 10_000) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function stillWorks() {
  const env = new VecEnv('CartPole-v1', 4);
  assert.ok(env.step(new Int32Array(4)).reward.every((r) => r === 1));
  env.free();
}

test('navigator.gpu outside a window or a worker: create rejects naming the scope, wgpu is never reached', { timeout: 30_000 }, async () => {
  let asked = 0;
  const gpu = { requestAdapter: async () => { asked++; return null; } };
  await withGlobals({ navigator: { gpu } }, async () => {
    assert.equal(webgpuSupported(), false, 'navigator.gpu alone is not enough for GpuVecEnv');
    await assert.rejects(deadline(GpuVecEnv.create('CartPole-v1', 16)),
      /^Error: no WebGPU adapter: navigator\.gpu is there, but this global scope is neither a window nor a worker .*use VecEnv \(wasm\) instead$/);
  });
  assert.equal(asked, 0);
  stillWorks();
});

test('requestAdapter resolving null or undefined, rejecting or throwing: create rejects naming it', { timeout: 60_000 }, async () => {
  const cases = [
    [async () => null, /^Error: no WebGPU adapter: navigator\.gpu\.requestAdapter\(\) resolved null \(WebGPU may be turned off/],
    [async () => undefined, /^Error: no WebGPU adapter: navigator\.gpu\.requestAdapter\(\) resolved undefined/],
    [async () => { throw new DOMException('adapter lost', 'OperationError'); },
      /^Error: no WebGPU adapter: navigator\.gpu\.requestAdapter\(\) failed \(OperationError: adapter lost\); fusegym does not fall back/],
    [() => { throw new TypeError('not a function of this object'); }, /requestAdapter\(\) failed \(TypeError: not a function of this object\)/],
    [() => Promise.reject('a string'), /requestAdapter\(\) failed \(the string "a string"\)/],
  ];
  // A window (wgpu's test: a global Window) and a worker scope (WorkerGlobalScope) alike.
  for (const scope of ['Window', 'WorkerGlobalScope']) {
    for (const [requestAdapter, re] of cases) {
      let options = null;
      const gpu = { requestAdapter: (o) => { options = o; return requestAdapter(); } };
      await withGlobals({ navigator: { gpu }, [scope]: class {} }, async () => {
        assert.equal(webgpuSupported(), true);
        await assert.rejects(deadline(GpuVecEnv.create('CartPole-v1', 16)), re);
      });
      assert.deepEqual(options, { powerPreference: 'high-performance' }, 'asked as wgpu asks');
    }
  }
  stillWorks();
});

test('a panic inside a WebGPU promise rejects it (and stops the instance) instead of leaving it pending forever', { timeout: 60_000 }, () => {
  // The raw export, below the scope check, in a child process: wgpu panics there, and the trap
  // that follows in the microtask is an uncaught exception the child ignores.
  const pkg = new URL('../pkg/index.js', import.meta.url).href;
  const script = `
    import { load } from ${JSON.stringify(pkg)};
    process.on('uncaughtException', (e) => { if (!(e instanceof WebAssembly.RuntimeError)) throw e; });
    const mod = await load('simd');
    const { glue, settle } = mod._api;
    globalThis.navigator = { gpu: { requestAdapter: async () => null } };
    const cfg = new glue.RawConfig('CartPole-v1', 16, 0n, 'same-step');
    const pending = glue.gpu_create(cfg);
    cfg.free();
    const timer = setTimeout(() => { console.log(JSON.stringify({ settled: false })); process.exit(3); }, 10000);
    let rejected = null;
    try { await settle(pending); } catch (e) { rejected = e.message; }
    clearTimeout(timer);
    let after = null;
    try { new mod.VecEnv('CartPole-v1', 4); } catch (e) { after = e.message; }
    console.log(JSON.stringify({ settled: true, rejected, after }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 50_000, cwd: fileURLToPath(new URL('.', import.meta.url)) });
  const line = r.stdout.trim().split('\n').pop();
  const out = JSON.parse(line);
  assert.equal(out.settled, true, r.stderr);
  assert.match(out.rejected, /^fusegym: the simd wasm instance stopped \([\s\S]*Accessing the GPU is only supported on the main thread or from a dedicated worker/);
  assert.equal(out.after, out.rejected, 'the instance refuses further calls with the same message');
});
