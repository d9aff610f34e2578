// The benchmark page: validates, then times, each env on each backend, and publishes the
// results as window.fusegymBench (read by web/tests and by whoever records docs/benchmarks.md).
import { load, simdSupported } from './pkg/index.js';
import { PLAIN_JS } from './plainjs.js';
import { rng } from './train.js';

const $ = (id) => document.getElementById(id);
const url = new URLSearchParams(location.search);
const N = Number(url.get('n') ?? 65536);
const REPEAT_MS = Number(url.get('ms') ?? 250);
const REPEATS = Number(url.get('repeats') ?? 5);
const ONLY = url.get('env');

const bench = { done: false, userAgent: navigator.userAgent, adapter: null, results: [], error: null };
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
  const backends = ['js', 'wasm', 'wasm-simd'];
  const colors = { js: '#9ca3af', wasm: '#60a5fa', 'wasm-simd': '#1d4ed8' };
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
    ctx.fillRect(w - 260 + k * 85, 4, 10, 10);
    ctx.fillStyle = '#111827';
    ctx.fillText(b, w - 246 + k * 85, 13);
  });
}

async function main() {
  $('ua').textContent = navigator.userAgent;
  $('settings').textContent = `${N.toLocaleString('en')} envs per batch, ${REPEATS} runs of ~${REPEAT_MS} ms each, median; engine simd128: ${simdSupported()}`;
  let adapterText = 'navigator.gpu is not available in this browser';
  if (navigator.gpu) {
    try {
      const a = await navigator.gpu.requestAdapter();
      if (a) {
        const i = a.info ?? {};
        bench.adapter = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '' };
        adapterText = `${JSON.stringify(bench.adapter)} (shown for reference: fusegym has no WebGPU backend in this build yet)`;
      } else adapterText = 'navigator.gpu present, but requestAdapter() returned no adapter';
    } catch (e) {
      adapterText = `requestAdapter failed: ${e.message}`;
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
    for (const [backend, mod] of plan) {
      $('status').textContent = `validating and timing ${info.id} on ${backend}…`;
      await tick();
      const row = { env: info.id, backend, num_envs: N, sps_median: 0, validated: false };
      let note;
      try {
        let v;
        let step;
        let env = null;
        if (backend === 'js') {
          v = validateJs(ref, info, PLAIN_JS[info.id]);
          const js = new PLAIN_JS[info.id](N);
          step = () => js.step(actions);
        } else {
          v = validateWasm(mod, backend === 'wasm' ? simd ?? base : ref, info);
          env = new mod.VecEnv(info.id, N, { seed: 1 });
          row.simd_path = env.simdPath;
          step = () => env.step(actions);
        }
        row.validated = v.ok;
        note = v.detail;
        if (v.ok) row.sps_median = await time(step, N);
        if (env) env.free();
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
