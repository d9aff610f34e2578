// A wasm instance whose memory is full (wasm32's 4 GiB, used legitimately by big batches): every
// call on a batch made earlier still works or throws a clean Error, and no call traps (a trap
// would kill every batch of the instance). In a file of its own: node runs each test file in its
// own process, and wasm memory, once grown, is never given back, so the exhausted instance
// stays away from the other tests. Only the simd build is filled (the baseline build is the same
// Rust and the same JS layer; filling both would hold 8 GiB at once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { load } from '../pkg/index.js';

const GiB = 2 ** 30;
const mod = await load('simd');

/** Asserts that `f` throws an Error matching `re` that is no wasm trap. */
function throwsClean(f, re) {
  assert.throws(f, (e) => {
    assert.ok(e instanceof Error && !(e instanceof WebAssembly.RuntimeError), `${e}`);
    assert.doesNotMatch(e.message, /unreachable|panicked|RuntimeError|stopped/);
    assert.match(e.message, re);
    return true;
  });
}

/** Fills the instance with CartPole batches, halving the size after each refusal down to 1,024 envs. */
function exhaust(mod) {
  const fill = [];
  for (let n = 2 ** 27; n >= 1024;) {
    try {
      fill.push(new mod.VecEnv('CartPole-v1', n));
    } catch (e) {
      assert.ok(!(e instanceof WebAssembly.RuntimeError), `the constructor refused cleanly: ${e}`);
      assert.match(e.message, /more than this wasm instance can allocate|more bytes than this platform can address|could not be allocated/);
      n /= 2;
    }
  }
  return fill;
}

test('a full wasm memory: finalObs, elapsed, resetEnvs and every other call on an earlier batch work or throw, never trap', {
  skip: totalmem() < 10 * GiB ? 'needs about 4.5 GiB of RAM for the filled instance' : false,
}, () => {
  const n = 2 ** 20;
  // Made before memory runs out; its buffers past the first step (final observations, the
  // elapsed copy, the reset mask) used to be allocated on first use.
  const a = new mod.VecEnv('CartPole-v1', n, { seed: 3 });
  const b = new mod.VecEnv('Pendulum-v1', 64, { seed: 4 });
  const fill = exhaust(mod);
  assert.ok(mod.memory.buffer.byteLength > 3.9 * GiB, `the instance filled wasm32's 4 GiB (${mod.memory.buffer.byteLength} bytes)`);
  assert.ok(fill.length > 0);

  // Push right until many poles fall: the final observations of the ended envs are past
  // CartPole's termination bounds (|x| > 2.4 or |theta| > 12 degrees), which neither zeros nor
  // the next episode's first observation (within +-0.05) are.
  const push = new Uint32Array(n).fill(1);
  let ended = 0;
  for (let t = 0; t < 12; t++) {
    a.step(push);
    const fin = a.finalObs;
    assert.equal(fin.length, 4 * n);
    for (let i = 0; i < n; i++) {
      if (!a.terminated[i]) continue;
      ended++;
      const [x, theta] = [fin[i], fin[2 * n + i]];
      assert.ok(Math.abs(x) > 2.4 || Math.abs(theta) > (12 * 2 * Math.PI) / 360, `env ${i} ended at x ${x}, theta ${theta}`);
    }
  }
  assert.ok(ended > 1000, `${ended} envs ended`);
  const elapsed = a.elapsed();
  assert.equal(elapsed.length, n);
  assert.ok(elapsed.every((e) => e <= 12) && elapsed.some((e) => e > 0));
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i += 3) mask[i] = 1;
  a.resetEnvs(mask);
  const after = a.elapsed();
  for (let i = 0; i < n; i++) assert.equal(after[i], mask[i] ? 0 : elapsed[i], `env ${i}`);
  a.setEnvState(7, [0.1, 0, 0, 0], 3);
  assert.equal(a.elapsed()[7], 3);
  assert.equal(a.paramsOf(n - 1).gravity, Math.fround(9.8));
  assert.ok(a.rollout({ steps: 5 }).rewardSum.every((r) => r > 0));

  // What does need new memory says so.
  throwsClean(() => a.rollout({ steps: 100, record: true }), /could not be allocated|more than this wasm instance/);
  throwsClean(() => mod.bareCartPole(2 ** 24), /could not be allocated|more than this wasm instance/);
  throwsClean(() => new mod.VecEnv('Acrobot-v1', 2 ** 22), /more than this wasm instance can allocate/);

  // The other batches of the instance keep working.
  const r = b.step(new Float32Array(64));
  assert.ok(r.reward.every(Number.isFinite));
  fill[fill.length - 1].step(new Uint32Array(fill[fill.length - 1].numEnvs));
  for (const f of fill) f.free();
  const c = new mod.VecEnv('CartPole-v1', 4096);
  c.step(new Uint32Array(4096));
  c.free();
  a.free();
  b.free();
});
