// The benchmark page: validates, then times, each env on each backend, and publishes the
// results as window.fusegymBench (read by web/tests and by whoever records docs/benchmarks.md).
import { load, simdSupported, webgpuSupported, GpuVecEnv } from './pkg/index.js';
import { PLAIN_JS } from './plainjs.js';
import { rng } from './train.js';

const $ = (id) => document.getElementById(id);
const url = new URLSearchParams(location.search);
const N = Number(url.get('n') ?? 65536);
const REPEAT_MS = Number(url.get('ms') ?? 250);
const REPEATS = Number(url.get('repeats') ?? 5);
const ONLY = url.get('env');
/** Steps per `rollout` call of the webgpu-rollout rows (one dispatch window is 256). */
const ROLLOUT_STEPS = Number(url.get('rsteps') ?? 256);
// Page option `nogpu`: hide WebGPU, to see (and test) the page without it.
if (url.has('nogpu')) Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
/** GPU vs CPU tolerance per step, in eps*M (docs/parity.md, "GPU"). */
const GPU_ULPS = 32;
const EPS = 2 ** -23;

const bench = { done: false, userAgent: navigator.userAgent, adapter: null, results: [], speedOfLight: [], error: null };
window.fusegymBench = bench;

function showError(e) {
  bench.error = e instanceof Error ? e.message : String(e);
  $('error').textContent = bench.error;
}
window.addEventListener('unhandledrejection', (ev) => showError(ev.reason));

const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(1)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0));
const tick = () => new Promise((r) => setTimeout(r, 0));

/** Random actions of env `info`'s space for `n` envs (feature-major), from a seeded PRNG. */
function randomActions(info, n, seed) {
  const r = rng(seed);
  if (info.action.type === 'discrete') return Uint32Array.from({ length: n }, () => Math.floor(r.next() * info.action.n));
  const d = info.action.shape[0];
  const a = new Float32Array(d * n);
  for (let k = 0; k < d; k++) for (let i = 0; i < n; i++) a[k * n + i] = info.action.low[k] + (info.action.high[k] - info.action.low[k]) * r.next();
  return a;
}

/** wasm rows: 64 random steps of 1,003 envs bit for bit equal to the reference module's scalar path. */
function validateWasm(mod, ref, info) {
  const n = 1003;
  const a = new mod.VecEnv(info.id, n, { seed: 5 });
  const b = new ref.VecEnv(info.id, n, { seed: 5 });
  b.setSimdPath('scalar');
  let ok = true;
  let detail = `${a.simdPath} vs ${ref.flavor} build scalar`;
  for (let t = 0; t < 64 && ok; t++) {
    const acts = randomActions(info, n, 1000 + t);
    const x = a.step(acts);
    const y = b.step(acts);
    for (const key of ['obs', 'reward', 'terminated', 'truncated']) {
      const u = x[key];
      const v = y[key];
      for (let i = 0; i < u.length; i++) {
        if (!Object.is(u[i], v[i])) {
          ok = false;
          detail = `step ${t}: ${key}[${i}] = ${u[i]}, scalar gives ${v[i]}`;
          break;
        }
      }
      if (!ok) break;
    }
  }
  a.free();
  b.free();
  return { ok, detail };
}

/** Plain-JS row: from wasm scalar's states, one step with the same actions, 10 rounds. */
function validateJs(ref, info, Js) {
  const n = 1003;
  const w = new ref.VecEnv(info.id, n, { seed: 6 });
  w.setSimdPath('scalar');
  const js = new Js(n);
  const od = w.obsDim;
  const sd = w.stateDim;
  let ok = true;
  let detail = 'teacher-forced vs wasm scalar, 10 x 1,003 steps';
  let worst = 0;
  for (let round = 0; round < 10 && ok; round++) {
    for (let t = 0; t < 5; t++) w.step(randomActions(info, n, 50 + round * 10 + t));
    const elapsed = w.elapsed();
    const state = Float32Array.from(w.state);
    for (let i = 0; i < n; i++) {
      const s = [];
      for (let k = 0; k < sd; k++) s.push(state[k * n + i]);
      js.setState(i, s, elapsed[i]);
    }
    const acts = randomActions(info, n, 7 + round);
    const x = w.step(acts);
    js.step(acts);
    for (let i = 0; i < n && ok; i++) {
      if (x.terminated[i] !== js.terminated[i] || x.truncated[i] !== js.truncated[i]) {
        ok = false;
        detail = `env ${i}: flags ${x.terminated[i]}/${x.truncated[i]}, plain JS ${js.terminated[i]}/${js.truncated[i]}`;
        break;
      }
      if (x.terminated[i] || x.truncated[i]) continue; // both reset, from different random draws
      const pairs = [[x.reward[i], js.reward[i], 'reward']];
      for (let k = 0; k < od; k++) pairs.push([x.obs[k * n + i], js.obs[k * n + i], `obs[${k}]`]);
      for (const [p, q, what] of pairs) {
        const err = Math.abs(p - q) / Math.max(1, Math.abs(p));
        worst = Math.max(worst, err);
        if (!(err <= 1e-4)) {
          ok = false;
          detail = `env ${i}: ${what} = ${q} in plain JS, ${p} in wasm scalar`;
          break;
        }
      }
    }
  }
  if (ok) detail += `, worst relative difference ${worst.toExponential(1)}`;
  w.free();
  return { ok, detail };
}

/**
 * webgpu-step row: 32 steps of 1,003 envs with random actions on the GPU and on the reference
 * module's scalar path, from the same seed; per step identical terminated/truncated flags and
 * observations and rewards within 32 eps*M (docs/parity.md, "GPU"; M: the largest magnitude
 * among the env's state before the step and both sides' observations and reward, at least 1).
 * Where the GPU's state is not bit-identical to the CPU's, the CPU continues from the GPU's
 * (teacher forcing: in a chaotic env any rounding difference grows until the runs are unrelated).
 */
async function validateGpuStep(ref, info) {
  const n = 1003;
  const g = await GpuVecEnv.create(info.id, n, { seed: 5, module: ref });
  const c = new ref.VecEnv(info.id, n, { seed: 5 });
  c.setSimdPath('scalar');
  const od = c.obsDim;
  const sd = c.stateDim;
  let ok = true;
  let detail = '';
  let worst = 0;
  let forced = 0;
  let identical = 0;
  let compared = 0;
  const within = (t, i, what, x, y, m) => {
    const e = Math.abs(x - y) / (EPS * m);
    if (!(e <= GPU_ULPS)) {
      ok = false;
      detail = `step ${t}, env ${i}: ${what} = ${x} on the GPU, ${y} in wasm scalar (${e.toFixed(1)} eps*M, M = ${m})`;
    }
    worst = Math.max(worst, e);
    return ok;
  };
  try {
    for (let i = 0; i < n && ok; i++) for (let k = 0; k < od && ok; k++) within('reset', i, `obs[${k}]`, g.obs[k * n + i], c.obs[k * n + i], 1);
    for (let t = 0; t < 32 && ok; t++) {
      const { state, elapsed } = await g.readState();
      const cs = c.state;
      const pre = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let same = true;
        let m = 1;
        for (let k = 0; k < sd; k++) {
          same &&= Object.is(state[k * n + i], cs[k * n + i]);
          m = Math.max(m, Math.abs(state[k * n + i]));
        }
        pre[i] = m;
        if (!same) {
          c.setEnvState(i, Array.from({ length: sd }, (_, k) => state[k * n + i]), elapsed[i]);
          forced++;
        }
      }
      const acts = randomActions(info, n, 1000 + t);
      c.step(acts);
      const x = await g.step(acts);
      // The CPU's views taken after the await: anything the GPU call allocated may have grown memory.
      const y = { obs: c.obs, reward: c.reward, terminated: c.terminated, truncated: c.truncated };
      for (let i = 0; i < n && ok; i++) {
        if (x.terminated[i] !== y.terminated[i] || x.truncated[i] !== y.truncated[i]) {
          ok = false;
          detail = `step ${t}, env ${i}: flags ${x.terminated[i]}/${x.truncated[i]} on the GPU, ${y.terminated[i]}/${y.truncated[i]} in wasm scalar`;
          break;
        }
        let m = Math.max(pre[i], Math.abs(x.reward[i]), Math.abs(y.reward[i]));
        for (let k = 0; k < od; k++) m = Math.max(m, Math.abs(x.obs[k * n + i]), Math.abs(y.obs[k * n + i]));
        let same = Object.is(x.reward[i], y.reward[i]);
        within(t, i, 'reward', x.reward[i], y.reward[i], m);
        for (let k = 0; k < od && ok; k++) {
          same &&= Object.is(x.obs[k * n + i], y.obs[k * n + i]);
          within(t, i, `obs[${k}]`, x.obs[k * n + i], y.obs[k * n + i], m);
        }
        compared++;
        if (same) identical++;
      }
    }
  } finally {
    g.free();
    c.free();
  }
  if (ok) {
    detail = `32 steps x ${n} envs vs wasm scalar: flags identical, ${((100 * identical) / compared).toFixed(1)}% of env-steps bit-identical, ` +
      `worst ${worst.toFixed(2)} eps*M (bound ${GPU_ULPS}); ${forced} env-steps teacher-forced`;
  }
  return { ok, detail };
}

/**
 * webgpu-rollout row: a 300-step random-policy rollout of 1,003 envs on the GPU and on the
 * reference module's scalar path (the same counter-RNG actions): episode counts and length sums
 * equal, reward sums within 32 eps*max(|sum|, steps) (docs/parity.md, "GPU": device rollouts).
 */
async function validateGpuRollout(ref, info) {
  const n = 1003;
  const steps = 300;
  const g = await GpuVecEnv.create(info.id, n, { seed: 8, module: ref });
  const c = new ref.VecEnv(info.id, n, { seed: 8 });
  c.setSimdPath('scalar');
  let ok = true;
  let detail = '';
  let worst = 0;
  try {
    const x = await g.rollout({ steps, policy: 'random' });
    const y = c.rollout({ steps, policy: 'random' });
    for (let i = 0; i < n && ok; i++) {
      if (x.episodes[i] !== y.episodes[i] || x.lengthSum[i] !== y.lengthSum[i]) {
        ok = false;
        detail = `env ${i}: ${x.episodes[i]} episodes of total length ${x.lengthSum[i]} on the GPU, ${y.episodes[i]} of ${y.lengthSum[i]} in wasm scalar`;
        break;
      }
      const m = Math.max(Math.abs(y.rewardSum[i]), steps);
      const e = Math.abs(x.rewardSum[i] - y.rewardSum[i]) / (EPS * m);
      worst = Math.max(worst, e);
      if (!(e <= GPU_ULPS)) {
        ok = false;
        detail = `env ${i}: reward sum ${x.rewardSum[i]} on the GPU, ${y.rewardSum[i]} in wasm scalar (${e.toFixed(1)} eps*max(|sum|, steps))`;
      }
    }
  } finally {
    g.free();
    c.free();
  }
  if (ok) detail = `${steps}-step random rollout x ${n} envs vs wasm scalar: episodes and lengths equal, reward sums within ${worst.toFixed(2)} eps*max(|sum|, steps)`;
  return { ok, detail };
}

/** Median steps/s over REPEATS runs of about REPEAT_MS each of an awaited call doing `stepsPerCall` env-steps. */
async function timeAsync(call, stepsPerCall) {
  const rates = [];
  await call(); // warm-up (pipelines, first mapping)
  for (let r = 0; r < REPEATS; r++) {
    let steps = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      await call();
      steps += stepsPerCall;
      t = performance.now();
    } while (t - t0 < REPEAT_MS);
    rates.push(steps / ((t - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

/** Median steps/s of `step()` over REPEATS runs of about REPEAT_MS each. */
async function time(step, n) {
  const rates = [];
  step(); // warm-up
  for (let r = 0; r < REPEATS; r++) {
    let steps = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      step();
      steps++;
      t = performance.now();
    } while (t - t0 < REPEAT_MS);
    rates.push((steps * n) / ((t - t0) / 1000));
    await tick();
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

/**
 * The bare CartPole kernel of build `mod` (wasm/src/speed_of_light.rs), timed like the rows (one
 * step per call, same N, same repeats) right after that build's CartPole-v1 row, and the row's
 * fraction of it.
 */
async function timeSpeedOfLight(mod, backend, row) {
  const bare = mod.bareCartPole(N);
  try {
    const sps = await time(() => bare.run(1), N);
    const entry = { env: row.env, backend, num_envs: N, sps_median: sps, step_fraction: row.sps_median / sps };
    bench.speedOfLight.push(entry);
    const text = bench.speedOfLight.map((e) => `${e.backend} build ${fmt(e.sps_median)} steps/s, CartPole-v1 step ${e.step_fraction.toFixed(2)}x of it`);
    $('sol').textContent = text.join('; ');
  } finally {
    bare.free();
  }
}

function addRow(row, note) {
  const tr = document.createElement('tr');
  const js = bench.results.find((r) => r.env === row.env && r.backend === 'js');
  const ratio = js && row.backend !== 'js' && js.sps_median > 0 ? `${(row.sps_median / js.sps_median).toFixed(1)}x` : '';
  for (const [text, cls] of [[row.env, 'l'], [row.backend, 'l'], [row.num_envs.toLocaleString('en')], [row.validated ? 'yes' : 'NO'],
    [row.validated ? fmt(row.sps_median) : '–'], [ratio], [note, 'l']]) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.append(td);
  }
  $('table').tBodies[0].append(tr);
}

function drawChart() {
  const c = $('chart');
  const ctx = c.getContext('2d');
  const w = c.width;
  const h = c.height;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  const rows = bench.results.filter((r) => r.validated && r.sps_median > 0);
  if (!rows.length) return;
  const envsShown = [...new Set(rows.map((r) => r.env))];
  const backends = ['js', 'wasm', 'wasm-simd', 'webgpu-step', 'webgpu-rollout'];
  const colors = { js: '#9ca3af', wasm: '#60a5fa', 'wasm-simd': '#1d4ed8', 'webgpu-step': '#f59e0b', 'webgpu-rollout': '#b45309' };
  const max = Math.max(...rows.map((r) => r.sps_median));
  const lo = 1e5;
  const Y = (v) => h - 40 - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(max * 1.2) - Math.log10(lo))) * (h - 70);
  const group = (w - 60) / envsShown.length;
  ctx.font = '11px system-ui';
  ctx.fillStyle = '#374151';
  ctx.fillText('steps/s (log scale)', 4, 12);
  for (let p = 5; p <= 10; p++) {
    if (10 ** p > max * 1.2) break;
    ctx.fillText(`1e${p}`, 4, Y(10 ** p) + 4);
    ctx.strokeStyle = '#f3f4f6';
    ctx.beginPath();
    ctx.moveTo(40, Y(10 ** p));
    ctx.lineTo(w, Y(10 ** p));
    ctx.stroke();
  }
  envsShown.forEach((id, g) => {
    const x0 = 50 + g * group;
    backends.forEach((b, k) => {
      const r = rows.find((q) => q.env === id && q.backend === b);
      if (!r) return;
      const bw = (group - 16) / backends.length;
      ctx.fillStyle = colors[b];
      ctx.fillRect(x0 + k * bw, Y(r.sps_median), bw - 2, h - 40 - Y(r.sps_median));
    });
    ctx.fillStyle = '#111827';
    ctx.fillText(id, x0, h - 24);
  });
  backends.forEach((b, k) => {
    ctx.fillStyle = colors[b];
    ctx.fillRect(w - 520 + k * 104, 4, 10, 10);
    ctx.fillStyle = '#111827';
    ctx.fillText(b, w - 506 + k * 104, 13);
  });
}

async function main() {
  $('ua').textContent = navigator.userAgent;
  $('settings').textContent = `${N.toLocaleString('en')} envs per batch, ${REPEATS} runs of ~${REPEAT_MS} ms each, median; engine simd128: ${simdSupported()}`;
  let adapterText = 'navigator.gpu is not available in this browser: no WebGPU rows';
  let gpuProblem = 'WebGPU unavailable: navigator.gpu is not available in this browser';
  if (webgpuSupported()) {
    try {
      const a = await navigator.gpu.requestAdapter();
      if (a) {
        const i = a.info ?? {};
        bench.adapter = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '' };
        adapterText = JSON.stringify(bench.adapter);
        gpuProblem = null;
      } else {
        adapterText = 'navigator.gpu present, but requestAdapter() returned no adapter: no WebGPU rows';
        gpuProblem = 'WebGPU unavailable: requestAdapter() returned no adapter';
      }
    } catch (e) {
      adapterText = `requestAdapter failed: ${e.message}`;
      gpuProblem = `WebGPU unavailable: ${e.message}`;
    }
  }
  $('adapter').textContent = adapterText;
  const simd = simdSupported() ? await load('simd') : null;
  const base = await load('baseline');
  const ref = base;
  for (const info of base.envs) {
    if (ONLY && info.id !== ONLY) continue;
    const actions = randomActions(info, N, 42);
    const plan = [];
    if (PLAIN_JS[info.id]) plan.push(['js', null]);
    plan.push(['wasm', base]);
    if (simd) plan.push(['wasm-simd', simd]);
    if (simd?.webgpu) plan.push(['webgpu-step', simd], ['webgpu-rollout', simd]);
    for (const [backend, mod] of plan) {
      $('status').textContent = `validating and timing ${info.id} on ${backend}…`;
      await tick();
      const row = { env: info.id, backend, num_envs: N, sps_median: 0, validated: false };
      let note;
      try {
        let v;
        let step;
        let env = null;
        if (backend.startsWith('webgpu')) {
          // Without WebGPU the row stays, unvalidated and untimed, saying why (not a page error).
          v = gpuProblem ? { ok: false, detail: gpuProblem } :
            backend === 'webgpu-step' ? await validateGpuStep(mod, info) : await validateGpuRollout(mod, info);
          row.validated = v.ok;
          note = v.detail;
          if (gpuProblem) row.unavailable = gpuProblem;
          if (v.ok) {
            const g = await GpuVecEnv.create(info.id, N, { seed: 1, module: mod });
            try {
              row.adapter = g.adapter;
              if (!$('adapter').dataset.wgpu) {
                $('adapter').textContent += `; wgpu: ${g.adapter}`;
                $('adapter').dataset.wgpu = '1';
              }
              if (backend === 'webgpu-step') {
                // Each call uploads the actions, runs one step and maps its outputs back: the
                // readback is part of what is timed.
                row.sps_median = await timeAsync(() => g.step(actions), N);
              } else {
                row.rollout_steps = ROLLOUT_STEPS;
                row.sps_median = await timeAsync(() => g.rollout({ steps: ROLLOUT_STEPS, policy: 'random' }), ROLLOUT_STEPS * N);
                note += `; timed: ${ROLLOUT_STEPS} steps per call, statistics and last step read back`;
              }
            } finally {
              g.free();
            }
          }
          step = null;
        } else if (backend === 'js') {
          v = validateJs(ref, info, PLAIN_JS[info.id]);
          const js = new PLAIN_JS[info.id](N);
          step = () => js.step(actions);
        } else {
          v = validateWasm(mod, backend === 'wasm' ? simd ?? base : ref, info);
          env = new mod.VecEnv(info.id, N, { seed: 1 });
          row.simd_path = env.simdPath;
          step = () => env.step(actions);
        }
        if (step) {
          row.validated = v.ok;
          note = v.detail;
          if (v.ok) row.sps_median = await time(step, N);
        }
        if (env) env.free();
        if (info.id === 'CartPole-v1' && (backend === 'wasm' || backend === 'wasm-simd') && row.validated) {
          await timeSpeedOfLight(mod, backend, row);
        }
      } catch (e) {
        note = `error: ${e.message}`;
        showError(e);
      }
      bench.results.push(row);
      addRow(row, note);
      drawChart();
    }
    if (!PLAIN_JS[info.id]) {
      const tr = document.createElement('tr');
      tr.innerHTML = `<td class="l">${info.id}</td><td class="l">js</td><td colspan="5" class="l">no plain-JS version (fusegym's own env)</td>`;
      $('table').tBodies[0].append(tr);
    }
  }
  $('status').textContent = `done: ${bench.results.length} rows, ${bench.results.filter((r) => r.validated).length} validated`;
  bench.done = true;
  document.body.dataset.done = 'true';
}

main().catch(showError);
