// The live demo (index.html): a grid of envs stepping with random actions, and evolution
// strategies training a linear policy in the page. Envs, spaces and parameters come from the
// package's registry; this file only drives it and draws.
import { load, simdSupported, webgpuSupported, GpuVecEnv } from './pkg/index.js';
import { drawGrid } from './render.js';
import { createTrainer, createGpuTrainer } from './train.js';

const $ = (id) => document.getElementById(id);
const url = new URLSearchParams(location.search);
// Page option `nogpu`: hide WebGPU, to see (and test) the page without it.
if (url.has('nogpu')) Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });

/** What the tests (web/tests) read. */
const demo = { ready: false, error: '', backend: '', env: '', numEnvs: 0, sps: 0, frames: 0, training: null, gpu: null, gpuUnavailable: null, gpuFallback: '' };
window.fusegymDemo = demo;

function showError(e) {
  const msg = e instanceof Error ? e.message : String(e);
  demo.error = msg;
  $('error').textContent = msg;
}
function clearError() {
  demo.error = '';
  $('error').textContent = '';
}
window.addEventListener('error', (ev) => showError(ev.error ?? ev.message));
window.addEventListener('unhandledrejection', (ev) => showError(ev.reason));

/**
 * Goals of the training section (issue 15) and honest notes where a linear policy is not
 * enough. Envs without an entry can still be trained; they just have no goal line.
 */
const GOALS = {
  'CartPole-v1': { target: (info) => info.maxEpisodeSteps, text: 'goal: the 500-step limit in every evaluation episode (mean return 500)' },
  'Acrobot-v1': { target: () => -100, text: 'goal: mean return above -100 (random actions: about -500)' },
  'Pendulum-v1': {
    target: null,
    text: 'Pendulum is shown honestly as beyond a linear policy: swinging up and balancing needs a nonlinear controller; ' +
      'ES over linear policies stays near random (about -1,100 on this page, where a good swing-up policy gets about -150).',
  },
  'MountainCar-v0': { target: null, text: 'Reward is -1 per step until the flag: without ever reaching it, ES has no signal and stays at -200.' },
};

let mod = null;
let env = null;
let trainer = null;
let playEnv = null;
let playPolicy = null;
let stopTraining = false;

function parseParams(text) {
  const out = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = part.match(/^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$/);
    if (!m) throw new Error(`cannot read "${part}": write name=value or name=low..high`);
    const range = m[2].split('..');
    const num = (s) => {
      const v = Number(s.trim());
      if (s.trim() === '' || Number.isNaN(v)) throw new Error(`"${s.trim()}" in "${part}" is not a number`);
      return v;
    };
    out[m[1]] = range.length === 2 ? { low: num(range[0]), high: num(range[1]) } : num(m[2]);
  }
  return out;
}

/**
 * Whether WebGPU can run here: null when it can, else why not (shown on the page). An adapter
 * is requested once to find out; the batches request their own.
 */
async function probeWebgpu() {
  if (!webgpuSupported()) return 'this browser has no navigator.gpu (WebGPU is not supported, or it is turned off)';
  try {
    const a = await navigator.gpu.requestAdapter();
    if (!a) return 'navigator.gpu.requestAdapter() returned no adapter (WebGPU blocked or no usable GPU)';
    const i = a.info ?? {};
    demo.gpu = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', description: i.description ?? '' };
    return null;
  } catch (e) {
    return `navigator.gpu.requestAdapter() failed: ${e.message}`;
  }
}

/** 'simd', 'baseline' or 'webgpu' (batches on the GPU; the simd build holds the registry and the WebGPU code). */
let backend = 'simd';

async function setBackend(choice) {
  if (choice === 'webgpu' && demo.gpuUnavailable) {
    showFallback(demo.gpuUnavailable);
    choice = simdSupported() ? 'simd' : 'baseline';
  }
  mod = await load(choice === 'webgpu' ? 'simd' : choice);
  backend = choice;
  demo.backend = choice;
  $('backend').value = choice;
  const gpuText = demo.gpuUnavailable ? `unavailable: ${demo.gpuUnavailable}` : `available (${JSON.stringify(demo.gpu)})`;
  $('backendInfo').textContent = choice === 'webgpu'
    ? `WebGPU: fusegym-gpu's WGSL step on ${JSON.stringify(demo.gpu)}; steps/s include reading the states back each frame`
    : `${mod.flavor} build, lane path ${mod.simdPath}; engine simd128: ${simdSupported() ? 'yes' : 'no'}; WebGPU ${gpuText}`;
}

/** The page says, visibly and until the backend is changed, that WebGPU was asked for and what runs instead. */
function showFallback(why) {
  const to = simdSupported() ? 'wasm SIMD' : 'wasm baseline';
  demo.gpuFallback = `WebGPU is unavailable, running on ${to} instead: ${why}`;
  $('gpuNote').textContent = demo.gpuFallback;
}

async function rebuild() {
  const id = $('env').value;
  const n = 2 ** Number($('count').value);
  const params = parseParams($('params').value);
  let fresh;
  if (backend === 'webgpu') {
    try {
      fresh = await GpuVecEnv.create(id, n, { seed: 1, params, module: mod });
    } catch (e) {
      if (!/^no WebGPU adapter/.test(e.message)) throw e;
      demo.gpuUnavailable = e.message;
      $('gpuOption').disabled = true;
      $('gpuOption').textContent = 'WebGPU: unavailable';
      await setBackend('simd');
      showFallback(e.message);
      fresh = new mod.VecEnv(id, n, { seed: 1, params });
      replace(fresh, id, n);
      return;
    }
  } else {
    fresh = new mod.VecEnv(id, n, { seed: 1, params });
  }
  replace(fresh, id, n);
  clearError();
}

function replace(fresh, id, n) {
  if (env) env.free();
  env = fresh;
  gpuFrame = null;
  demo.env = id;
  demo.numEnvs = n;
  $('paramNames').textContent = env.params.map((p) => p.name).join(', ');
}

function safely(f) {
  return async (...args) => {
    try {
      await f(...args);
    } catch (e) {
      showError(e);
    }
  };
}

// --- live grid ---------------------------------------------------------------------------------
const grid = $('grid');
const gctx = grid.getContext('2d');
let stepped = 0;
let stepTime = 0;
let windowStart = performance.now();

/** The GPU batch's frame in flight (a rollout, then its states read back for drawing), if any. */
let gpuFrame = null;

/** One frame on the GPU: a rollout of `spf` steps, then the states read back and drawn. */
async function stepGpu(e, spf) {
  const t0 = performance.now();
  await e.rollout({ steps: spf, policy: 'random' });
  const { state } = await e.readState();
  if (e !== env) return; // replaced meanwhile
  stepTime += performance.now() - t0;
  stepped += spf * e.numEnvs;
  const view = { info: e.info, numEnvs: e.numEnvs, state, obs: e.obs, terminated: e.terminated, truncated: e.truncated };
  drawGrid(gctx, view, 8, Math.min(32, e.numEnvs), grid.width, grid.height);
  demo.frames++;
}

function frame() {
  requestAnimationFrame(frame);
  if (!env || env.freed) return;
  const spf = 2 ** Number($('spf').value);
  if (env.backend === 'webgpu') {
    // Never wait in place: start the next GPU frame once the last one has resolved.
    if (!gpuFrame) {
      const e = env;
      gpuFrame = stepGpu(e, spf).catch((err) => {
        if (!e.freed) {
          showError(err);
          if (env === e) env = null;
        }
      }).finally(() => {
        if (env === e) gpuFrame = null;
      });
    }
  } else {
    try {
      const t0 = performance.now();
      env.rollout({ steps: spf, policy: 'random' });
      stepTime += performance.now() - t0;
      stepped += spf * env.numEnvs;
      drawGrid(gctx, env, 8, Math.min(32, env.numEnvs), grid.width, grid.height);
      demo.frames++;
    } catch (e) {
      showError(e);
      env = null;
      return;
    }
  }
  const now = performance.now();
  if (now - windowStart > 500) {
    demo.sps = stepTime > 0 ? (stepped / stepTime) * 1000 : 0;
    const pageRate = (stepped / (now - windowStart)) * 1000;
    $('sps').textContent = `${fmt(demo.sps)} while stepping (${fmt(pageRate)} including drawing)`;
    stepped = 0;
    stepTime = 0;
    windowStart = now;
  }
  if (playEnv && playPolicy && !playEnv.freed) {
    try {
      playEnv.rollout({ steps: 1, policy: playPolicy });
      const pc = $('play');
      drawGrid(pc.getContext('2d'), playEnv, 4, 16, pc.width, pc.height);
    } catch (e) {
      showError(e);
      playEnv = null;
    }
  }
}

function fmt(x) {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)} G`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(0);
}

// --- training ----------------------------------------------------------------------------------
function drawCurve(history, target, id) {
  const c = $('curve');
  const ctx = c.getContext('2d');
  const w = c.width;
  const h = c.height;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  const info = mod.envs.find((e) => e.id === id);
  const ys = history.map((p) => p.meanReturn);
  if (target !== null) ys.push(target);
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi - lo < 1) hi = lo + 1;
  const pad = 36;
  const X = (g) => pad + ((g - 1) / Math.max(1, history.length - 1)) * (w - pad - 10);
  const Y = (v) => h - pad + ((lo - v) / (hi - lo)) * (h - pad - 14);
  ctx.strokeStyle = '#9ca3af';
  ctx.strokeRect(pad, 14, w - pad - 10, h - pad - 14);
  ctx.fillStyle = '#4b5563';
  ctx.font = '11px system-ui';
  ctx.fillText(hi.toFixed(0), 2, 18);
  ctx.fillText(lo.toFixed(0), 2, h - pad);
  ctx.fillText(`generation (1..${history.length}); mean return of ${info.id}`, pad, h - 12);
  if (target !== null) {
    ctx.strokeStyle = '#16a34a';
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(pad, Y(target));
    ctx.lineTo(w - 10, Y(target));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.strokeStyle = '#2563eb';
  ctx.lineWidth = 2;
  ctx.beginPath();
  history.forEach((p, k) => (k ? ctx.lineTo(X(p.generation), Y(p.meanReturn)) : ctx.moveTo(X(p.generation), Y(p.meanReturn))));
  ctx.stroke();
  ctx.lineWidth = 1;
}

async function train() {
  const id = $('trainEnv').value;
  const info = mod.envs.find((e) => e.id === id);
  const goal = GOALS[id];
  const target = goal?.target ? goal.target(info) : null;
  if (trainer) trainer.free();
  if (playEnv) playEnv.free();
  playEnv = null;
  trainer = null;
  // On WebGPU every candidate is scored on the GPU (rollout with per-env linear weights); the
  // policy being trained is drawn playing in wasm.
  trainer = backend === 'webgpu' ? await createGpuTrainer(GpuVecEnv, mod, id, {}) : createTrainer(mod, id, {});
  const t = { env: id, backend, target, history: [], reached: false, seconds: null, done: false, generations: 0 };
  demo.training = t;
  stopTraining = false;
  $('train').disabled = true;
  $('stop').disabled = false;
  const t0 = performance.now();
  const maxSeconds = 60;
  for (;;) {
    const s = await trainer.generation();
    const elapsed = (performance.now() - t0) / 1000;
    t.history.push({ ...s, seconds: elapsed });
    t.generations = s.generation;
    drawCurve(t.history, target, id);
    playPolicy = trainer.policy();
    if (!playEnv) playEnv = new mod.VecEnv(id, 16, { seed: 99 });
    const reached = target !== null && s.meanReturn >= target;
    $('trainStatus').textContent = `generation ${s.generation}: mean return ${s.meanReturn.toFixed(1)} ` +
      `(${fmt(s.steps)} steps, ${elapsed.toFixed(2)} s)${reached ? ' — goal reached' : ''}`;
    if (reached) {
      t.reached = true;
      t.seconds = elapsed;
      break;
    }
    if (stopTraining || elapsed > maxSeconds || s.generation >= 300) break;
    // Yield to the event loop so the page stays responsive and draws.
    await new Promise((r) => setTimeout(r, 0));
  }
  t.done = true;
  $('train').disabled = false;
  $('stop').disabled = true;
}

// --- wiring ------------------------------------------------------------------------------------
async function main() {
  demo.gpuUnavailable = await probeWebgpu();
  if (demo.gpuUnavailable) {
    $('gpuOption').disabled = true;
    $('gpuOption').textContent = 'WebGPU: unavailable (see below)';
  }
  await setBackend(url.get('backend') ?? (simdSupported() ? 'simd' : 'baseline'));
  for (const info of mod.envs) {
    $('env').add(new Option(info.id, info.id));
    $('trainEnv').add(new Option(info.id, info.id));
  }
  $('env').value = url.get('env') ?? 'CartPole-v1';
  $('trainEnv').value = 'CartPole-v1';
  if (url.get('n')) $('count').value = String(Math.round(Math.log2(Number(url.get('n')))));
  if (url.get('params')) $('params').value = url.get('params');
  const updateTexts = () => {
    $('countText').textContent = (2 ** Number($('count').value)).toLocaleString('en');
    $('spfText').textContent = String(2 ** Number($('spf').value));
    $('trainNote').textContent = GOALS[$('trainEnv').value]?.text ?? 'no goal set for this env: the curve shows what ES finds.';
  };
  updateTexts();
  for (const id of ['count', 'spf', 'trainEnv']) $(id).addEventListener('input', updateTexts);
  $('env').addEventListener('change', safely(rebuild));
  $('count').addEventListener('change', safely(rebuild));
  $('apply').addEventListener('click', safely(rebuild));
  $('backend').addEventListener('change', safely(async () => {
    clearError();
    demo.gpuFallback = '';
    $('gpuNote').textContent = '';
    await setBackend($('backend').value);
    await rebuild();
  }));
  $('train').addEventListener('click', safely(train));
  $('stop').addEventListener('click', () => (stopTraining = true));
  requestAnimationFrame(frame);
  demo.ready = true;
  // Id or params from the URL are user input like any other: a bad one shows its error here.
  if (url.get('env') && !mod.envIds.includes(url.get('env'))) {
    const bad = new Option(url.get('env'), url.get('env'));
    $('env').add(bad);
    $('env').value = url.get('env');
  }
  await rebuild();
  if (url.get('train')) {
    $('trainEnv').value = url.get('train');
    updateTexts();
    await train();
  }
}

safely(main)();
