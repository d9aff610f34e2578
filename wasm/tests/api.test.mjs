// The JS API on the built package (wasm/pkg): builds and loader, views, autoreset modes,
// per-env parameters, rollouts, errors. Expected values come from the golden files
// (golden.test.mjs), from independent paths through the core (scalar vs SIMD build, step vs
// rollout, per-env vs shared parameters, one mode against another), or from the documented
// contract (docs/autoreset.md), never from re-running the same call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, load, simdSupported, VecEnv, GpuVecEnv, webgpuSupported, envs } from '../pkg/index.js';

const simd = await load('simd');
const base = await load('baseline');
await init({ flavor: 'simd' });

function targetFeatures(bytes) {
  // The "target_features" custom section the linker writes: which wasm features the code uses.
  let i = 8;
  const leb = () => {
    let n = 0;
    let s = 0;
    for (;;) {
      const b = bytes[i++];
      n |= (b & 0x7f) << s;
      s += 7;
      if (b < 0x80) return n >>> 0;
    }
  };
  while (i < bytes.length) {
    const id = bytes[i++];
    const size = leb();
    const end = i + size;
    if (id === 0) {
      const len = leb();
      const name = new TextDecoder().decode(bytes.subarray(i, i + len));
      if (name === 'target_features') return new TextDecoder('latin1').decode(bytes.subarray(i + len, end));
    }
    i = end;
  }
  return '';
}

test('two builds: simd uses simd128 and the f32x4 path, baseline neither', () => {
  assert.equal(simdSupported(), true, 'node 20 runs simd128');
  assert.equal(simd.flavor, 'simd');
  assert.equal(simd.simd128, true);
  assert.equal(simd.simdPath, 'wide-f32x4');
  assert.equal(base.flavor, 'baseline');
  assert.equal(base.simd128, false);
  assert.equal(base.simdPath, 'scalar');
  const sf = targetFeatures(readFileSync(new URL('../pkg/simd/fusegym_wasm_bg.wasm', import.meta.url)));
  const bf = targetFeatures(readFileSync(new URL('../pkg/baseline/fusegym_wasm_bg.wasm', import.meta.url)));
  assert.match(sf, /simd128/);
  assert.doesNotMatch(bf, /simd128/);
  assert.notEqual(simd.memory, base.memory, 'two independent instances');
  const e = new VecEnv('CartPole-v1', 4);
  assert.equal(e.flavor, 'simd');
  assert.equal(e.simdPath, 'wide-f32x4');
  e.free();
  // The baseline build never runs emulated wide vectors: only its scalar path is offered.
  const b = new base.VecEnv('CartPole-v1', 4);
  assert.equal(b.simdPath, 'scalar');
  assert.throws(() => b.setSimdPath('wide-f32x4'), /SIMD path wide-f32x4 is not offered by the baseline build .*available: scalar/);
  b.setSimdPath('scalar');
  b.free();
});

test('registry: ids, spaces and parameters match the golden headers', () => {
  const ids = envs().map((e) => e.id);
  assert.deepEqual(ids, simd.envIds);
  for (const id of ids.filter((id) => id !== 'Reach3D-v1')) {
    const { header } = JSON.parse(readFileSync(new URL(`../../tests/golden/${id}.json`, import.meta.url), 'utf8'));
    const info = envs().find((e) => e.id === id);
    assert.equal(info.observation.shape[0], header.obs_dim, id);
    assert.equal(info.stateNames.length, header.state_dim, id);
    assert.equal(info.maxEpisodeSteps, header.max_episode_steps, id);
    assert.equal(info.action.type, header.action.type, id);
    if (header.action.type === 'discrete') assert.equal(info.action.n, header.action.n, id);
    else assert.deepEqual([info.action.low, info.action.high], [header.action.low, header.action.high], id);
    // Every parameter Gymnasium names appears in the header's constants with the same value.
    for (const p of info.params) {
      const v = header.constants[p.name] ?? header.constants.code_constants?.[p.name];
      if (typeof v === 'number') assert.equal(p.default, Math.fround(v), `${id}.${p.name}`);
    }
  }
});

test('simd and baseline builds give the same bits on every env (random rollouts, per-env parameters)', () => {
  for (const info of simd.envs) {
    const p = info.params[0];
    const lo = p.default * 0.9;
    const hi = p.default * 1.1;
    const opts = { seed: 7, params: p.default > 0 ? { [p.name]: { low: Math.min(lo, hi), high: Math.max(lo, hi) } } : {} };
    const a = new simd.VecEnv(info.id, 203, opts);
    const b = new base.VecEnv(info.id, 203, opts);
    for (let r = 0; r < 3; r++) {
      const sa = a.rollout({ steps: 97 });
      const sb = b.rollout({ steps: 97 });
      assert.deepEqual(sa.rewardSum, sb.rewardSum, info.id);
      assert.deepEqual(sa.episodes, sb.episodes, info.id);
    }
    assert.deepEqual(a.obs, b.obs, info.id);
    assert.deepEqual(a.state, b.state, info.id);
    assert.ok(a.rollout({ steps: 10 }).rewardSum.some((x) => x !== 0) || info.id.startsWith('Reach'), `${info.id}: rewards all zero`);
    // Forcing the scalar path in the simd build gives the same bits as well.
    a.reset({ seed: 3 });
    b.reset({ seed: 3 });
    a.setSimdPath('scalar');
    assert.equal(a.simdPath, 'scalar');
    assert.deepEqual(a.rollout({ steps: 50 }).rewardSum, b.rollout({ steps: 50 }).rewardSum, info.id);
    a.free();
    b.free();
  }
});

test('views are zero-copy, stable across steps, and rebuilt after memory growth', () => {
  const env = new VecEnv('CartPole-v1', 64, { seed: 1 });
  const obs = env.obs;
  assert.equal(env.obs, obs, 'the same view object until memory grows');
  const before = Float32Array.from(obs);
  const r = env.step(new Uint32Array(64).fill(1));
  assert.equal(r.obs, obs, 'step returns the same views');
  assert.notDeepEqual(Float32Array.from(obs), before, 'the view shows the new observations without a copy');
  // Writing through the actions view, then step() without arguments.
  env.actions.fill(0);
  const snapshot = Float32Array.from(env.obs);
  const memory = simd.memory;
  const pagesBefore = memory.buffer.byteLength;
  const big = new VecEnv('Acrobot-v1', 400_000); // forces memory.grow
  assert.ok(memory.buffer.byteLength > pagesBefore, 'memory grew');
  assert.equal(obs.length, 0, 'a view taken before growth is detached (length 0)');
  assert.deepEqual(Float32Array.from(env.obs), snapshot, 'the getter returns a fresh view of the same values');
  big.free();
  env.step();
  assert.ok(env.reward.every((x) => x === 1));
  env.free();
});

test('views are live: a finalObs view held across steps shows each step\'s final observations, lastRollout the last rollout', () => {
  const n = 256;
  const same = new VecEnv('CartPole-v1', n, { seed: 9 });
  // Disabled mode keeps the final observation in obs (and the env done): the same seed steps in
  // lockstep with the same-step batch until each env's first episode ends.
  const dis = new VecEnv('CartPole-v1', n, { seed: 9, autoreset: 'disabled' });
  const fin = same.finalObs; // taken once, before the first step, and held
  const push = new Uint32Array(n).fill(1);
  const seen = new Uint8Array(n);
  let checked = 0;
  for (let t = 0; t < 40 && checked < n; t++) {
    same.step(push);
    dis.step(push);
    for (let i = 0; i < n; i++) {
      if (seen[i] || !same.terminated[i]) continue;
      seen[i] = 1;
      checked++;
      assert.equal(dis.terminated[i], 1, `env ${i} ends on the same step in both modes`);
      for (let k = 0; k < 4; k++) assert.equal(fin[k * n + i], dis.obs[k * n + i], `step ${t}, env ${i}, component ${k}`);
    }
  }
  assert.equal(checked, n, 'every env ended its first episode pushing right');
  assert.equal(same.finalObs, fin, 'the getter returns the held view (memory did not grow)');
  // Rollout statistics: the next rollout overwrites the views in place.
  const first = same.rollout({ steps: 3 });
  const second = same.rollout({ steps: 7, policy: { type: 'constant', action: 0 } });
  assert.ok(second.rewardSum.every((r) => r === 7), 'CartPole pays 1 per step, resets included');
  assert.deepEqual(Array.from(first.rewardSum), Array.from(second.rewardSum), 'a held lastRollout view shows the last rollout');
  same.free();
  dis.free();
});

test('env indices are checked against the batch, never wrapped: 2**32 + 5 is not env 5, nor is NaN env 0', () => {
  const n = 8;
  const env = new VecEnv('CartPole-v1', n, { seed: 1, params: { length: Array.from({ length: n }, (_, i) => 0.5 + i / 10) } });
  const state = Float32Array.from(env.state);
  const elapsed = env.elapsed();
  const bad = [2 ** 32 + 5, 2 ** 32 + 3, 2 ** 32, 2 ** 53, 1e300, n, -1, -(2 ** 32) + 5, 0.5, 5.5, NaN, Infinity, -Infinity, '3', 3n, null, undefined, [3]];
  for (const i of bad) {
    assert.throws(() => env.setEnvState(i, [0.1, 0, 0, 0], 1), (e) => {
      assert.ok(!(e instanceof WebAssembly.RuntimeError));
      assert.match(e.message, /^setEnvState: env index (must be an integer in 0\.\.7, got|\S+ is out of range for a batch of 8)/, String(i));
      return true;
    });
    assert.throws(() => env.paramsOf(i), /^Error: paramsOf: env index (must be an integer in 0\.\.7|\S+ is out of range for a batch of 8)/, String(i));
  }
  assert.deepEqual(Float32Array.from(env.state), state, 'no env state changed');
  assert.deepEqual(env.elapsed(), elapsed);
  // The raw exports check too (indices come in as f64, not as a usize that wasm-bindgen wraps).
  const { glue } = simd._api;
  const cfg = new glue.RawConfig('CartPole-v1', n, 0n, 'same-step');
  const raw = new glue.RawVecEnv(cfg);
  cfg.free();
  assert.throws(() => raw.env_params(2 ** 32 + 3), /^Error: env index 4294967299 is out of range for a batch of 8$/);
  assert.throws(() => raw.set_env_state(2 ** 32 + 5, 0), /^Error: env index 4294967301 is out of range for a batch of 8$/);
  assert.throws(() => raw.set_env_state(-1, 0), /^Error: env index must be an integer in 0\.\.=7, got -1$/);
  raw.free();
  // In range: env 5 is env 5.
  assert.equal(env.paramsOf(5).length, Math.fround(1.0));
  env.setEnvState(5, [0.1, 0.2, 0.03, 0.4], 2);
  assert.deepEqual(Array.from({ length: 4 }, (_, k) => env.state[k * n + 5]), [0.1, 0.2, 0.03, 0.4].map(Math.fround));
  assert.equal(env.elapsed()[5], 2);
  env.free();
});

test('JS numbers past f32\'s range are named, not turned into inf: parameters, ranges, actions, states, weights', () => {
  const env = new VecEnv('MountainCarContinuous-v0', 2);
  const cases = [
    [() => new VecEnv('CartPole-v1', 2, { params: { gravity: 1e39 } }), /CartPole-v1: parameter gravity: 1e\+39 is outside f32's range/],
    [() => new VecEnv('CartPole-v1', 2, { params: { gravity: { low: 1, high: -1e39 } } }), /parameter gravity high: -1e\+39 is outside f32's range/],
    [() => new VecEnv('CartPole-v1', 2, { params: { gravity: [9.8, 1e39] } }), /per-env values of parameter gravity \(one per env\): value at index 1: 1e\+39 is outside f32's range/],
    [() => env.rollout({ steps: 1, policy: { type: 'constant', action: 4e38 } }), /constant policy action: value at index 0: 4e\+38 is outside f32's range/],
    [() => env.rollout({ steps: 1, policy: { type: 'linear', weights: [0, 1e39], bias: [0] } }), /linear policy weights: value at index 1: 1e\+39/],
    [() => env.setEnvState(0, [0, 1e39]), /setEnvState state: value at index 1: 1e\+39 is outside f32's range/],
  ];
  for (const [f, re] of cases) assert.throws(f, re);
  // The largest f32 itself passes this check and reaches the core, whose declared state range
  // refuses it by name (MountainCarContinuous's velocity lies in [-10, 10]); a value inside is set exactly.
  assert.throws(() => env.setEnvState(0, [0, 3.4028234663852886e38]),
    /state component velocity \(index 1\) = 3\.4028235e38 is outside its valid range \[-10, 10\]/);
  env.setEnvState(0, [0, 0.0625]);
  assert.equal(env.state[2], 0.0625);
  env.free();
});

test('same-step mode: the done step returns the next episode, the final observation separately', () => {
  const n = 16;
  const same = new VecEnv('CartPole-v1', n, { seed: 5, autoreset: 'same-step' });
  const next = new VecEnv('CartPole-v1', n, { seed: 5, autoreset: 'next-step' });
  const push = new Uint32Array(n).fill(1);
  let checked = 0;
  for (let t = 0; t < 60; t++) {
    const a = same.step(push);
    const b = next.step(push);
    if (t >= 8) break; // before any next-step reset step, both batches are in lockstep
    for (let i = 0; i < n; i++) {
      assert.equal(a.terminated[i], b.terminated[i]);
      if (a.terminated[i]) {
        checked++;
        // The final observation equals what next-step mode returns as obs on that step.
        for (let k = 0; k < 4; k++) assert.equal(same.finalObs[k * n + i], b.obs[k * n + i]);
        // ... and obs already holds the new episode's first state (Gymnasium's reset range ±0.05).
        for (let k = 0; k < 4; k++) assert.ok(Math.abs(a.obs[k * n + i]) <= 0.05);
        assert.equal(same.episodes[i], 1, 'same-step starts episode 1 on the done step');
        assert.equal(next.episodes[i], 0, 'next-step starts it on the following step');
      }
    }
  }
  assert.ok(checked > 0, 'some env finished within 8 steps of pushing right');
  same.free();
  next.free();
});

test('next-step mode: the step after done ignores its action, returns the first obs, reward 0, flags false', () => {
  const n = 8;
  const env = new VecEnv('CartPole-v1', n, { seed: 2, autoreset: 'next-step' });
  const ref = new VecEnv('CartPole-v1', n, { seed: 2, autoreset: 'same-step' });
  const push = new Uint32Array(n).fill(1);
  let done = new Uint8Array(n);
  let resets = 0;
  const firstObsOfEpisode1 = new Array(n).fill(null);
  for (let t = 0; t < 40; t++) {
    const prevDone = Uint8Array.from(done);
    const actions = t % 3 === 0 ? new Uint32Array(n) : push;
    const r = env.step(actions);
    const q = ref.step(actions);
    for (let i = 0; i < n; i++) {
      // In same-step mode the done step already returns episode 1's first observation.
      if (firstObsOfEpisode1[i] === null && (q.terminated[i] || q.truncated[i])) {
        firstObsOfEpisode1[i] = [0, 1, 2, 3].map((k) => q.obs[k * n + i]);
      }
      if (prevDone[i]) {
        resets++;
        assert.equal(r.reward[i], 0);
        assert.equal(r.terminated[i] | r.truncated[i], 0);
        assert.equal(env.elapsed()[i], 0);
        if (env.episodes[i] === 1) assert.deepEqual([0, 1, 2, 3].map((k) => r.obs[k * n + i]), firstObsOfEpisode1[i]);
      }
    }
    done = Uint8Array.from(r.terminated, (x, i) => x | r.truncated[i]);
  }
  assert.ok(resets > 0);
  ref.free();
  env.free();
});

test('disabled mode: finished envs stay finished (reward 0, flags kept) until resetEnvs', () => {
  const n = 8;
  const env = new VecEnv('CartPole-v1', n, { seed: 4, autoreset: 'disabled' });
  const push = new Uint32Array(n).fill(1);
  for (let t = 0; t < 100; t++) env.step(push);
  assert.ok(env.terminated.every((x) => x === 1), 'pushing right ends every episode within 100 steps');
  const finalObs = Float32Array.from(env.obs);
  const r = env.step(push);
  assert.ok(r.reward.every((x) => x === 0));
  assert.deepEqual(Float32Array.from(r.obs), finalObs);
  assert.deepEqual(Array.from(env.episodes), new Array(n).fill(0));
  const mask = new Array(n).fill(false);
  mask[3] = true;
  env.resetEnvs(mask);
  assert.equal(env.terminated[3], 0);
  assert.equal(env.terminated[2], 1);
  assert.equal(env.episodes[3], 1);
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(env.obs[k * n + 3]) <= 0.05);
  // A rollout in disabled mode sums exactly the one episode each env plays.
  env.reset({ seed: 9 });
  const stats = env.rollout({ steps: 600, policy: { type: 'constant', action: 1 } });
  for (let i = 0; i < n; i++) {
    assert.equal(stats.episodes[i], 1n);
    assert.equal(stats.rewardSum[i], Number(stats.lengthSum[i]), 'CartPole pays 1 per step');
  }
  env.free();
});

test('rollout equals stepping with the same actions; per-env linear weights equal shared ones', () => {
  for (const id of ['Pendulum-v1', 'Acrobot-v1', 'Reach3D-v1']) {
    const n = 37;
    const a = new VecEnv(id, n, { seed: 11 });
    const b = new VecEnv(id, n, { seed: 11 });
    const ad = a.actionDim;
    const action = a.spaces.action.type === 'discrete' ? [2] : new Array(ad).fill(0.5);
    const stats = a.rollout({ steps: 123, policy: { type: 'constant', action } });
    let sum = new Float64Array(n);
    const acts = a.spaces.action.type === 'discrete' ? new Uint32Array(n).fill(2) : new Float32Array(n * ad).fill(0.5);
    for (let t = 0; t < 123; t++) {
      const r = b.step(acts);
      sum = sum.map((s, i) => s + r.reward[i]);
    }
    assert.deepEqual(Float32Array.from(a.obs), Float32Array.from(b.obs), id);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(stats.rewardSum[i] - sum[i]) <= 1e-3 * Math.max(1, Math.abs(sum[i])), id);
    // Linear: one shared policy vs the same weights repeated per env (feature-major).
    const outs = a.spaces.action.type === 'discrete' ? a.spaces.action.n : ad;
    const w = Float32Array.from({ length: outs * a.obsDim }, (_, k) => Math.sin(k + 1));
    const bias = Float32Array.from({ length: outs }, (_, k) => 0.1 * k);
    const wPer = new Float32Array(w.length * n);
    const bPer = new Float32Array(bias.length * n);
    w.forEach((x, k) => wPer.fill(x, k * n, (k + 1) * n));
    bias.forEach((x, k) => bPer.fill(x, k * n, (k + 1) * n));
    a.reset({ seed: 1 });
    b.reset({ seed: 1 });
    const s1 = Float64Array.from(a.rollout({ steps: 200, policy: { type: 'linear', weights: w, bias } }).rewardSum);
    const s2 = Float64Array.from(b.rollout({ steps: 200, policy: { type: 'linear', weights: wPer, bias: bPer } }).rewardSum);
    assert.deepEqual(s1, s2, id);
    a.free();
    b.free();
  }
});

/**
 * Steps `env` with `trajectory`'s actions, one step per recorded step, and checks every recorded
 * observation (the one the action was chosen from), reward and flag against what step() gives:
 * a rollout computes exactly what step() would, bit for bit.
 */
function replayTrajectory(env, trajectory, steps, what) {
  const { numEnvs: n, obsDim: od, actionDim: ad } = env;
  assert.equal(trajectory.obs.length, steps * od * n, what);
  assert.equal(trajectory.actions.length, steps * ad * n, what);
  for (const k of ['rewards', 'terminated', 'truncated']) assert.equal(trajectory[k].length, steps * n, `${what} ${k}`);
  const discrete = env.spaces.action.type === 'discrete';
  for (let t = 0; t < steps; t++) {
    assert.deepEqual(trajectory.obs.subarray(t * od * n, (t + 1) * od * n), Float32Array.from(env.obs), `${what} step ${t} obs`);
    const a = trajectory.actions.subarray(t * ad * n, (t + 1) * ad * n);
    const r = env.step(discrete ? Uint32Array.from(a) : Float32Array.from(a));
    assert.deepEqual(trajectory.rewards.subarray(t * n, (t + 1) * n), Float32Array.from(r.reward), `${what} step ${t} reward`);
    assert.deepEqual(trajectory.terminated.subarray(t * n, (t + 1) * n), Uint8Array.from(r.terminated), `${what} step ${t} terminated`);
    assert.deepEqual(trajectory.truncated.subarray(t * n, (t + 1) * n), Uint8Array.from(r.truncated), `${what} step ${t} truncated`);
  }
}

test('recorded rollouts: the trajectory is what stepping with the same actions gives, and recording changes nothing', () => {
  for (const id of ['CartPole-v1', 'MountainCarContinuous-v0', 'Acrobot-v1', 'Reach3D-v1']) {
    const n = 13;
    const steps = 300; // long enough for terminations, truncations and same-step autoresets
    const opts = { seed: 5, maxEpisodeSteps: 90 };
    const a = new VecEnv(id, n, opts);
    const b = new VecEnv(id, n, opts);
    const c = new VecEnv(id, n, opts);
    const { obsDim: od, actionDim: ad } = a;
    const discrete = a.spaces.action.type === 'discrete';
    // Constant: every recorded action is the constant.
    const action = discrete ? [1] : Array.from({ length: ad }, (_, k) => 0.25 * (k + 1));
    const rc = a.rollout({ steps, policy: { type: 'constant', action }, record: true });
    for (let k = 0; k < ad; k++) {
      for (let t = 0; t < steps; t++) assert.ok(rc.trajectory.actions.subarray((t * ad + k) * n, (t * ad + k + 1) * n).every((x) => x === Math.fround(action[k])), id);
    }
    replayTrajectory(b, rc.trajectory, steps, `${id} constant`);
    assert.ok(rc.trajectory.terminated.some((x) => x) || rc.trajectory.truncated.some((x) => x), `${id}: no episode ended`);
    // Linear, one policy per env: recorded actions are the policy's on the recorded observations.
    const outs = discrete ? a.spaces.action.n : ad;
    const w = Float32Array.from({ length: outs * od * n }, (_, k) => Math.sin(0.7 * k + 1));
    const bias = Float32Array.from({ length: outs * n }, (_, k) => 0.05 * Math.cos(k));
    const rl = a.rollout({ steps, policy: { type: 'linear', weights: w, bias }, record: true });
    const { obs, actions } = rl.trajectory;
    let checked = 0;
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < n; i++) {
        const out = Array.from({ length: outs }, (_, o) => {
          let y = bias[o * n + i];
          for (let k = 0; k < od; k++) y += w[(o * od + k) * n + i] * obs[(t * od + k) * n + i];
          return y;
        });
        if (discrete) {
          const sorted = [...out].sort((x, y) => y - x);
          if (sorted[0] - sorted[1] < 1e-4) continue; // a near tie: f32 and f64 may pick differently
          assert.equal(actions[t * n + i], out.indexOf(sorted[0]), `${id} linear step ${t} env ${i}`);
        } else {
          const { low, high } = a.spaces.action;
          out.forEach((y, k) => {
            const want = Math.min(Math.max(y, low[k]), high[k]);
            assert.ok(Math.abs(actions[(t * ad + k) * n + i] - want) <= 1e-5 * Math.max(1, Math.abs(y)), `${id} linear step ${t} env ${i}`);
          });
        }
        checked++;
      }
    }
    assert.ok(checked > 0.9 * steps * n, `${id}: only ${checked} linear actions checked`);
    replayTrajectory(b, rl.trajectory, steps, `${id} linear`);
    // Random: the statistics, the final observations and the next random draws are those of
    // the same rollout unrecorded (c); the trajectory replays on b and sums to the statistics.
    c.rollout({ steps, policy: { type: 'constant', action } });
    c.rollout({ steps, policy: { type: 'linear', weights: w, bias } });
    const rr = a.rollout({ steps, record: true });
    const plain = c.rollout({ steps });
    for (const k of ['rewardSum', 'episodes', 'lengthSum']) assert.deepEqual(rr[k], plain[k], `${id} random ${k}`);
    assert.deepEqual(a.lastRollout.rewardSum, rr.rewardSum);
    assert.deepEqual(Float32Array.from(a.obs), Float32Array.from(c.obs), `${id} random: final obs`);
    replayTrajectory(b, rr.trajectory, steps, `${id} random`);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      let ends = 0n;
      for (let t = 0; t < steps; t++) {
        sum += rr.trajectory.rewards[t * n + i];
        ends += BigInt(rr.trajectory.terminated[t * n + i] | rr.trajectory.truncated[t * n + i]);
      }
      assert.ok(Math.abs(sum - rr.rewardSum[i]) <= 1e-4 * Math.max(1, Math.abs(sum)), `${id} random env ${i}: ${sum} vs ${rr.rewardSum[i]}`);
      assert.equal(ends, rr.episodes[i], `${id} random env ${i} episodes`);
    }
    // Zero steps: empty arrays.
    const r0 = a.rollout({ steps: 0, record: true }).trajectory;
    assert.deepEqual([r0.obs.length, r0.actions.length, r0.rewards.length, r0.terminated.length, r0.truncated.length], [0, 0, 0, 0, 0]);
    // The trajectory is a copy (JS heap), not a view that a later call could detach.
    assert.notEqual(rr.trajectory.obs.buffer, simd.memory.buffer, id);
    a.free();
    b.free();
    c.free();
  }
});

test('per-env parameters: env i with value v steps exactly like a shared-v batch from the same state', () => {
  const gs = [2, 5, 9.81, 15];
  const per = new VecEnv('Pendulum-v1', 4, { params: { g: gs, m: { low: 1, high: 1 } } });
  assert.deepEqual(gs.map((_, i) => per.paramsOf(i).g), gs.map(Math.fround));
  const state = [2.0, 0.5];
  const torque = new Float32Array(4).fill(0.3);
  for (let i = 0; i < 4; i++) per.setEnvState(i, state, 0);
  per.step(torque);
  const results = new Set();
  for (let i = 0; i < 4; i++) {
    const shared = new VecEnv('Pendulum-v1', 1, { params: { g: gs[i] } });
    shared.setEnvState(0, state, 0);
    shared.step(new Float32Array([0.3]));
    assert.equal(shared.state[0], per.state[i], `theta, g=${gs[i]}`);
    assert.equal(shared.state[1], per.state[4 + i], `theta_dot, g=${gs[i]}`);
    assert.equal(shared.reward[0], per.reward[i]);
    results.add(per.state[4 + i]);
    shared.free();
  }
  assert.equal(results.size, 4, 'different gravities give different velocities');
  // Ranges: drawn once per seed within [low, high), different per env; redrawn per episode on request.
  const r = new VecEnv('CartPole-v1', 256, { seed: 3, params: { length: { low: 0.3, high: 0.9 } } });
  const lengths = Array.from({ length: 256 }, (_, i) => r.paramsOf(i).length);
  assert.ok(lengths.every((l) => l >= Math.fround(0.3) && l < 0.9));
  assert.ok(new Set(lengths).size > 200);
  r.free();
});

test('bad input throws a readable Error (never a wasm trap), and the instance stays usable', () => {
  const env = new VecEnv('MountainCarContinuous-v0', 4);
  const cases = [
    [() => new VecEnv('CartPole-v2', 4), /unknown environment id "CartPole-v2"; known ids: CartPole-v1, /],
    [() => new VecEnv(42, 4), /env id must be a string/],
    [() => new VecEnv('CartPole-v1', 0), /numEnvs must be an integer in 1\.\.=4294967295, got 0/],
    [() => new VecEnv('CartPole-v1', 2.5), /numEnvs must be an integer/],
    [() => new VecEnv('CartPole-v1', '8'), /numEnvs must be a positive integer, got the string "8"/],
    [() => new VecEnv('CartPole-v1', 3e9), /use fewer envs/],
    [() => new VecEnv('CartPole-v1', 4, { seed: -1 }), /seed must be a non-negative integer/],
    [() => new VecEnv('CartPole-v1', 4, { autoreset: 'sometimes' }), /unknown autoreset mode "sometimes"; expected one of "same-step"/],
    [() => new VecEnv('CartPole-v1', 4, { colour: 1 }), /unknown VecEnv option "colour"/],
    [() => new VecEnv('CartPole-v1', 4, { params: { gravty: 9 } }), /unknown parameter "gravty"; its parameters are: gravity, masscart/],
    [() => new VecEnv('CartPole-v1', 4, { params: { gravity: -9 } }), /parameter gravity = -9 is outside its valid range/],
    [() => new VecEnv('CartPole-v1', 4, { params: { gravity: NaN } }), /parameter gravity = NaN is outside/],
    // Inside the old (0, inf), NaN in the step (issue 28, round two): the ranges are bounded now.
    [() => new VecEnv('CartPole-v1', 4, { params: { length: 1e-45 } }), /parameter length = 1e-45 is outside its valid range \[0\.01, 10\]/],
    [() => new VecEnv('Pendulum-v1', 4, { params: { dt: { low: 0.05, high: 1e20 } } }), /parameter range dt = 0\.05\.\.1e20 is invalid/],
    [() => env.setEnvState(0, [1e30, 0], 0), /state component position \(index 0\) = 1e30 is outside its valid range \[-100, 100\]/],
    [() => new VecEnv('CartPole-v1', 4, { params: { length: [1, 2] } }), /per-env values of parameter length \(one per env\): expected 4 values, got 2/],
    [() => new VecEnv('CartPole-v1', 4, { params: { length: { low: 2, high: 1 } } }), /low must not exceed high/],
    [() => new VecEnv('CartPole-v1', 4, { params: { length: 'long' } }), /expected a number \(shared by every env\)/],
    [() => env.step(new Int32Array(4)), /actions must be a Float32Array \(the action space is Box/],
    [() => env.step([0, 0, 0, 0]), /actions must be a Float32Array/],
    [() => env.step(new Float32Array(3)), /step expects 4 actions \(1 per env x 4 envs, feature-major\), got 3/],
    [() => env.step(new Float32Array([0, NaN, 0, 0])), /action NaN at index 1 is not finite/],
    [() => env.rollout({ steps: -1 }), /steps must be a non-negative integer/],
    [() => env.rollout({ steps: 1, policy: 'greedy' }), /unknown policy the string "greedy"/],
    [() => env.rollout({ steps: 1, policy: { type: 'constant', action: [1, 2] } }), /constant policy action: expected 1 values, got 2/],
    [() => env.rollout({ steps: 1, policy: { type: 'linear', weights: [1], bias: [0] } }), /linear policy: got weights of length 1 and bias of length 1; expected 2 and 1/],
    [() => env.rollout({ steps: 1, policy: { type: 'linear', weights: [1, Infinity], bias: [0] } }), /not finite/],
    [() => env.rollout({ steps: 1, record: 'yes' }), /rollout: record must be a boolean, got the string "yes"/],
    // 4e9 steps x 4 envs x 18 bytes (2 obs, 1 action, 1 reward, 2 flags): named with the limit.
    [() => env.rollout({ steps: 4e9, record: true }), /rollout record: 4000000000 steps x 4 envs need 288000000000 bytes \(274659 MiB\).*limit of 4294967296 bytes \(4 GiB\)/],
    [() => env.rollout({ steps: 1e8, policy: { type: 'constant', action: [0] }, record: true }), /need 7200000000 bytes.*4 GiB/],
    [() => env.setEnvState(9, [0, 0]), /env index 9 is out of range for a batch of 4/],
    [() => env.setEnvState(0, [0]), /setEnvState state: expected 2 values, got 1/],
    [() => env.resetEnvs([1]), /resetEnvs expects a mask of 4/],
    [() => env.setSimdPath('avx9'), /unknown SIMD path "avx9"/],
    [() => env.paramsOf(4), /env index 4 is out of range/],
  ];
  for (const [f, re] of cases) {
    assert.throws(f, (e) => {
      assert.ok(e instanceof Error && !(e instanceof WebAssembly.RuntimeError), `${e}`);
      assert.doesNotMatch(e.message, /unreachable|panicked|RuntimeError/);
      assert.match(e.message, re);
      return true;
    });
  }
  const disc = new VecEnv('CartPole-v1', 4);
  assert.throws(() => disc.step(new Float32Array(4)), /actions must be an Int32Array or Uint32Array \(the action space is Discrete\(2\)\)/);
  assert.throws(() => disc.step(new Int32Array([0, -1, 0, 0])), /action -1 at index 1 is outside Discrete\(2\)/);
  assert.throws(() => disc.step(new Uint32Array([0, 1, 2, 0])), /action 2 at index 2 is outside Discrete\(2\)/);
  // Still usable after all that.
  assert.ok(env.step(new Float32Array(4)).reward.every(Number.isFinite));
  disc.free();
  env.free();
  // Use after free.
  assert.throws(() => env.step(new Float32Array(4)), /was freed with free\(\); create a new one/);
  assert.throws(() => env.obs, /was freed/);
  assert.throws(() => env.rollout({ steps: 1 }), /was freed/);
  env.free(); // a second free() does nothing
  assert.equal(env.freed, true);
});

test('WebGPU: only the simd build carries it; without navigator.gpu create rejects with a readable Error', async () => {
  assert.equal(simd.webgpu, true);
  assert.equal(base.webgpu, false);
  assert.equal(webgpuSupported(), false, 'node has no navigator.gpu');
  await assert.rejects(GpuVecEnv.create('CartPole-v1', 16), /^Error: no WebGPU adapter: this JavaScript environment has no navigator\.gpu/);
  // Option errors come first, as for VecEnv; the constructor is not for direct use.
  await assert.rejects(GpuVecEnv.create('CartPole-v1', 16, { colour: 1 }), /unknown GpuVecEnv option "colour"/);
  assert.throws(() => new GpuVecEnv(), /use `await GpuVecEnv.create\(id, numEnvs, options\)`/);
  // The instance is untouched: wasm batches still work.
  const env = new VecEnv('CartPole-v1', 4);
  env.step(new Int32Array(4));
  env.free();
});

test('bareCartPole (the speed of light of the bench page): runs on both builds, checks its arguments', async () => {
  for (const mod of [simd, base]) {
    const k = mod.bareCartPole(8);
    assert.equal(k.run(1), 0, 'no env falls on the first step from theta = 0.02');
    let fell = 0;
    for (let t = 0; t < 200; t++) fell += k.run(1);
    assert.ok(fell > 0, `${mod.flavor}: half the envs push one way for 200 steps, so some must fall`);
    assert.throws(() => k.run(-1), /steps must be an integer from 0 to 4294967295, got -1/);
    assert.throws(() => k.run(1.5), /steps must be an integer/);
    k.free();
    assert.throws(() => k.run(1), /run\(\) after free\(\)/);
    assert.throws(() => mod.bareCartPole(2), /numEnvs must be an integer from 4 to 16777216, got 2/);
  }
});
