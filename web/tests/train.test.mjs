// The page's evolution strategies (../train.js) in node, on the built package: CartPole-v1 must
// reach the 500-step limit and Acrobot-v1 a mean return above -100 (over 64 fresh episodes),
// and the plain-JS baselines of the bench page agree with fusegym's wasm scalar step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from '../../wasm/pkg/index.js';
import { createTrainer, rng } from '../train.js';
import { PLAIN_JS } from '../plainjs.js';

for (const [id, goal, maxGenerations] of [['CartPole-v1', 500, 150], ['Acrobot-v1', -100, 100]]) {
  test(`ES over linear policies: ${id} reaches ${goal}`, async () => {
    const mod = await load('simd');
    const tr = createTrainer(mod, id, {});
    const t0 = performance.now();
    let s = tr.generation();
    const first = s.meanReturn;
    while (s.meanReturn < goal && s.generation < maxGenerations) s = tr.generation();
    const seconds = (performance.now() - t0) / 1000;
    tr.free();
    console.log(`${id}: ${first.toFixed(1)} -> ${s.meanReturn.toFixed(1)} in ${s.generation} generations, ${seconds.toFixed(2)} s (node)`);
    assert.ok(s.meanReturn >= goal, `mean return ${s.meanReturn} after ${s.generation} generations`);
    assert.ok(first < goal, 'the goal was not met by the initial policy');
  });
}

test('the bench page\'s plain-JS envs agree with wasm scalar on teacher-forced steps', async () => {
  const ref = await load('baseline');
  for (const [id, Js] of Object.entries(PLAIN_JS)) {
    const info = ref.envs.find((e) => e.id === id);
    const n = 257;
    const w = new ref.VecEnv(id, n, { seed: 3 });
    const js = new Js(n);
    const r = rng(9);
    const actions = () => (info.action.type === 'discrete'
      ? Uint32Array.from({ length: n }, () => Math.floor(r.next() * info.action.n))
      : Float32Array.from({ length: n }, () => info.action.low[0] + (info.action.high[0] - info.action.low[0]) * r.next()));
    let compared = 0;
    for (let round = 0; round < 20; round++) {
      w.step(actions());
      const el = w.elapsed();
      const st = Float32Array.from(w.state);
      for (let i = 0; i < n; i++) js.setState(i, Array.from({ length: w.stateDim }, (_, k) => st[k * n + i]), el[i]);
      const a = actions();
      const x = w.step(a);
      js.step(a);
      for (let i = 0; i < n; i++) {
        assert.equal(js.terminated[i], x.terminated[i], `${id} env ${i} terminated`);
        assert.equal(js.truncated[i], x.truncated[i], `${id} env ${i} truncated`);
        if (x.terminated[i] || x.truncated[i]) continue;
        compared++;
        assert.ok(Math.abs(js.reward[i] - x.reward[i]) <= 1e-4 * Math.max(1, Math.abs(x.reward[i])), `${id} reward`);
        for (let k = 0; k < w.obsDim; k++) {
          const p = x.obs[k * n + i];
          assert.ok(Math.abs(js.obs[k * n + i] - p) <= 1e-4 * Math.max(1, Math.abs(p)), `${id} obs[${k}] env ${i}: ${js.obs[k * n + i]} vs ${p}`);
        }
      }
    }
    assert.ok(compared > 1000, `${id}: compared ${compared}`);
    w.free();
  }
});
