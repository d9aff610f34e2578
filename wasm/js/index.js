// fusegym for JavaScript: the public layer over the wasm-bindgen exports of wasm/src/lib.rs.
//
// This file holds no environment logic: it loads one of the two wasm builds, checks argument
// types and shapes (the core checks every value), and hands out typed-array views over wasm
// memory. The documented API is index.d.ts; README.md has an example.

/** A minimal module whose one function returns a v128 constant: valid only where simd128 is. */
const SIMD_PROBE = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: one type, () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, // code section: one body of 20 bytes, no locals
  0xfd, 0x0c, ...new Array(16).fill(0), // v128.const 0
  0x0b, // end
);

/** Whether this JavaScript engine runs wasm simd128 (`WebAssembly.validate` of a tiny SIMD module). */
export function simdSupported() {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

const FLAVORS = ['simd', 'baseline'];
const loading = new Map();
let current = null;

const isNode = typeof process === 'object' && process !== null && typeof process.versions === 'object' && !!process.versions.node;

async function instantiate(flavor) {
  const glue = flavor === 'simd' ? await import('./simd/fusegym_wasm.js') : await import('./baseline/fusegym_wasm.js');
  const url = new URL(`./${flavor}/fusegym_wasm_bg.wasm`, import.meta.url);
  let source = url;
  if (isNode && url.protocol === 'file:') {
    const fs = await import('node:fs/promises');
    source = await fs.readFile(url);
  }
  const exports = await glue.default({ module_or_path: source });
  return makeModule(flavor, glue, exports.memory);
}

/**
 * Loads one build ("simd", "baseline", or "auto": simd when `simdSupported()`) and returns its
 * module object. Each build is instantiated once; loading both gives two independent instances.
 */
export function load(flavor = 'auto') {
  if (flavor === 'auto') flavor = simdSupported() ? 'simd' : 'baseline';
  if (!FLAVORS.includes(flavor)) {
    return Promise.reject(new Error(`unknown build ${JSON.stringify(flavor)}; expected "auto", "simd" or "baseline"`));
  }
  if (flavor === 'simd' && !simdSupported()) {
    return Promise.reject(new Error('the simd build needs WebAssembly simd128, which this engine does not support; load "baseline" (or "auto")'));
  }
  if (!loading.has(flavor)) {
    const p = instantiate(flavor);
    p.catch(() => loading.delete(flavor));
    loading.set(flavor, p);
  }
  return loading.get(flavor);
}

/** Loads a build (default "auto") and makes it the one `new VecEnv(...)` and `envs()` use. */
export async function init(options = {}) {
  current = await load(options.flavor ?? 'auto');
  return current;
}

function defaultModule() {
  if (current === null) throw new Error('fusegym is not initialised: call `await init()` before creating a VecEnv');
  return current;
}

/** The registry of the default module: one description per environment (see index.d.ts). */
export function envs() {
  return defaultModule().envs;
}

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an Array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${v.length}`;
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'Object'})`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

function toSeed(seed) {
  if (seed === undefined) return 0n;
  if (typeof seed === 'bigint' && seed >= 0n && seed < 1n << 64n) return seed;
  if (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0) return BigInt(seed);
  throw new Error(`seed must be a non-negative integer (a number up to 2^53 - 1, or a BigInt below 2^64); got ${describe(seed)}`);
}

/**
 * A JS number as the index of an env of a batch of `n`. Checked here, never wrapped: passed on as
 * a `usize`, wasm-bindgen would turn 2**32 + 5 into 5 (the raw exports check again).
 */
function toIndex(what, i, n) {
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0) {
    throw new Error(`${what}: env index must be an integer in 0..${n - 1}, got ${describe(i)}`);
  }
  if (i >= n) throw new Error(`${what}: env index ${i} is out of range for a batch of ${n} (0..${n - 1})`);
  return i;
}

/** `x` unless it is finite and f32 would round it to an infinity (the core would then name "inf", not `x`). */
function checkF32(what, x) {
  if (Number.isFinite(x) && !Number.isFinite(Math.fround(x))) {
    throw new Error(`${what}: ${x} is outside f32's range (finite values up to +-3.4028234663852886e38)`);
  }
  return x;
}

function isArrayLikeOfNumbers(v) {
  return (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) && typeof v.length === 'number';
}

function toF32(what, v, expectedLength) {
  if (!isArrayLikeOfNumbers(v)) {
    const count = expectedLength === undefined ? '' : `${expectedLength} `;
    throw new Error(`${what}: expected an array or typed array of ${count}numbers, got ${describe(v)}`);
  }
  if (expectedLength !== undefined && v.length !== expectedLength) {
    throw new Error(`${what}: expected ${expectedLength} values, got ${v.length}`);
  }
  if (Array.isArray(v)) {
    const bad = v.findIndex((x) => typeof x !== 'number');
    if (bad >= 0) throw new Error(`${what}: value at index ${bad} is ${describe(v[bad])}, expected a number`);
  }
  if (typeof v[0] === 'bigint') throw new Error(`${what}: expected numbers, got ${describe(v)}`);
  if (v instanceof Float32Array) return v;
  const f = Float32Array.from(v);
  for (let i = 0; i < f.length; i++) {
    if (!Number.isFinite(f[i]) && Number.isFinite(v[i])) checkF32(`${what}: value at index ${i}`, v[i]);
  }
  return f;
}

const OPTIONS = ['seed', 'autoreset', 'params', 'redrawEachEpisode', 'maxEpisodeSteps', 'module'];

/**
 * Checks the options of a batch (`VecEnv` or `GpuVecEnv`) and fills a RawConfig with them;
 * the caller frees it. Must run inside `api.guard`.
 */
function makeConfig(api, id, numEnvs, options) {
  if (typeof numEnvs !== 'number') throw new Error(`numEnvs must be a positive integer, got ${describe(numEnvs)}`);
  const seed = toSeed(options.seed);
  const autoreset = options.autoreset ?? 'same-step';
  if (typeof autoreset !== 'string') throw new Error(`autoreset must be "same-step", "next-step" or "disabled", got ${describe(autoreset)}`);
  const params = options.params ?? {};
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new Error(`params must be an object mapping parameter names to values, got ${describe(params)}`);
  }
  const cfg = new api.glue.RawConfig(id, numEnvs, seed, autoreset);
  try {
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === 'number') {
        cfg.shared(name, checkF32(`${id}: parameter ${name}`, value));
      } else if (isArrayLikeOfNumbers(value)) {
        cfg.per_env(name, toF32(`${id}: per-env values of parameter ${name} (one per env)`, value, numEnvs));
      } else if (value !== null && typeof value === 'object' && typeof value.low === 'number' && typeof value.high === 'number') {
        cfg.range(name, checkF32(`${id}: parameter ${name} low`, value.low), checkF32(`${id}: parameter ${name} high`, value.high));
      } else {
        throw new Error(`${id}: parameter ${name}: expected a number (shared by every env), an array of ${numEnvs} numbers ` +
          `(one per env) or {low, high} (drawn per env), got ${describe(value)}`);
      }
    }
    if (options.redrawEachEpisode !== undefined) {
      if (typeof options.redrawEachEpisode !== 'boolean') throw new Error(`redrawEachEpisode must be a boolean, got ${describe(options.redrawEachEpisode)}`);
      cfg.redraw_each_episode(options.redrawEachEpisode);
    }
    if (options.maxEpisodeSteps !== undefined) {
      const m = options.maxEpisodeSteps;
      if (!Number.isInteger(m) || m < 0 || m > 0xffffffff) throw new Error(`maxEpisodeSteps must be an integer >= 0 (0 = no limit), got ${describe(m)}`);
      cfg.max_episode_steps(m);
    }
    return cfg;
  } catch (e) {
    cfg.free();
    throw e;
  }
}

/** Checks `options` of a batch constructor: an object with known keys only. */
function checkOptions(what, options) {
  if (options === null || typeof options !== 'object') throw new Error(`${what} options must be an object, got ${describe(options)}`);
  const unknown = Object.keys(options).filter((k) => !OPTIONS.includes(k));
  if (unknown.length) throw new Error(`unknown ${what} option ${JSON.stringify(unknown[0])}; the options are: ${OPTIONS.join(', ')}`);
}

/** Whether a rollout's options ask for its trajectory (`record: true`); checks the type. */
function wantsRecord(options) {
  const record = options?.record ?? false;
  if (typeof record !== 'boolean') throw new Error(`rollout: record must be a boolean, got ${describe(record)}`);
  return record;
}

/**
 * Validates a rollout's `{steps, policy, record}` and starts it on `raw` (a RawVecEnv or
 * RawGpuVecEnv: same method names), writing a linear policy's numbers into the batch's buffers
 * first. Returns what the raw call returns (nothing, or a Promise on the GPU). Must run inside
 * `api.guard`.
 */
function startRollout(api, raw, id, actionDim, options) {
  if (options === null || typeof options !== 'object') throw new Error(`rollout expects {steps, policy}, got ${describe(options)}`);
  const { steps, policy = 'random' } = options;
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`rollout: steps must be a non-negative integer, got ${describe(steps)}`);
  const record = wantsRecord(options);
  const type = typeof policy === 'string' ? policy : policy?.type;
  if (type === 'random') return raw.rollout_random(steps, record);
  if (type === 'constant') {
    const a = toF32(`${id}: constant policy action`, typeof policy.action === 'number' ? [policy.action] : policy.action, actionDim);
    // A VecEnv takes the action in a buffer allocated with the batch (no array crosses into wasm,
    // whose copy would be allocated infallibly); a GpuVecEnv keeps its own copy until the rollout runs.
    if (typeof raw.constant_action_ptr !== 'function') return raw.rollout_constant(steps, a, record);
    new Float32Array(api.memory.buffer, raw.constant_action_ptr(), actionDim).set(a);
    return raw.rollout_constant(steps, record);
  }
  if (type === 'linear') {
    const w = toF32(`${id}: linear policy weights`, policy.weights);
    const b = toF32(`${id}: linear policy bias`, policy.bias);
    raw.prepare_linear(w.length, b.length);
    const buf = api.memory.buffer;
    new Float32Array(buf, raw.weights_ptr(), w.length).set(w);
    new Float32Array(buf, raw.bias_ptr(), b.length).set(b);
    return raw.rollout_linear(steps, record);
  }
  throw new Error(`rollout: unknown policy ${describe(policy)}; expected "random", {type: "constant", action} or {type: "linear", weights, bias}`);
}

/**
 * Copies the trajectory `raw` recorded in its last rollout out of wasm memory (into the JS heap:
 * it can be large, and the next rollout replaces it) and frees it there. `null` actions: the GPU
 * does not record them. Must run inside `api.guard`.
 */
function takeTrajectory(api, raw) {
  const [obs, actions, rewards, terminated, truncated, obsLen, actionsLen, len] = raw.trajectory_ptrs();
  const buf = api.memory.buffer;
  const t = {
    obs: new Float32Array(buf, obs, obsLen).slice(),
    actions: actions === 0 ? null : new Float32Array(buf, actions, actionsLen).slice(),
    rewards: new Float32Array(buf, rewards, len).slice(),
    terminated: new Uint8Array(buf, terminated, len).slice(),
    truncated: new Uint8Array(buf, truncated, len).slice(),
  };
  raw.drop_trajectory();
  return t;
}

/**
 * Checks step actions against the space and copies them into the batch's action buffer `views`
 * ({u32, i32, f32} over the same bytes); returns which type to step with.
 */
function writeActions(id, actions, discrete, actionDim, n, space, views) {
  let kind = discrete ? 'u32' : 'f32';
  if (actions === undefined) return kind;
  const len = actionDim * n;
  const spaceText = discrete ? `Discrete(${space.n})` : `Box(shape [${actionDim}])`;
  if (discrete) {
    if (actions instanceof Int32Array) kind = 'i32';
    else if (!(actions instanceof Uint32Array)) {
      throw new Error(`${id}: actions must be an Int32Array or Uint32Array (the action space is ${spaceText}), got ${describe(actions)}`);
    }
  } else if (!(actions instanceof Float32Array)) {
    throw new Error(`${id}: actions must be a Float32Array (the action space is ${spaceText}), got ${describe(actions)}`);
  }
  if (actions.length !== len) {
    throw new Error(`${id}: step expects ${len} actions (${actionDim} per env x ${n} envs, feature-major), got ${actions.length}`);
  }
  (kind === 'i32' ? views.i32 : kind === 'u32' ? views.u32 : views.f32).set(actions);
  return kind;
}

function makeModule(flavor, glue, memory) {
  const api = { flavor, glue, memory, poisoned: null, pending: new Set(), gpuAdapterSeen: false };
  const stopped = (why) => `fusegym: the ${flavor} wasm instance stopped (${why}). This is a bug in fusegym, not in ` +
    'your input; reload the page (or load() a fresh instance) to continue.';
  /** Runs `f`; a wasm trap (a fusegym bug, never bad input) becomes a readable Error. */
  api.guard = (f) => {
    if (api.poisoned) throw new Error(api.poisoned);
    try {
      return f();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        let panic = null;
        try {
          panic = glue.last_panic();
        } catch {
          // The instance may be unusable; the trap's own message is reported instead.
        }
        api.poisoned ??= stopped(panic ?? e.message);
        throw new Error(api.poisoned, { cause: e });
      }
      throw e;
    }
  };
  /**
   * `p` (a promise of the instance), settled: a panic inside an asynchronous call traps in a
   * microtask, where no caller sees it and `p` never settles; the panic listener below rejects
   * every promise still pending here instead.
   */
  api.settle = (p) => new Promise((resolve, reject) => {
    if (api.poisoned) {
      reject(new Error(api.poisoned));
      return;
    }
    api.pending.add(reject);
    Promise.resolve(p).then(resolve, reject).finally(() => api.pending.delete(reject));
  });
  glue.set_panic_listener((message) => {
    api.poisoned ??= stopped(message);
    for (const reject of api.pending) reject(new Error(api.poisoned));
    api.pending.clear();
  });
  const registry = glue.envs();
  const mod = {
    flavor,
    simd128: glue.built_with_simd128(),
    simdPath: glue.best_simd_path(),
    webgpu: typeof glue.built_with_webgpu === 'function' && glue.built_with_webgpu(),
    version: glue.version(),
    envs: registry,
    envIds: registry.map((e) => e.id),
    memory,
  };
  /**
   * The bare CartPole kernel of `wasm/src/speed_of_light.rs` (physics only: no RNG, resets,
   * counters or observation copies) over `numEnvs` envs, for judging `step` against in the same
   * engine: `run(steps)` advances every env `steps` steps.
   */
  mod.bareCartPole = (numEnvs) => {
    if (!Number.isSafeInteger(numEnvs) || numEnvs < 4 || numEnvs > 1 << 24) {
      throw new Error(`bareCartPole: numEnvs must be an integer from 4 to 16777216, got ${numEnvs}`);
    }
    let raw = api.guard(() => new glue.BareCartPole(numEnvs));
    return Object.freeze({
      numEnvs,
      run: (steps) => {
        if (raw === null) throw new Error('bareCartPole: run() after free()');
        if (!Number.isSafeInteger(steps) || steps < 0 || steps > 0xffffffff) {
          throw new Error(`bareCartPole: steps must be an integer from 0 to 4294967295, got ${steps}`);
        }
        return api.guard(() => raw.run(steps));
      },
      free: () => {
        raw?.free();
        raw = null;
      },
    });
  };
  mod.VecEnv = class extends VecEnv {
    constructor(id, numEnvs, options = {}) {
      super(id, numEnvs, { ...options, module: mod });
    }
  };
  Object.defineProperty(mod, '_api', { value: api, enumerable: false });
  return Object.freeze(mod);
}

/**
 * A batch of `numEnvs` copies of one environment, stepped together in wasm. See index.d.ts for
 * the full contract (layouts, views, memory growth, free()).
 */
export class VecEnv {
  #api;
  #raw;
  #id;
  #n;
  #obsDim;
  #stateDim;
  #actionDim;
  #discrete;
  #spaces;
  #ptr;
  #buffer = null;
  #views = null;

  constructor(id, numEnvs, options = {}) {
    checkOptions('VecEnv', options);
    const mod = options.module ?? defaultModule();
    const api = mod._api;
    if (!api) throw new Error('options.module must be a module returned by load() or init()');
    if (typeof id !== 'string') throw new Error(`env id must be a string (one of ${mod.envIds.join(', ')}), got ${describe(id)}`);
    this.#api = api;
    this.#raw = api.guard(() => {
      const cfg = makeConfig(api, id, numEnvs, options);
      try {
        return new api.glue.RawVecEnv(cfg);
      } finally {
        cfg.free();
      }
    });
    const raw = this.#raw;
    this.#id = raw.id();
    this.#n = raw.num_envs();
    this.#obsDim = raw.obs_dim();
    this.#stateDim = raw.state_dim();
    this.#actionDim = raw.action_dim();
    const info = raw.info();
    const action = raw.action_space();
    this.#discrete = action.type === 'discrete';
    this.#spaces = Object.freeze({ observation: info.observation, action });
    this.#ptr = {
      obs: raw.obs_ptr(),
      reward: raw.reward_ptr(),
      terminated: raw.terminated_ptr(),
      truncated: raw.truncated_ptr(),
      state: raw.state_ptr(),
      episodes: raw.episodes_ptr(),
      actions: raw.actions_ptr(),
      mask: raw.mask_ptr(),
      stateIn: raw.state_in_ptr(),
    };
    this.info = info;
  }

  #live() {
    if (this.#raw === null) throw new Error(`this VecEnv (${this.#id}) was freed with free(); create a new one`);
    return this.#raw;
  }

  /** The views, rebuilt when wasm memory has grown (growth replaces `memory.buffer`). */
  #v() {
    this.#live();
    const buf = this.#api.memory.buffer;
    if (this.#buffer !== buf || this.#views === null) {
      const n = this.#n;
      const p = this.#ptr;
      this.#views = {
        obs: new Float32Array(buf, p.obs, this.#obsDim * n),
        reward: new Float32Array(buf, p.reward, n),
        terminated: new Uint8Array(buf, p.terminated, n),
        truncated: new Uint8Array(buf, p.truncated, n),
        state: new Float32Array(buf, p.state, this.#stateDim * n),
        episodes: new Uint32Array(buf, p.episodes, n),
        actionsU32: new Uint32Array(buf, p.actions, this.#actionDim * n),
        actionsI32: new Int32Array(buf, p.actions, this.#actionDim * n),
        actionsF32: new Float32Array(buf, p.actions, this.#actionDim * n),
        finalObs: null,
        finalPtr: 0,
      };
      this.#buffer = buf;
    }
    return this.#views;
  }

  get id() { return this.#id; }
  get numEnvs() { return this.#n; }
  get obsDim() { return this.#obsDim; }
  get stateDim() { return this.#stateDim; }
  get actionDim() { return this.#actionDim; }
  get spaces() { return this.#spaces; }
  /** The env's parameter declarations (name, doc, default, valid range), from the core's registry. */
  get params() { return this.info.params; }
  get autoreset() { return this.#api.guard(() => this.#live().autoreset()); }
  get maxEpisodeSteps() { return this.#api.guard(() => this.#live().max_episode_steps()); }
  get simdPath() { return this.#api.guard(() => this.#live().simd_path()); }
  /** Selects a lane implementation ("scalar", "wide-f32x4"); every path gives the same bits. */
  setSimdPath(name) {
    if (typeof name !== 'string') throw new Error(`setSimdPath expects a path name such as "scalar", got ${describe(name)}`);
    this.#api.guard(() => this.#live().set_simd_path(name));
  }
  get flavor() { return this.#api.flavor; }

  get obs() { return this.#v().obs; }
  get reward() { return this.#v().reward; }
  get terminated() { return this.#v().terminated; }
  get truncated() { return this.#v().truncated; }
  get state() { return this.#v().state; }
  get episodes() { return this.#v().episodes; }
  /** The action buffer `step()` reads: Uint32Array (discrete) or Float32Array (continuous). */
  get actions() {
    const v = this.#v();
    return this.#discrete ? v.actionsU32 : v.actionsF32;
  }
  /**
   * Same-step mode: the final observations of the envs that finished on the last step, as a dense
   * `[obsDim][numEnvs]` view; valid where `terminated[i] || truncated[i]`. From the first read on,
   * every step and rollout writes it, so a view held across steps shows the last step's.
   */
  get finalObs() {
    const raw = this.#live();
    // Allocated with the batch; the first call turns on its update by every step.
    const ptr = this.#api.guard(() => raw.final_obs_dense_ptr());
    const v = this.#v();
    if (v.finalPtr !== ptr || v.finalObs === null) {
      v.finalObs = new Float32Array(this.#api.memory.buffer, ptr, this.#obsDim * this.#n);
      v.finalPtr = ptr;
    }
    return v.finalObs;
  }
  /** Number of envs whose episode ended on the last step (same-step mode; 0 in the others). */
  get finalObsCount() { return this.#api.guard(() => this.#live().final_obs_count()); }
  /** Steps taken in each env's current episode (a copy, in the JS heap). */
  elapsed() {
    const raw = this.#live();
    const ptr = this.#api.guard(() => raw.elapsed_ptr());
    return new Uint32Array(this.#api.memory.buffer, ptr, this.#n).slice();
  }
  /** Env `i`'s value of every parameter, by name. */
  paramsOf(i) {
    const raw = this.#live();
    toIndex('paramsOf', i, this.#n);
    const values = this.#api.guard(() => raw.env_params(i));
    return Object.fromEntries(this.info.params.map((p, k) => [p.name, values[k]]));
  }

  /** Starts a new episode in every env; with `{seed}`, reseeds first (Gymnasium's reset(seed=...)). */
  reset(options = {}) {
    const raw = this.#live();
    if (options === null || typeof options !== 'object') throw new Error(`reset options must be an object such as {seed: 1}, got ${describe(options)}`);
    if (options.seed !== undefined) {
      const seed = toSeed(options.seed);
      this.#api.guard(() => raw.reset_with_seed(seed));
    } else {
      this.#api.guard(() => raw.reset());
    }
    return this.obs;
  }

  /** Starts new episodes in the envs where `mask[i]` is truthy (disabled autoreset's restart). */
  resetEnvs(mask) {
    const raw = this.#live();
    if (!isArrayLikeOfNumbers(mask) || mask.length !== this.#n) {
      throw new Error(`${this.#id}: resetEnvs expects a mask of ${this.#n} booleans or numbers (one per env), got ${describe(mask)}`);
    }
    const bytes = new Uint8Array(this.#api.memory.buffer, this.#ptr.mask, this.#n);
    for (let i = 0; i < this.#n; i++) bytes[i] = mask[i] ? 1 : 0;
    this.#api.guard(() => raw.reset_envs());
    return this.obs;
  }

  /** Overwrites env `i`'s internal state (`stateDim` numbers) and step count, like Gymnasium's `env.unwrapped.state = ...`. */
  setEnvState(i, state, elapsed = 0) {
    const raw = this.#live();
    toIndex('setEnvState', i, this.#n);
    if (!Number.isInteger(elapsed) || elapsed < 0 || elapsed > 0xffffffff) throw new Error(`setEnvState: elapsed must be a non-negative integer, got ${describe(elapsed)}`);
    const s = toF32(`${this.#id}: setEnvState state`, state, this.#stateDim);
    new Float32Array(this.#api.memory.buffer, this.#ptr.stateIn, this.#stateDim).set(s);
    this.#api.guard(() => raw.set_env_state(i, elapsed));
  }

  /**
   * One step of every env. `actions`: Int32Array or Uint32Array (discrete spaces) or
   * Float32Array (continuous), `actionDim * numEnvs` values, feature-major. Without an argument,
   * steps with what is already in `env.actions`.
   */
  step(actions) {
    const raw = this.#live();
    const v = this.#v();
    const views = { u32: v.actionsU32, i32: v.actionsI32, f32: v.actionsF32 };
    const kind = writeActions(this.#id, actions, this.#discrete, this.#actionDim, this.#n, this.#spaces.action, views);
    this.#api.guard(() => (kind === 'i32' ? raw.step_i32() : kind === 'u32' ? raw.step_u32() : raw.step_f32()));
    const w = this.#v();
    return { obs: w.obs, reward: w.reward, terminated: w.terminated, truncated: w.truncated };
  }

  /**
   * `steps` steps with actions chosen inside the fused loop by `policy`: "random" (default),
   * {type: "constant", action}, or {type: "linear", weights, bias} (shared or per env).
   * Returns views of per-env statistics of this call: rewardSum (Float64Array), episodes and
   * lengthSum (BigUint64Array). With `record: true`, also `trajectory`: copies of every step's
   * observation (the one its action was chosen from), action, reward and flags, `[steps][...][numEnvs]`.
   */
  rollout(options = {}) {
    const raw = this.#live();
    this.#api.guard(() => startRollout(this.#api, raw, this.#id, this.#actionDim, options));
    if (!options.record) return this.lastRollout;
    const trajectory = this.#api.guard(() => takeTrajectory(this.#api, raw));
    return { ...this.lastRollout, trajectory };
  }

  /** Views of the last rollout's per-env statistics (see `rollout`). */
  get lastRollout() {
    this.#live();
    const [r, e, l] = this.#api.guard(() => this.#raw.stats_ptrs());
    if (r === 0) return null;
    const buf = this.#api.memory.buffer;
    const n = this.#n;
    return { rewardSum: new Float64Array(buf, r, n), episodes: new BigUint64Array(buf, e, n), lengthSum: new BigUint64Array(buf, l, n) };
  }

  /** Releases the batch's wasm memory. Any later use throws; a second free() does nothing. */
  free() {
    if (this.#raw === null) return;
    const raw = this.#raw;
    this.#raw = null;
    this.#views = null;
    this.#buffer = null;
    raw.free();
  }

  /** Whether free() was called. */
  get freed() { return this.#raw === null; }
}

function hasNavigatorGpu() {
  return typeof globalThis.navigator === 'object' && globalThis.navigator !== null && !!globalThis.navigator.gpu;
}

/**
 * Why wgpu (fusegym-gpu's WebGPU backend) cannot reach `navigator.gpu` from this global scope, or
 * null. wgpu takes it from a global `Window` or `WorkerGlobalScope` and panics where neither
 * exists (Node or Deno with a WebGPU polyfill, a worklet): a trap inside a promise, which would
 * then never settle. The same test as wgpu's `get_browser_gpu_property`.
 */
function webgpuScopeProblem() {
  if (globalThis.Window !== undefined || globalThis.WorkerGlobalScope !== undefined) return null;
  return 'navigator.gpu is there, but this global scope is neither a window nor a worker (no Window or WorkerGlobalScope: ' +
    'e.g. Node or Deno with a WebGPU polyfill, or a worklet), and the WebGPU backend fusegym uses (wgpu) reaches the GPU ' +
    'only from a window or a worker';
}

/**
 * Whether `GpuVecEnv` can reach WebGPU here: `navigator.gpu` exists, in a window or a worker. An
 * adapter may still be missing.
 */
export function webgpuSupported() {
  return hasNavigatorGpu() && webgpuScopeProblem() === null;
}

/** An exception as "Name: message" (Errors and DOMExceptions), else described. */
function errorText(e) {
  return e !== null && typeof e === 'object' && typeof e.message === 'string' ? `${e.name ?? 'Error'}: ${e.message}` : describe(e);
}

/**
 * Asks `navigator.gpu` for an adapter as wgpu will (high performance), so that none, a rejection
 * or a throw is an Error naming it (wgpu reports a rejection as "no adapter", its reason lost).
 */
async function probeAdapter() {
  const fallback = 'fusegym does not fall back silently: use VecEnv (wasm) instead';
  let adapter;
  try {
    adapter = await globalThis.navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    throw new Error(`no WebGPU adapter: navigator.gpu.requestAdapter() failed (${errorText(e)}); ${fallback}`, { cause: e });
  }
  if (adapter === null || adapter === undefined) {
    throw new Error(`no WebGPU adapter: navigator.gpu.requestAdapter() resolved ${adapter} (WebGPU may be turned off, or the ` +
      `GPU blocklisted, in this browser); ${fallback}`);
  }
}

const GPU_TOKEN = Symbol('GpuVecEnv.create');

/**
 * A batch of `numEnvs` copies of one environment on the browser's GPU (WebGPU through
 * fusegym-gpu): create it with `await GpuVecEnv.create(...)`. Every call that reads results back
 * returns a Promise (the browser resolves a readback only once the page yields; nothing here
 * busy-waits). See index.d.ts for the contract.
 */
export class GpuVecEnv {
  #api;
  #raw;
  #id;
  #n;
  #obsDim;
  #stateDim;
  #actionDim;
  #discrete;
  #spaces;
  #busy = false;
  #views = null;
  #buffer = null;
  #actionViews = null;
  #stats = null;
  #stateViews = null;

  /**
   * Builds a batch on the GPU: the same options as `new VecEnv` (checked the same way, with the
   * same errors). Rejects with "no WebGPU adapter: ..." where the browser has no WebGPU or gives
   * no adapter. The WebGPU code ships in the simd build, loaded here unless `options.module` is given.
   */
  static async create(id, numEnvs, options = {}) {
    checkOptions('GpuVecEnv', options);
    if (!hasNavigatorGpu()) {
      throw new Error('no WebGPU adapter: this JavaScript environment has no navigator.gpu (WebGPU is not supported here, ' +
        'or it is turned off); use VecEnv (wasm) instead');
    }
    const scope = webgpuScopeProblem();
    if (scope) throw new Error(`no WebGPU adapter: ${scope}; use VecEnv (wasm) instead`);
    const mod = options.module ?? (await load('simd'));
    const api = mod._api;
    if (!api) throw new Error('options.module must be a module returned by load() or init()');
    if (!mod.webgpu) throw new Error(`the ${mod.flavor} build has no WebGPU code (only the simd build has); pass a module from load('simd')`);
    if (typeof id !== 'string') throw new Error(`env id must be a string (one of ${mod.envIds.join(', ')}), got ${describe(id)}`);
    // Until the instance has its device (kept for every later batch), ask for an adapter first.
    if (!api.gpuAdapterSeen) {
      await probeAdapter();
      api.gpuAdapterSeen = true;
    }
    const pending = api.guard(() => {
      const cfg = makeConfig(api, id, numEnvs, options);
      try {
        return api.glue.gpu_create(cfg);
      } finally {
        cfg.free();
      }
    });
    const raw = await api.settle(pending);
    return new GpuVecEnv(GPU_TOKEN, api, raw);
  }

  constructor(token, api, raw) {
    if (token !== GPU_TOKEN) throw new Error('use `await GpuVecEnv.create(id, numEnvs, options)`: building a GPU batch is asynchronous');
    this.#api = api;
    this.#raw = raw;
    this.#id = raw.id();
    this.#n = raw.num_envs();
    this.#obsDim = raw.obs_dim();
    this.#stateDim = raw.state_dim();
    this.#actionDim = raw.action_dim();
    const info = raw.info();
    const action = raw.action_space();
    this.#discrete = action.type === 'discrete';
    this.#spaces = Object.freeze({ observation: info.observation, action });
    this.info = info;
    this.adapter = raw.adapter();
    this.adapterInfo = raw.adapter_info();
    this.#refresh();
  }

  #live() {
    if (this.#raw === null) throw new Error(`this GpuVecEnv (${this.#id}) was freed with free(); create a new one`);
    return this.#raw;
  }

  /** Runs an asynchronous raw call; one at a time per batch. */
  async #call(what, start) {
    const raw = this.#live();
    if (this.#busy) throw new Error(`GpuVecEnv (${this.#id}): ${what} while another call is in flight; await each call before the next`);
    this.#busy = true;
    try {
      await this.#api.settle(this.#api.guard(() => start(raw)));
    } finally {
      this.#busy = false;
    }
    if (this.#raw === null) throw new Error(`this GpuVecEnv (${this.#id}) was freed while ${what} was in flight`);
    this.#refresh();
  }

  /** Rebuilds the views over the last read-back outputs (addresses can change when memory grows). */
  #refresh() {
    const raw = this.#raw;
    const buf = this.#api.memory.buffer;
    const [obs, reward, term, trunc, fin, hasFin, obsLen, n, finLen, hasFinLen] = this.#api.guard(() => raw.view_ptrs());
    this.#views = {
      obs: new Float32Array(buf, obs, obsLen),
      reward: new Float32Array(buf, reward, n),
      terminated: new Uint8Array(buf, term, n),
      truncated: new Uint8Array(buf, trunc, n),
      finalObs: new Float32Array(buf, fin, finLen),
      hasFinal: new Uint8Array(buf, hasFin, hasFinLen),
    };
    const a = this.#api.guard(() => raw.actions_ptr());
    const len = this.#actionDim * this.#n;
    this.#actionViews = { u32: new Uint32Array(buf, a, len), i32: new Int32Array(buf, a, len), f32: new Float32Array(buf, a, len) };
    const [r, e, l] = this.#api.guard(() => raw.stats_ptrs());
    this.#stats = r === 0 ? null : {
      rewardSum: new Float64Array(buf, r, this.#n),
      episodes: new BigUint64Array(buf, e, this.#n),
      lengthSum: new BigUint64Array(buf, l, this.#n),
    };
    const [s, el, sl] = this.#api.guard(() => raw.state_ptrs());
    this.#stateViews = sl === 0 ? null : { state: new Float32Array(buf, s, sl), elapsed: new Uint32Array(buf, el, this.#n) };
    this.#buffer = buf;
  }

  #v() {
    this.#live();
    if (this.#buffer !== this.#api.memory.buffer) {
      if (this.#busy) throw new Error(`GpuVecEnv (${this.#id}): wasm memory grew while a call was in flight; read the views after awaiting it`);
      this.#refresh();
    }
    return this.#views;
  }

  get id() { return this.#id; }
  get numEnvs() { return this.#n; }
  get obsDim() { return this.#obsDim; }
  get stateDim() { return this.#stateDim; }
  get actionDim() { return this.#actionDim; }
  get spaces() { return this.#spaces; }
  get params() { return this.info.params; }
  get autoreset() { return this.#api.guard(() => this.#live().autoreset()); }
  get backend() { return 'webgpu'; }
  /** Whether a step, reset or rollout is in flight. */
  get busy() { return this.#busy; }
  get obs() { return this.#v().obs; }
  get reward() { return this.#v().reward; }
  get terminated() { return this.#v().terminated; }
  get truncated() { return this.#v().truncated; }
  /** Same-step mode: the final observations `[obsDim][numEnvs]` of the last step, valid where `terminated[i] || truncated[i]`. */
  get finalObs() { return this.#v().finalObs; }
  /** The buffer `step()` reads when called without actions. */
  get actions() {
    this.#v();
    return this.#discrete ? this.#actionViews.u32 : this.#actionViews.f32;
  }
  /** Views of the last rollout's per-env statistics, or null before the first. */
  get lastRollout() {
    this.#v();
    return this.#stats;
  }

  /** One step of every env with `actions` (as `VecEnv.step`); resolves once its outputs are read back. */
  async step(actions) {
    this.#live();
    if (this.#busy) throw new Error(`GpuVecEnv (${this.#id}): step while another call is in flight; await each call before the next`);
    this.#v();
    const kind = writeActions(this.#id, actions, this.#discrete, this.#actionDim, this.#n, this.#spaces.action, this.#actionViews);
    await this.#call('step', (raw) => (kind === 'i32' ? raw.step_i32() : kind === 'u32' ? raw.step_u32() : raw.step_f32()));
    const v = this.#views;
    return { obs: v.obs, reward: v.reward, terminated: v.terminated, truncated: v.truncated };
  }

  /** New episodes in every env; `{seed}` reseeds first. Resolves to `obs`. */
  async reset(options = {}) {
    if (options === null || typeof options !== 'object') throw new Error(`reset options must be an object such as {seed: 1}, got ${describe(options)}`);
    if (options.seed !== undefined) {
      const seed = toSeed(options.seed);
      await this.#call('reset', (raw) => raw.reset_with_seed(seed));
    } else {
      await this.#call('reset', (raw) => raw.reset());
    }
    return this.#views.obs;
  }

  /** New episodes where `mask[i]` is truthy. Resolves to `obs`. */
  async resetEnvs(mask) {
    if (!isArrayLikeOfNumbers(mask) || mask.length !== this.#n) {
      throw new Error(`${this.#id}: resetEnvs expects a mask of ${this.#n} booleans or numbers (one per env), got ${describe(mask)}`);
    }
    const bytes = Uint8Array.from(mask, (m) => (m ? 1 : 0));
    await this.#call('resetEnvs', (raw) => raw.reset_envs(bytes));
    return this.#views.obs;
  }

  /** Reads the internal states back: `{state: [stateDim][numEnvs], elapsed: [numEnvs]}` (views, until the next readState). */
  async readState() {
    await this.#call('readState', (raw) => raw.read_state());
    return this.#stateViews;
  }

  /**
   * `steps` steps on the GPU with the policy in the shader (as `VecEnv.rollout`: "random",
   * constant, linear shared or per env); resolves to the per-env statistics once they and the
   * last step's outputs are read back. With `record: true`, also `trajectory` (as VecEnv's,
   * without actions: `actions` is null), recorded on the device and read back once at the end.
   */
  async rollout(options = {}) {
    await this.#call('rollout', (raw) => startRollout(this.#api, raw, this.#id, this.#actionDim, options));
    if (!options.record) return this.#stats;
    const trajectory = this.#api.guard(() => takeTrajectory(this.#api, this.#raw));
    return { ...this.#stats, trajectory };
  }

  /** Releases the batch (GPU buffers once any call in flight has finished). Later use throws; a second free() does nothing. */
  free() {
    if (this.#raw === null) return;
    const raw = this.#raw;
    this.#raw = null;
    this.#views = null;
    this.#stats = null;
    this.#stateViews = null;
    this.#actionViews = null;
    this.#buffer = null;
    raw.free();
  }

  /** Whether free() was called. */
  get freed() { return this.#raw === null; }
}
