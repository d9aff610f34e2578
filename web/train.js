// Evolution strategies over linear policies, scored by fusegym rollouts: one candidate policy
// per env, every candidate of a generation stepped in one `rollout` call with per-env weights.
// Used by index.html (in the page) and by web/tests/train.test.mjs (in node). No environment
// logic here: the envs, their spaces and their time limits come from the package.

/** A small deterministic PRNG: a 32-bit LCG whose output goes through an integer hash; `normal()` by Box-Muller. */
export function rng(seed) {
  let s = (seed >>> 0) ^ 0x9e3779b9;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
    z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = Math.max(next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
  return { next, normal };
}

/** Default settings; `sigma` and `lr` are in parameter units (observations are O(1) here). */
export const DEFAULTS = { pairs: 32, episodes: 2, sigma: 0.1, lr: 0.05, evalEnvs: 64, seed: 1 };

/**
 * A trainer for env `id` on module `mod` (from fusegym's `init`/`load`). `generation()` runs one
 * ES generation and returns its statistics; `policy()` the current mean policy.
 */
export function createTrainer(mod, id, options = {}) {
  const o = { ...DEFAULTS, ...options };
  const es = makeEs(mod, id, o);
  const pop = new mod.VecEnv(id, es.n, { seed: o.seed, autoreset: 'disabled' });
  const evalEnv = new mod.VecEnv(id, o.evalEnvs, { seed: o.seed + 1_000_003, autoreset: 'disabled' });
  // The generation's calls on the envs, made synchronously.
  const drive = (co) => {
    let r = co.next();
    while (!r.done) r = co.next(r.value.env[r.value.call](r.value.arg));
    return r.value;
  };
  return es.trainer(() => drive(es.generation(pop, evalEnv)), () => {
    pop.free();
    evalEnv.free();
  });
}

/**
 * The same trainer on the GPU: every candidate scored by a `rollout` on a `GpuVecEnv` (class
 * `Gpu`, from the package) with per-env linear weights. Resolves to a trainer whose
 * `generation()` returns a Promise.
 */
export async function createGpuTrainer(Gpu, mod, id, options = {}) {
  const o = { ...DEFAULTS, ...options };
  const es = makeEs(mod, id, o);
  const pop = await Gpu.create(id, es.n, { seed: o.seed, autoreset: 'disabled', module: mod });
  let evalEnv;
  try {
    evalEnv = await Gpu.create(id, o.evalEnvs, { seed: o.seed + 1_000_003, autoreset: 'disabled', module: mod });
  } catch (e) {
    pop.free();
    throw e;
  }
  const drive = async (co) => {
    let r = co.next();
    while (!r.done) r = co.next(await r.value.env[r.value.call](r.value.arg));
    return r.value;
  };
  return es.trainer(() => drive(es.generation(pop, evalEnv)), () => {
    pop.free();
    evalEnv.free();
  });
}

/**
 * The ES itself, independent of where the envs run: `generation(pop, evalEnv)` is a generator
 * that yields each call it needs on an env ({env, call: 'reset' | 'rollout', arg}) and takes
 * the call's result back, so one driver runs it synchronously (wasm) and another awaits each
 * call (WebGPU).
 */
function makeEs(mod, id, o) {
  const info = mod.envs.find((e) => e.id === id);
  if (!info) throw new Error(`unknown env ${id}`);
  const od = info.observation.shape[0];
  const outputs = info.action.type === 'discrete' ? info.action.n : info.action.shape[0];
  const nw = outputs * od;
  const dim = nw + outputs;
  const candidates = 2 * o.pairs;
  const n = candidates * o.episodes;
  const horizon = info.maxEpisodeSteps > 0 ? info.maxEpisodeSteps : 1000;
  // Disabled autoreset: each env plays exactly one episode per generation, so its reward sum is
  // that episode's return.
  const weights = new Float32Array(nw * n);
  const bias = new Float32Array(outputs * n);
  const theta = new Float64Array(dim);
  const m = new Float64Array(dim);
  const v = new Float64Array(dim);
  const noise = new Float64Array(o.pairs * dim);
  const r = rng(o.seed);
  let gen = 0;
  let steps = 0;

  /** Plays every env of `env` to the end of one episode (or `horizon`), returns the returns. */
  function* play(env, policy) {
    const k = env.numEnvs;
    const total = new Float64Array(k);
    for (let t = 0; t < horizon; t += 100) {
      const s = yield { env, call: 'rollout', arg: { steps: Math.min(100, horizon - t), policy } };
      for (let i = 0; i < k; i++) total[i] += s.rewardSum[i];
      steps += k * Math.min(100, horizon - t);
      let all = true;
      const term = env.terminated;
      const trunc = env.truncated;
      for (let i = 0; i < k && all; i++) all = (term[i] | trunc[i]) === 1;
      if (all) break;
    }
    return total;
  }

  function candidate(c) {
    const pair = c >> 1;
    const sign = c & 1 ? -1 : 1;
    return (j) => theta[j] + sign * o.sigma * noise[pair * dim + j];
  }

  function policy() {
    return { type: 'linear', weights: Float32Array.from(theta.subarray(0, nw)), bias: Float32Array.from(theta.subarray(nw)) };
  }

  function* generation(pop, evalEnv) {
    for (let k = 0; k < noise.length; k++) noise[k] = r.normal();
    // Env e plays candidate e % candidates: weights are feature-major [outputs][obsDim][numEnvs].
    for (let c = 0; c < candidates; c++) {
      const p = candidate(c);
      for (let e = c; e < n; e += candidates) {
        for (let j = 0; j < nw; j++) weights[j * n + e] = p(j);
        for (let j = 0; j < outputs; j++) bias[j * n + e] = p(nw + j);
      }
    }
    yield { env: pop, call: 'reset', arg: { seed: o.seed * 7919 + gen } };
    const returns = yield* play(pop, { type: 'linear', weights, bias });
    const fitness = new Float64Array(candidates);
    for (let e = 0; e < n; e++) fitness[e % candidates] += returns[e] / o.episodes;
    // Centered ranks in [-0.5, 0.5]: invariant to the reward's scale.
    const order = [...fitness.keys()].sort((a, b) => fitness[a] - fitness[b]);
    const rank = new Float64Array(candidates);
    order.forEach((c, i) => (rank[c] = i / (candidates - 1) - 0.5));
    const grad = new Float64Array(dim);
    for (let p = 0; p < o.pairs; p++) {
      const d = rank[2 * p] - rank[2 * p + 1];
      for (let j = 0; j < dim; j++) grad[j] += d * noise[p * dim + j];
    }
    // Adam ascent on the ES gradient estimate.
    gen++;
    const b1 = 0.9;
    const b2 = 0.999;
    for (let j = 0; j < dim; j++) {
      const g = grad[j] / (o.pairs * o.sigma);
      m[j] = b1 * m[j] + (1 - b1) * g;
      v[j] = b2 * v[j] + (1 - b2) * g * g;
      theta[j] += (o.lr * (m[j] / (1 - b1 ** gen))) / (Math.sqrt(v[j] / (1 - b2 ** gen)) + 1e-8);
    }
    yield { env: evalEnv, call: 'reset', arg: { seed: o.seed * 104729 + gen } };
    const evalReturns = yield* play(evalEnv, policy());
    let mean = 0;
    for (const x of evalReturns) mean += x / evalReturns.length;
    let best = -Infinity;
    let popMean = 0;
    for (const f of fitness) {
      best = Math.max(best, f);
      popMean += f / candidates;
    }
    return { generation: gen, meanReturn: mean, minReturn: Math.min(...evalReturns), bestCandidate: best, populationMean: popMean, steps };
  }

  function trainer(runGeneration, free) {
    return {
      id,
      numEnvs: n,
      generation: runGeneration,
      policy,
      get steps() {
        return steps;
      },
      free,
    };
  }

  return { n, generation, trainer };
}
