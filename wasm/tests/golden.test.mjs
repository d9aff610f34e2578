// Gymnasium golden parity through the JS API, teacher-forced: every recorded step starts from the
// recorded (float64) state, applies the recorded action, and must match the record within
// 16 * f32::EPSILON * M (M: the largest magnitude among the step's input and output state,
// observation and reward, at least 1; MountainCar's position, velocity and reward on their own
// scales), with identical terminated/truncated flags. Same method and tolerance as
// native/src/golden/replay.rs (reasoning: docs/parity.md). Runs on both builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
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

function replay(mod, file) {
  const { header, episodes } = JSON.parse(readFileSync(file, 'utf8'));
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
