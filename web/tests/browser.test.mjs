// Browser tests: playwright-core drives Debian's Chromium headless (SwiftShader WebGPU flags of
// ../shared/TOOLCHAIN.md) over the built site (web/dist, from scripts/build-web.sh), served on
// 127.0.0.1 by ./server.mjs. Checks: the demo draws and its steps/s readout moves; training
// reaches its goals; the bench page completes every row with validation passing; bad input shows
// a readable error on the page. Timings are printed (the machine may be loaded: they are noisy).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './server.mjs';
import { decodePng } from './png.mjs';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const OUT = fileURLToPath(new URL('../../target/web-test/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'];

let server;
let browser;

before(async () => {
  assert.ok(existsSync(`${DIST}index.html`), 'web/dist is missing: run scripts/build-web.sh first');
  mkdirSync(OUT, { recursive: true });
  server = await serve(DIST);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A new page that records console errors and uncaught exceptions. */
async function open(path) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1200 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  await page.goto(server.url + path);
  return { page, problems };
}

test('demo: the grid is drawn (screenshot not blank) and the steps/s readout moves', async () => {
  const { page, problems } = await open('index.html?env=CartPole-v1&n=4096');
  await page.waitForFunction(() => window.fusegymDemo?.error || (window.fusegymDemo?.ready && window.fusegymDemo.frames > 20), null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => window.fusegymDemo.error), '');
  const first = await page.evaluate(() => ({ sps: window.fusegymDemo.sps, frames: window.fusegymDemo.frames, text: document.getElementById('sps').textContent }));
  await page.waitForFunction((f) => window.fusegymDemo.frames > f + 20 && window.fusegymDemo.sps > 0, first.frames, { timeout: 30_000 });
  await page.waitForTimeout(700);
  const second = await page.evaluate(() => ({ sps: window.fusegymDemo.sps, frames: window.fusegymDemo.frames, text: document.getElementById('sps').textContent }));
  assert.ok(second.sps > 0 && second.frames > first.frames, JSON.stringify({ first, second }));
  assert.notEqual(second.text, first.text, 'the readout text changes');
  assert.match(second.text, /^[\d.]+ [kMG]? ?while stepping/);
  const png = await page.locator('#grid').screenshot();
  writeFileSync(`${OUT}demo-grid.png`, png);
  const { width, height, rgba } = decodePng(png);
  let ink = 0;
  const colors = new Set();
  for (let p = 0; p < width * height; p++) {
    const [r, g, b] = [rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]];
    if (r + g + b < 600) ink++;
    colors.add((r >> 4) * 256 + (g >> 4) * 16 + (b >> 4));
  }
  assert.ok(ink > 0.01 * width * height, `only ${ink} of ${width * height} pixels drawn`);
  assert.ok(colors.size > 5, `only ${colors.size} colours`);
  // Every env draws (switching through the registry's envs).
  for (const id of await page.evaluate(() => [...document.getElementById('env').options].map((o) => o.value))) {
    await page.selectOption('#env', id);
    const f = await page.evaluate(() => window.fusegymDemo.frames);
    await page.waitForFunction((x) => window.fusegymDemo.frames > x + 3, f);
    assert.equal(await page.evaluate(() => window.fusegymDemo.env), id);
    assert.equal(await page.evaluate(() => window.fusegymDemo.error), '', id);
    writeFileSync(`${OUT}demo-${id}.png`, await page.locator('#grid').screenshot());
  }
  console.log(`demo: ${second.text} (CartPole-v1, 4,096 envs, ${await page.evaluate(() => window.fusegymDemo.backend)} build)`);
  assert.deepEqual(problems, []);
  await page.close();
});

for (const [id, goal] of [['CartPole-v1', 500], ['Acrobot-v1', -100]]) {
  test(`training in the page: ${id} reaches ${goal} well under a minute`, async () => {
    const { page, problems } = await open(`index.html?train=${id}&n=256`);
    await page.waitForFunction(() => window.fusegymDemo?.error || window.fusegymDemo?.training?.done, null, { timeout: 120_000, polling: 250 });
    assert.equal(await page.evaluate(() => window.fusegymDemo.error), '');
    const t = await page.evaluate(() => window.fusegymDemo.training);
    const first = t.history[0].meanReturn;
    const last = t.history[t.history.length - 1].meanReturn;
    console.log(`training ${id} (${t.backend} build): mean return ${first.toFixed(1)} -> ${last.toFixed(1)} in ${t.generations} generations, ` +
      `${t.history[t.history.length - 1].steps.toLocaleString('en')} env steps, ${t.history[t.history.length - 1].seconds.toFixed(2)} s`);
    assert.equal(t.target, goal);
    assert.ok(last > first, 'the return improved');
    assert.equal(t.reached, true, `goal ${goal} not reached: last mean return ${last}`);
    assert.ok(t.seconds < 60, `took ${t.seconds} s`);
    writeFileSync(`${OUT}train-${id}.png`, await page.locator('#curve').screenshot());
    assert.deepEqual(problems, []);
    await page.close();
  });
}

test('bench page: every row completes with validation passing', async () => {
  const { page, problems } = await open('bench.html?n=16384&ms=120&repeats=3');
  await page.waitForFunction(() => window.fusegymBench?.error || window.fusegymBench?.done, null, { timeout: 300_000, polling: 500 });
  const b = await page.evaluate(() => window.fusegymBench);
  assert.equal(b.error, null);
  assert.match(b.userAgent, /Chrome\/\d+/);
  const envIds = await page.evaluate(async () => (await import('./pkg/index.js').then((m) => m.load('baseline'))).envIds);
  for (const id of envIds) {
    for (const backend of ['wasm', 'wasm-simd', 'webgpu-step', 'webgpu-rollout']) {
      assert.ok(b.results.some((r) => r.env === id && r.backend === backend), `${id} ${backend} row missing`);
    }
  }
  // SwiftShader's WebGPU adapter (flags above), shown on the page.
  assert.equal(b.adapter?.architecture, 'swiftshader', JSON.stringify(b.adapter));
  assert.match(await page.locator('#adapter').textContent(), /swiftshader.*; wgpu: .*BrowserWebGpu/);
  assert.ok(b.results.filter((r) => r.backend === 'js').length >= 5, 'plain-JS rows for the five Gymnasium envs');
  for (const r of b.results) {
    assert.equal(r.validated, true, `${r.env} ${r.backend} not validated`);
    assert.ok(r.sps_median > 0, `${r.env} ${r.backend}: no rate`);
    assert.equal(r.num_envs, 16384);
  }
  console.log(`bench (${b.userAgent}; adapter ${JSON.stringify(b.adapter)}):`);
  for (const r of b.results) console.log(`  ${r.env.padEnd(26)} ${r.backend.padEnd(14)} ${(r.sps_median / 1e6).toFixed(2).padStart(8)} M steps/s`);
  const notes = await page.$$eval('#table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent).join(' | ')));
  for (const line of notes.filter((l) => l.includes('webgpu'))) console.log(`  ${line}`);
  // The bare kernel of each build, timed beside that build's CartPole-v1 row and shown on the page.
  assert.deepEqual(b.speedOfLight.map((e) => e.backend), ['wasm', 'wasm-simd']);
  for (const e of b.speedOfLight) {
    assert.ok(e.sps_median > 0 && e.step_fraction > 0, JSON.stringify(e));
    console.log(`  speed of light, ${e.backend} build: ${(e.sps_median / 1e6).toFixed(2)} M steps/s; CartPole-v1 step ${e.step_fraction.toFixed(2)}x of it`);
  }
  assert.match(await page.locator('#sol').textContent(), /wasm-simd build .* steps\/s, CartPole-v1 step [\d.]+x of it/);
  writeFileSync(`${OUT}bench.json`, JSON.stringify(b, null, 1));
  writeFileSync(`${OUT}bench.png`, await page.screenshot({ fullPage: true }));
  assert.deepEqual(problems, []);
  await page.close();
});

test('bad input shows a readable error on the page', async () => {
  const { page, problems } = await open('index.html?env=CartPole-v9');
  await page.waitForFunction(() => window.fusegymDemo?.error, null, { timeout: 30_000 });
  const text = await page.locator('#error').textContent();
  assert.match(text, /unknown environment id "CartPole-v9"; known ids: CartPole-v1, MountainCar-v0/);
  assert.ok(await page.locator('#error').isVisible());
  // A bad parameter typed into the page.
  await page.selectOption('#env', 'CartPole-v1');
  await page.waitForFunction(() => window.fusegymDemo.error === '');
  await page.fill('#params', 'gravity=-1');
  await page.click('#apply');
  await page.waitForFunction(() => window.fusegymDemo.error !== '');
  assert.match(await page.locator('#error').textContent(), /CartPole-v1: parameter gravity = -1 is outside its valid range/);
  await page.fill('#params', 'colour=3');
  await page.click('#apply');
  await page.waitForFunction(() => /colour/.test(window.fusegymDemo.error));
  assert.match(await page.locator('#error').textContent(), /unknown parameter "colour"; its parameters are: gravity, /);
  assert.doesNotMatch(await page.locator('#error').textContent(), /unreachable|RuntimeError|panicked/);
  // The page keeps running with the last good batch.
  const f = await page.evaluate(() => window.fusegymDemo.frames);
  await page.waitForFunction((x) => window.fusegymDemo.frames > x + 3, f);
  assert.deepEqual(problems, []);
  await page.close();
});

test('demo on WebGPU: the switch steps and draws on the GPU', async () => {
  const { page, problems } = await open('index.html?env=Acrobot-v1&n=4096&backend=webgpu');
  await page.waitForFunction(() => window.fusegymDemo?.error || (window.fusegymDemo?.ready && window.fusegymDemo.frames > 10), null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => window.fusegymDemo.error), '');
  assert.equal(await page.evaluate(() => window.fusegymDemo.backend), 'webgpu');
  assert.equal(await page.evaluate(() => window.fusegymDemo.gpuFallback), '');
  assert.equal(await page.locator('#backend').inputValue(), 'webgpu');
  const f = await page.evaluate(() => window.fusegymDemo.frames);
  await page.waitForFunction((x) => window.fusegymDemo.frames > x + 10 && window.fusegymDemo.sps > 0, f, { timeout: 60_000 });
  const png = await page.locator('#grid').screenshot();
  writeFileSync(`${OUT}demo-webgpu-Acrobot-v1.png`, png);
  const { width, height, rgba } = decodePng(png);
  let ink = 0;
  for (let p = 0; p < width * height; p++) if (rgba[4 * p] + rgba[4 * p + 1] + rgba[4 * p + 2] < 600) ink++;
  assert.ok(ink > 0.01 * width * height, `only ${ink} of ${width * height} pixels drawn`);
  // Two screenshots apart differ: the envs move.
  await page.waitForTimeout(500);
  const later = await page.locator('#grid').screenshot();
  assert.ok(!png.equals(later), 'the WebGPU grid does not move');
  // Switching back to wasm and to WebGPU again keeps stepping.
  await page.selectOption('#backend', 'simd');
  await page.waitForFunction(() => window.fusegymDemo.backend === 'simd');
  await page.selectOption('#backend', 'webgpu');
  await page.waitForFunction(() => window.fusegymDemo.backend === 'webgpu');
  const g = await page.evaluate(() => window.fusegymDemo.frames);
  await page.waitForFunction((x) => window.fusegymDemo.frames > x + 5, g, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => window.fusegymDemo.error), '');
  console.log(`demo on WebGPU: ${await page.locator('#sps').textContent()} (Acrobot-v1, 4,096 envs, ${await page.locator('#backendInfo').textContent()})`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('training on WebGPU: CartPole-v1 reaches 500', async () => {
  const { page, problems } = await open('index.html?backend=webgpu&train=CartPole-v1&n=256');
  await page.waitForFunction(() => window.fusegymDemo?.error || window.fusegymDemo?.training?.done, null, { timeout: 180_000, polling: 250 });
  assert.equal(await page.evaluate(() => window.fusegymDemo.error), '');
  const t = await page.evaluate(() => window.fusegymDemo.training);
  assert.equal(t.backend, 'webgpu');
  const first = t.history[0].meanReturn;
  const last = t.history[t.history.length - 1];
  console.log(`training CartPole-v1 on WebGPU: mean return ${first.toFixed(1)} -> ${last.meanReturn.toFixed(1)} in ${t.generations} generations, ` +
    `${last.steps.toLocaleString('en')} env steps, ${last.seconds.toFixed(2)} s`);
  assert.equal(t.reached, true, `goal not reached: last mean return ${last.meanReturn}`);
  assert.ok(last.meanReturn > first, 'the return improved');
  writeFileSync(`${OUT}train-webgpu-CartPole-v1.png`, await page.locator('#curve').screenshot());
  assert.deepEqual(problems, []);
  await page.close();
});

test('GpuVecEnv.rollout({record: true}): the trajectory agrees with the wasm one; too large is an Error', async () => {
  // Same seed, time limit and constant policy on the GPU and on wasm: every recorded flag equal,
  // observations and rewards within docs/parity.md's GPU tolerance compounded over the steps
  // (SwiftShader is bit-identical here in practice; the count is printed), statistics equal.
  const { page, problems } = await open('index.html?env=CartPole-v1&n=16');
  const r = await page.evaluate(async () => {
    const m = await import('./pkg/index.js');
    const mod = await m.load('simd');
    const out = [];
    for (const [id, action] of [['CartPole-v1', 1], ['Pendulum-v1', 0.5]]) {
      const n = 64;
      const steps = 60;
      const opts = { seed: 3, maxEpisodeSteps: 25, module: mod };
      const gpu = await m.GpuVecEnv.create(id, n, opts);
      const cpu = new mod.VecEnv(id, n, opts);
      const policy = { type: 'constant', action };
      const g = await gpu.rollout({ steps, policy, record: true });
      const c = cpu.rollout({ steps, policy, record: true });
      let worst = 0;
      let identical = 0;
      const close = (x, y) => {
        const e = Math.abs(x - y) / Math.max(1, Math.abs(y));
        worst = Math.max(worst, e);
        if (x === y) identical++;
      };
      g.trajectory.obs.forEach((x, k) => close(x, c.trajectory.obs[k]));
      g.trajectory.rewards.forEach((x, k) => close(x, c.trajectory.rewards[k]));
      const flagsEqual = ['terminated', 'truncated'].every((f) => g.trajectory[f].every((x, k) => x === c.trajectory[f][k]));
      // Before the next rollouts: the statistics are views the next rollout overwrites.
      const episodesEqual = g.episodes.every((x, i) => x === c.episodes[i]) && g.lengthSum.every((x, i) => x === c.lengthSum[i]);
      let error = '';
      try {
        await gpu.rollout({ steps: 1e9, record: true });
      } catch (e) {
        error = e.message;
      }
      // Still usable after the error.
      const after = await gpu.rollout({ steps: 2, record: true });
      out.push({
        id,
        lengths: [g.trajectory.obs.length, g.trajectory.rewards.length, g.trajectory.terminated.length, g.trajectory.truncated.length],
        want: [steps * gpu.obsDim * n, steps * n, steps * n, steps * n],
        actions: g.trajectory.actions,
        ends: g.trajectory.terminated.reduce((s, x) => s + x, 0) + g.trajectory.truncated.reduce((s, x) => s + x, 0),
        flagsEqual,
        worst,
        identical,
        total: g.trajectory.obs.length + g.trajectory.rewards.length,
        episodesEqual,
        error,
        after: after.trajectory.rewards.length,
      });
      gpu.free();
      cpu.free();
    }
    return out;
  });
  for (const x of r) {
    assert.deepEqual(x.lengths, x.want, x.id);
    assert.equal(x.actions, null, x.id);
    assert.ok(x.ends > 0, `${x.id}: no episode ended`);
    assert.ok(x.flagsEqual, `${x.id}: flags differ`);
    assert.ok(x.worst <= 1e-4, `${x.id}: worst relative difference ${x.worst}`);
    assert.ok(x.episodesEqual, `${x.id}: episode counts differ`);
    assert.match(x.error, /^rollout record: 1000000000 steps x 64 envs need \d+ bytes .*limit of 4294967296 bytes \(4 GiB\)/, x.id);
    assert.equal(x.after, 2 * 64, x.id);
    console.log(`GpuVecEnv recorded rollout ${x.id}: ${x.identical} of ${x.total} numbers bit-identical to wasm, worst ${x.worst.toExponential(2)} relative`);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('GpuVecEnv: requestAdapter resolving null rejects; held views show the latest results; a shared worker settles create', async () => {
  const { page, problems } = await open('index.html?env=CartPole-v1&n=16');
  const r = await page.evaluate(async () => {
    const m = await import('./pkg/index.js');
    const mod = await m.load('simd');
    const out = {};
    // An adapter request that resolves null (a blocklisted GPU), before this instance has a device.
    navigator.gpu.requestAdapter = async () => null;
    out.none = await m.GpuVecEnv.create('CartPole-v1', 16, { module: mod }).then(() => 'created', (e) => e.message);
    delete navigator.gpu.requestAdapter;
    const n = 64;
    const gpu = await m.GpuVecEnv.create('CartPole-v1', n, { seed: 4, module: mod });
    const first = await gpu.rollout({ steps: 3 });
    const second = await gpu.rollout({ steps: 7, policy: { type: 'constant', action: 0 } });
    out.second = Array.from(second.rewardSum);
    out.first = Array.from(first.rewardSum);
    const s1 = await gpu.readState();
    await gpu.step(new Uint32Array(n));
    const s2 = await gpu.readState();
    out.elapsedHeld = Array.from(s1.elapsed);
    out.elapsedNew = Array.from(s2.elapsed);
    gpu.free();
    // A shared worker: a scope of its own (WorkerGlobalScope, no Window), where create must settle.
    const code = `onconnect = async (ev) => {
      const m = await import(${JSON.stringify(new URL('./pkg/index.js', location.href).href)});
      const out = { gpu: !!navigator.gpu, supported: m.webgpuSupported() };
      try {
        const g = await m.GpuVecEnv.create('CartPole-v1', 16);
        await g.step(new Uint32Array(16));
        out.result = 'created';
        g.free();
      } catch (e) {
        out.result = e.message;
      }
      ev.ports[0].postMessage(out);
    };`;
    const worker = new SharedWorker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })), { type: 'module' });
    out.shared = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ result: 'no answer within 30 s' }), 30_000);
      worker.port.onmessage = (e) => { clearTimeout(timer); resolve(e.data); };
      worker.onerror = (e) => { clearTimeout(timer); resolve({ result: `worker error: ${e.message}` }); };
      worker.port.start();
    });
    return out;
  });
  assert.match(r.none, /^no WebGPU adapter: navigator\.gpu\.requestAdapter\(\) resolved null/);
  assert.ok(r.second.every((x) => x === 7), 'CartPole pays 1 per step');
  assert.deepEqual(r.first, r.second, 'a held lastRollout view shows the last rollout');
  assert.ok(r.elapsedNew.some((x, i) => x !== 0), 'the step moved the counters');
  assert.deepEqual(r.elapsedHeld, r.elapsedNew, 'a held readState view shows the last readState');
  console.log(`GpuVecEnv.create in a shared worker (navigator.gpu ${r.shared.gpu ? 'present' : 'absent'}): ${r.shared.result}`);
  assert.equal(r.shared.supported, r.shared.gpu, 'a worker scope is one wgpu reaches navigator.gpu from');
  assert.match(r.shared.result, /^(created|no WebGPU adapter: .*)$/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('WebGPU asked for where there is none: the page says so and runs on wasm', async () => {
  const { page, problems } = await open('index.html?env=CartPole-v1&n=1024&backend=webgpu&nogpu=1');
  await page.waitForFunction(() => window.fusegymDemo?.ready && window.fusegymDemo.frames > 5, null, { timeout: 30_000 });
  const note = page.locator('#gpuNote');
  assert.ok(await note.isVisible());
  assert.match(await note.textContent(), /^WebGPU is unavailable, running on wasm SIMD instead: this browser has no navigator\.gpu/);
  assert.equal(await page.evaluate(() => window.fusegymDemo.backend), 'simd');
  assert.equal(await page.locator('#backend').inputValue(), 'simd');
  assert.equal(await page.locator('#gpuOption').isDisabled(), true);
  // The package's own error for the same case.
  const msg = await page.evaluate(() => import('./pkg/index.js').then((m) => m.GpuVecEnv.create('CartPole-v1', 16)).then(() => 'created', (e) => e.message));
  assert.match(msg, /^no WebGPU adapter: this JavaScript environment has no navigator\.gpu/);
  // The bench page without WebGPU: its WebGPU rows say why, unvalidated and untimed.
  const b = await open('bench.html?n=1024&ms=20&repeats=1&env=CartPole-v1&nogpu=1');
  await b.page.waitForFunction(() => window.fusegymBench?.error || window.fusegymBench?.done, null, { timeout: 60_000 });
  const r = await b.page.evaluate(() => window.fusegymBench);
  assert.equal(r.error, null);
  for (const backend of ['webgpu-step', 'webgpu-rollout']) {
    const row = r.results.find((x) => x.backend === backend);
    assert.equal(row?.validated, false, backend);
    assert.match(row.unavailable, /^WebGPU unavailable: navigator\.gpu is not available/);
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(b.problems, []);
  await b.page.close();
  await page.close();
});
