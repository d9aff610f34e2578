// Gymnasium golden parity through the JS API, both checks of native/src/golden/replay.rs, on
// both builds (reasoning and tolerances: docs/parity.md, sections 2 and 3):
// * teacher-forced: every recorded step starts from the recorded (float64) state, applies the
//   recorded action, and must match the record within 16 * f32::EPSILON * M (M: the largest
//   magnitude among the step's input and output state, observation and reward, at least 1;
//   MountainCar's position, velocity and reward on their own scales), with identical
//   terminated/truncated flags;
// * free-running: every episode is replayed from its initial state with the recorded actions next
//   to 32 twins of our trajectory, each moved before every step by rounding-sized noise (the same
//   SplitMix64 hash as the native checker, so the numbers are the native ones); our trajectory
//   must follow the record within 1e-3 * M for at least the twins' 10% quantile horizon, and
//   never less than 5% of the episode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { load } from '../pkg/index.js';

const GOLDEN = new URL('../../tests/golden/', import.meta.url);
const TEACHER_ULPS = 16;
const EPS = 2 ** -23;

function files() {
  const out = [];
  for (const dir of ['', 'branches/']) {
    const d = new URL(dir, GOLDEN);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).filter((f) => f.endsWith('.json')).sort()) out.push(new URL(f, d));
  }
  return out;
}

const read = (file) => JSON.parse(readFileSync(file, 'utf8'));
const short = (file) => file.pathname.split('/').slice(-3).join('/').replace(/^tests\//, '');

/** The scale groups of native/src/golden/replay.rs `scale_groups`. */
function scaleGroups(header, sd, od) {
  const c = (name) => header.constants[name] ?? header.constants.code_constants?.[name];
  let car = null;
  if (header.env_id === 'MountainCar-v0') car = [c('max_speed'), c('force') + c('gravity')];
  if (header.env_id === 'MountainCarContinuous-v0') car = [c('max_speed'), c('power') + c('gravity_term')];
  if (car && car.every((x) => typeof x === 'number') && sd === 2 && od === 2) {
    return [
      { state: [0], obs: [0], reward: false, floor: Math.abs(car[0]) },
      { state: [1], obs: [1], reward: false, floor: Math.abs(car[1]) },
      { state: [], obs: [], reward: true, floor: Number.MIN_VALUE },
    ];
  }
  return [{ state: [...Array(sd).keys()], obs: [...Array(od).keys()], reward: true, floor: 1 }];
}

function scales(groups, input, output, obs, reward) {
  const s = { state: input.map(() => 1), obs: obs.map(() => 1), reward: 1 };
  for (const g of groups) {
    let m = g.floor;
    for (const k of g.state) m = Math.max(m, Math.abs(input[k]), Math.abs(output[k]));
    for (const k of g.obs) m = Math.max(m, Math.abs(obs[k]));
    if (g.reward) m = Math.max(m, Math.abs(reward));
    for (const k of g.state) s.state[k] = m;
    for (const k of g.obs) s.obs[k] = m;
    if (g.reward) s.reward = m;
  }
  return s;
}

function replay(mod, file, record = read(file)) {
  const { header, episodes } = record;
  const k = episodes.length;
  const env = new mod.VecEnv(header.env_id, k, { seed: 0 });
  const { obsDim: od, stateDim: sd } = env;
  assert.equal(od, header.obs_dim);
  assert.equal(sd, header.state_dim);
  const discrete = env.spaces.action.type === 'discrete';
  assert.equal(discrete, header.action.type === 'discrete');
  const groups = scaleGroups(header, sd, od);
  const failures = [];
  let steps = 0;
  let worst = 0;
  const check = (at, what, ours, theirs, m) => {
    const ulps = Math.abs(ours - theirs) / (EPS * m);
    if (!(ulps <= TEACHER_ULPS)) failures.push(`${at} ${what}: ours ${ours}, record ${theirs} (${ulps.toFixed(1)} eps*M, M=${m})`);
    else worst = Math.max(worst, ulps);
  };
  episodes.forEach((ep, e) => env.setEnvState(e, ep.initial_state, 0));
  episodes.forEach((ep, e) => {
    const s = scales(groups, ep.initial_state, ep.initial_state, ep.initial_obs, 0);
    for (let c = 0; c < od; c++) check(`episode ${e}`, `initial_obs[${c}]`, env.obs[c * k + e], ep.initial_obs[c], s.obs[c]);
  });
  const actions = discrete ? new Int32Array(k) : new Float32Array(k);
  const longest = Math.max(...episodes.map((ep) => ep.length));
  for (let t = 0; t < longest; t++) {
    episodes.forEach((ep, e) => {
      const live = t > 0 && t < ep.length;
      env.setEnvState(e, live ? ep.states[t - 1] : ep.initial_state, live ? t : 0);
      actions[e] = t < ep.length ? ep.actions[t] : 0;
    });
    const r = env.step(actions);
    const finalObs = env.finalObs;
    episodes.forEach((ep, e) => {
      if (t >= ep.length) return;
      steps++;
      const at = `${file.pathname.split('/').slice(-2).join('/')} episode ${e} step ${t}`;
      const term = r.terminated[e] === 1;
      const trunc = r.truncated[e] === 1;
      if (term !== ep.terminated[t] || trunc !== ep.truncated[t]) {
        failures.push(`${at}: terminated/truncated ${term}/${trunc}, record ${ep.terminated[t]}/${ep.truncated[t]}`);
        return;
      }
      const done = term || trunc;
      const prev = t === 0 ? ep.initial_state : ep.states[t - 1];
      const s = scales(groups, prev, ep.states[t], ep.obs[t], ep.rewards[t]);
      for (let c = 0; c < od; c++) check(at, `obs[${c}]`, (done ? finalObs : r.obs)[c * k + e], ep.obs[t][c], s.obs[c]);
      check(at, 'reward', r.reward[e], ep.rewards[t], s.reward);
      if (!done) for (let c = 0; c < sd; c++) check(at, `state[${c}]`, env.state[c * k + e], ep.states[t][c], s.state[c]);
    });
  }
  env.free();
  return { env: header.env_id, steps, worst, failures };
}

/** The free-running criterion of native/src/golden/replay.rs `FreeRunning::default()`. */
const FREE = { twins: 32, noise: 16, quantile: 0.1, floor: 0.05 };
/** Free-running divergence threshold, relative to M (`FREE_REL`). */
const FREE_REL = 1e-3;
const U64 = (x) => BigInt.asUintN(64, x);

/** SplitMix64 (`mix` in replay.rs), in BigInt so that every bit is the native one. */
function mix(z) {
  z = U64(z + 0x9e3779b97f4a7c15n);
  z = U64((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = U64((z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  return z ^ (z >> 31n);
}

/**
 * `noise(e, j, t, c)` of replay.rs, uniform in [-1, 1), split in two: `prefix` hashes
 * (episode, twin, step) once, `noise` adds the component (the same nesting of `mix`).
 */
const prefix = (e, j, t) => mix(mix(mix(BigInt(e)) ^ BigInt(j)) ^ BigInt(t));
const noise = (p, c) => Number(mix(p ^ BigInt(c)) >> 11n) / 2 ** 52 - 1;

/** What lane `l` produced on the last step (`Seen::of`): the final observation where it finished. */
function seen(env, obs, finalObs, l, od) {
  const n = env.numEnvs;
  const terminated = env.terminated[l] === 1;
  const truncated = env.truncated[l] === 1;
  const src = terminated || truncated ? finalObs : obs;
  return { obs: Array.from({ length: od }, (_, c) => src[c * n + l]), terminated, truncated, reward: env.reward[l] };
}

/** `Seen::follows`: within FREE_REL * m of `obs` and `reward`, with the same flags. */
function follows(s, obs, terminated, truncated, reward, m) {
  const tol = FREE_REL * m;
  return s.terminated === terminated && s.truncated === truncated && Math.abs(s.reward - reward) <= tol &&
    s.obs.every((x, c) => Math.abs(x - obs[c]) <= tol);
}

/**
 * Free-running replay of a parsed golden file next to an ensemble of perturbed twins
 * (`free_running_on` in replay.rs, step for step): one batch of k * (1 + twins) envs, lane
 * e < k follows episode e's record, lane k + e * twins + j is twin j of episode e. Returns one
 * `{length, followed, bar, twinHorizons}` per episode.
 */
function freeRunning(mod, { header, episodes }, cfg = FREE) {
  const k = episodes.length;
  const tw = cfg.twins;
  const n = k * (1 + tw);
  const env = new mod.VecEnv(header.env_id, n, { seed: 0 });
  const { obsDim: od, stateDim: sd } = env;
  const episodeOf = (l) => (l < k ? l : Math.floor((l - k) / tw));
  const lanes = Array.from({ length: n }, (_, l) => episodes[episodeOf(l)]);
  lanes.forEach((ep, l) => env.setEnvState(l, ep.initial_state, 0));
  const followed = new Array(k).fill(null);
  const horizon = new Array(k * tw).fill(null);
  const actions = env.spaces.action.type === 'discrete' ? new Int32Array(n) : new Float32Array(n);
  const longest = Math.max(...episodes.map((ep) => ep.length));
  // Computed in float64 and rounded to float32 by setEnvState (Float32Array.from), as the
  // native `(x + u * noise * eps * |x|) as f32`.
  const state = new Float64Array(sd);
  for (let t = 0; t < longest; t++) {
    // Every twin still with ours is moved by rounding-sized noise before each step.
    for (let e = 0; e < k; e++) {
      if (t >= episodes[e].length) continue;
      for (let j = 0; j < tw; j++) {
        if (horizon[e * tw + j] !== null) continue;
        const l = k + e * tw + j;
        const p = prefix(e, j, t);
        // env.state is read again for every twin: setEnvState copies into wasm memory, which
        // may grow and detach an older view.
        const st = env.state;
        for (let c = 0; c < sd; c++) {
          const x = st[c * n + l];
          state[c] = x + noise(p, c) * cfg.noise * EPS * Math.abs(x);
        }
        env.setEnvState(l, state, t);
      }
    }
    lanes.forEach((ep, l) => { actions[l] = t < ep.length ? ep.actions[t] : 0; });
    env.step(actions);
    // finalObs first: its first call allocates, which may detach views taken before it.
    const finalObs = env.finalObs;
    const obs = env.obs;
    episodes.forEach((ep, e) => {
      if (t >= ep.length) return;
      const m = Math.max(1, ...ep.obs[t].map(Math.abs), Math.abs(ep.rewards[t]));
      const ours = seen(env, obs, finalObs, e, od);
      if (followed[e] === null && !follows(ours, ep.obs[t], ep.terminated[t], ep.truncated[t], ep.rewards[t], m)) followed[e] = t;
      for (let j = 0; j < tw; j++) {
        if (horizon[e * tw + j] === null &&
          !follows(seen(env, obs, finalObs, k + e * tw + j, od), ours.obs, ours.terminated, ours.truncated, ours.reward, m)) {
          horizon[e * tw + j] = t;
        }
      }
    });
  }
  env.free();
  return episodes.map((ep, e) => {
    const len = ep.length;
    const hs = Array.from({ length: tw }, (_, j) => horizon[e * tw + j] ?? len).sort((a, b) => a - b);
    const q = hs[Math.min(Math.floor(cfg.quantile * tw), tw - 1)] ?? len;
    const bar = Math.min(Math.max(q, Math.ceil(cfg.floor * len)), len);
    return { length: len, followed: followed[e] ?? len, bar, twinHorizons: hs };
  });
}

for (const flavor of ['simd', 'baseline']) {
  test(`golden parity, teacher-forced, every file, ${flavor} build`, async () => {
    const mod = await load(flavor);
    const all = files();
    assert.ok(all.length >= 5, `golden files found: ${all.length}`);
    const seen = new Set();
    for (const f of all) {
      const r = replay(mod, f);
      seen.add(r.env);
      assert.ok(r.steps >= 10, `${f.pathname}: only ${r.steps} steps replayed`);
      assert.deepEqual(r.failures.slice(0, 5), [], `${r.failures.length} failures in ${f.pathname}`);
    }
    // Every env with a Gymnasium reference is covered (Reach3D-v1 is fusegym's own).
    for (const info of mod.envs.filter((e) => e.id !== 'Reach3D-v1')) assert.ok(seen.has(info.id), `no golden file replayed for ${info.id}`);
  });
}

/** Per-file free-running results of each build, for the comparisons below. */
const freeResults = {};

for (const flavor of ['simd', 'baseline']) {
  test(`golden parity, free-running, every file, ${flavor} build`, async (t) => {
    const mod = await load(flavor);
    const all = files();
    assert.ok(all.length >= 5, `golden files found: ${all.length}`);
    const results = {};
    for (const f of all) {
      const runs = freeRunning(mod, read(f));
      results[short(f)] = runs;
      const sum = (key) => runs.reduce((s, r) => s + r[key], 0);
      t.diagnostic(`${short(f)}: followed ${sum('followed')} of ${sum('length')} steps (bar ${sum('bar')})`);
      runs.forEach((r, e) => {
        assert.ok(r.followed >= r.bar, `${short(f)} episode ${e}: free-running followed the record for ${r.followed} of ` +
          `${r.length} steps, bar ${r.bar} (twins' horizons ${r.twinHorizons.join(' ')})`);
        assert.ok(r.bar >= Math.ceil(FREE.floor * r.length), `${short(f)} episode ${e}: bar ${r.bar} below the floor`);
      });
    }
    freeResults[flavor] = results;
  });
}

test('free-running: both builds give the same figures (every path gives the same bits)', (t) => {
  if (!freeResults.simd || !freeResults.baseline) return t.skip('a free-running test above failed');
  assert.deepEqual(freeResults.baseline, freeResults.simd);
});

test('free-running: the figures equal the native validator\'s (FUSEGYM_BIN=path/to/fusegym)', (t) => {
  // `fusegym validate --episodes` prints every episode's followed/length/bar and the twins'
  // shortest, median and longest horizon: an independent implementation of the same check.
  // Optional, since the package's tests do not build the native CLI.
  const bin = process.env.FUSEGYM_BIN;
  if (!bin) return t.skip('set FUSEGYM_BIN to a fusegym binary to compare with the native checker');
  if (!freeResults.simd) return t.skip('the simd free-running test failed');
  for (const [name, runs] of Object.entries(freeResults.simd)) {
    const path = fileURLToPath(new URL(name, new URL('../', GOLDEN)));
    const out = execFileSync(bin, ['validate', '--episodes', '--backend', 'scalar', path], { encoding: 'utf8' });
    const native = [...out.matchAll(/episode (\d+): followed (\d+) of (\d+) steps \(bar (\d+); twins' horizons min (\d+), median (\d+), max (\d+)\)/g)]
      .map((m) => m.slice(2).map(Number));
    const ours = runs.map((r) => {
      const h = r.twinHorizons;
      return [r.followed, r.length, r.bar, h[0], h[h.length >> 1], h[h.length - 1]];
    });
    assert.deepEqual(ours, native, `${name}: JS [followed, length, bar, twins min, median, max] vs native`);
  }
});

test('a wrong value is caught: the checker is not vacuous', async () => {
  // The same replay against a record whose first recorded observation is nudged by 1e-4 must fail.
  const mod = await load('simd');
  const { header, episodes } = JSON.parse(readFileSync(new URL('CartPole-v1.json', GOLDEN), 'utf8'));
  episodes[0].obs[0][0] += 1e-4;
  const tmp = new URL(`file:///tmp/fusegym-tampered-${process.pid}.json`);
  const { writeFileSync, rmSync } = await import('node:fs');
  writeFileSync(tmp, JSON.stringify({ header, episodes }));
  try {
    const r = replay(mod, tmp);
    assert.equal(r.failures.length, 1, r.failures.join('\n'));
    assert.match(r.failures[0], /episode 0 step 0 obs\[0\]/);
  } finally {
    rmSync(tmp);
  }
});

test('free-running catches a record left at step 20', async () => {
  // CartPole episode 10 (500 steps, bar 97) with every observation from step 20 on moved by 1e-2:
  // our trajectory leaves it at step 20 and the episode fails; the others are untouched.
  const mod = await load('simd');
  const file = new URL('CartPole-v1.json', GOLDEN);
  const record = read(file);
  const clean = freeRunning(mod, record);
  record.episodes[10].obs.forEach((o, t) => { if (t >= 20) o[0] += 1e-2; });
  const runs = freeRunning(mod, record);
  assert.equal(runs[10].followed, 20);
  assert.ok(runs[10].bar > 20 && runs[10].followed < runs[10].bar, JSON.stringify(runs[10]));
  assert.deepEqual(runs.filter((_, e) => e !== 10), clean.filter((_, e) => e !== 10));
});

/**
 * `record` re-recorded with a systematic error: each step is our step from the record's previous
 * (drifted) state with the recorded action, then every state component moves by
 * `ulps * eps * max(1, |x|)`, within the teacher-forced tolerance, until the episode ends under
 * its own flags. A stand-in for an implementation whose every step is slightly biased.
 */
function drifted(mod, record, ulps) {
  const env = new mod.VecEnv(record.header.env_id, 1, { seed: 0 });
  const action = env.spaces.action.type === 'discrete' ? new Int32Array(1) : new Float32Array(1);
  const episodes = record.episodes.map((ep) => {
    const out = { ...ep, actions: [], states: [], obs: [], rewards: [], terminated: [], truncated: [] };
    let state = ep.initial_state;
    for (let t = 0; t < ep.length; t++) {
      env.setEnvState(0, state, t);
      action[0] = ep.actions[t];
      env.step(action);
      const terminated = env.terminated[0] === 1;
      const truncated = env.truncated[0] === 1;
      out.actions.push(ep.actions[t]);
      out.rewards.push(env.reward[0]);
      out.terminated.push(terminated);
      out.truncated.push(truncated);
      if (terminated || truncated) {
        out.obs.push(Array.from(env.finalObs));
        out.states.push(state); // not compared: the episode ended
        break;
      }
      state = Array.from(env.state, (x) => x + ulps * EPS * Math.max(1, Math.abs(x)));
      env.setEnvState(0, state, t + 1);
      out.obs.push(Array.from(env.obs));
      out.states.push(state);
    }
    out.length = out.actions.length;
    return out;
  });
  env.free();
  return { header: record.header, episodes };
}

test('free-running catches what teacher forcing cannot: a record drifting by 8 eps per step', async () => {
  // Every step of the drifted record is within the teacher-forced tolerance (16 eps*M), so
  // that check passes; but the drift is systematic, far from the twins' rounding-sized noise,
  // and every long CartPole episode (10 to 15: 500 steps recorded) leaves ours well before the bar.
  const mod = await load('simd');
  const file = new URL('CartPole-v1.json', GOLDEN);
  const record = drifted(mod, read(file), 8);
  assert.deepEqual(replay(mod, file, record).failures, []);
  const runs = freeRunning(mod, record);
  const failed = runs.map((r, e) => (r.followed < r.bar ? e : -1)).filter((e) => e >= 0);
  assert.deepEqual(failed, [10, 11, 12, 13, 14, 15], JSON.stringify(runs.map(({ twinHorizons, ...r }) => r)));
});

test('free-running: twins that leave at once cannot lower the bar below the floor', async () => {
  // The twins run our own dynamics: if a bug made them separate at the first step, the bar would
  // fall to 0. Twins with enormous noise stand in for that bug; the bar must stay at the floor
  // (5% of the episode), and a record left at step 3 must fail (as tests/tamper.rs natively).
  const mod = await load('simd');
  for (const f of files().filter((f) => !f.pathname.includes('/branches/'))) {
    const record = read(f);
    const e = record.episodes.reduce((best, ep, i) => (ep.length > record.episodes[best].length ? i : best), 0);
    record.episodes[e].obs[3][0] += 0.5;
    const runs = freeRunning(mod, record, { ...FREE, noise: 1e6 });
    for (const r of runs) assert.ok(r.bar >= Math.ceil(FREE.floor * r.length), `${short(f)}: ${JSON.stringify(r)}`);
    const r = runs[e];
    assert.ok(r.twinHorizons.every((h) => h <= 1), `${short(f)}: the stand-in twins should leave at once: ${r.twinHorizons}`);
    assert.equal(r.bar, Math.ceil(FREE.floor * r.length), `${short(f)}: bar of a ${r.length}-step episode`);
    assert.ok(r.followed === 3 && r.followed < r.bar, `${short(f)}: ${JSON.stringify(r)}`);
  }
});
