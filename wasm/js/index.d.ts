// Types of the `fusegym` package (wasm/js/index.js). Layout of every batch buffer: feature-major
// (structure of arrays): component k of env i is at buf[k * numEnvs + i].

/** Which wasm build: "simd" (simd128) or "baseline" (no SIMD instructions, scalar path). */
export type Flavor = 'simd' | 'baseline';

/** Gymnasium's autoreset modes: what a step returns when an episode ends (docs/autoreset.md). */
export type AutoresetMode = 'same-step' | 'next-step' | 'disabled' | 'SAME_STEP' | 'NEXT_STEP' | 'DISABLED';

/** A parameter's valid values: an interval, ends open or closed. */
export interface ValidRange {
  low: number;
  high: number;
  lowClosed: boolean;
  highClosed: boolean;
  /** E.g. "(0, inf)". */
  text: string;
}

/** One declared parameter of an env (from the core's `params!` declaration). */
export interface ParamInfo {
  name: string;
  doc: string;
  default: number;
  valid: ValidRange;
}

export interface DiscreteSpace {
  type: 'discrete';
  n: number;
  shape: [];
  names: string[];
}

export interface BoxSpace {
  type: 'box';
  shape: [number];
  low: number[];
  high: number[];
  names: string[];
}

export type ActionSpace = DiscreteSpace | BoxSpace;

export interface ObservationSpace {
  shape: [number];
  names: string[];
}

/** The registry entry of one env (the core's ENVS list). */
export interface EnvInfo {
  id: string;
  /** Where the reference implementation lives. */
  reference: string;
  observation: ObservationSpace;
  /** The action space under default parameters. */
  action: ActionSpace;
  stateNames: string[];
  /** Gymnasium's TimeLimit; 0 = none. */
  maxEpisodeSteps: number;
  params: ParamInfo[];
}

/**
 * A parameter value: one number for every env, one number per env (`numEnvs` values), or a
 * range each env's value is drawn from uniformly (`[low, high)`, from the seed).
 */
export type ParamValue = number | ArrayLike<number> | { low: number; high: number };

export interface VecEnvOptions {
  /** Seed of episode 0 of every env (default 0). */
  seed?: number | bigint;
  /** Default "same-step". */
  autoreset?: AutoresetMode;
  /** Overrides by parameter name; names and values are checked (unknown name: an Error listing the known ones). */
  params?: Record<string, ParamValue>;
  /** Redraw ranged parameters at every reset (default false: drawn once per seed). */
  redrawEachEpisode?: boolean;
  /** Overrides the time limit (0 = none). */
  maxEpisodeSteps?: number;
  /** The loaded build to use (default: the one `init()` loaded). */
  module?: FusegymModule;
}

export interface StepResult {
  obs: Float32Array;
  reward: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
}

export type Policy =
  | 'random'
  | { type: 'random' }
  /** `actionDim` values; a discrete action as its index. */
  | { type: 'constant'; action: number | ArrayLike<number> }
  /**
   * out = W obs + b; discrete spaces take argmax(out) over n outputs, continuous ones clip out to
   * the space. One policy: weights [outputs][obsDim], bias [outputs]. One policy per env:
   * weights [outputs][obsDim][numEnvs], bias [outputs][numEnvs].
   */
  | { type: 'linear'; weights: ArrayLike<number>; bias: ArrayLike<number> };

export interface RolloutOptions {
  steps: number;
  /** Default "random". */
  policy?: Policy;
  /**
   * Also return every step's observation, action, reward and flags (`trajectory`). It takes
   * `steps * numEnvs * (4 * (obsDim + actionDim + 1) + 2)` bytes of wasm memory during the call
   * (GPU: `4 * (obsDim + 2)` more for the read-back words) besides the copies returned; a request
   * over wasm32's 4 GiB, or more than the instance can allocate, throws an Error naming its size
   * and the limit. Default false.
   */
  record?: boolean;
}

/**
 * A recorded rollout (core's `Trajectory`), copied into the JS heap, every array
 * `[steps][component][numEnvs]` (element `(t * dim + k) * numEnvs + i`).
 */
export interface Trajectory {
  /** The observation each step's action was chosen from, `[steps][obsDim][numEnvs]` (same-step mode: after an autoreset, the next episode's first). */
  obs: Float32Array;
  /** The actions taken (discrete ones as their index), `[steps][actionDim][numEnvs]`; null on the GPU, which does not record them. */
  actions: Float32Array | null;
  /** `[steps][numEnvs]`. */
  rewards: Float32Array;
  /** 0/1, `[steps][numEnvs]`. */
  terminated: Uint8Array;
  /** 0/1, `[steps][numEnvs]`. */
  truncated: Uint8Array;
}

/** What `rollout({..., record: true})` returns: the statistics and the trajectory. */
export interface RecordedRollout extends RolloutStats {
  trajectory: Trajectory;
}

/**
 * Per-env statistics of the last rollout call: views of buffers the batch keeps for its life, so
 * the next rollout overwrites them in place (a view held from an earlier call shows the last
 * rollout's figures; copy with `.slice()` to keep a call's).
 */
export interface RolloutStats {
  /** Sum of rewards over the call's steps. */
  rewardSum: Float64Array;
  /** Episodes that finished during the call. */
  episodes: BigUint64Array;
  /** Sum of those episodes' lengths. */
  lengthSum: BigUint64Array;
}

/**
 * A batch of `numEnvs` copies of one environment stepped together in wasm.
 *
 * Views: `obs`, `reward`, `terminated`, `truncated`, `state`, `episodes`, `actions`, `finalObs`
 * and `lastRollout` are typed arrays over wasm memory (no copies), each over a buffer the batch
 * allocates when it is built and keeps until `free()`. `step`, `reset`, `resetEnvs`,
 * `setEnvState` and `rollout` write into those buffers in place and allocate nothing in wasm
 * memory (a recorded trajectory and a first or longer linear policy aside), so a view held
 * across them shows the latest values: `finalObs` too, which every step and rollout writes once
 * it has been read. A view stops being valid in two cases:
 * - wasm memory grows (a new batch, a recorded rollout, a larger linear policy): the old
 *   `ArrayBuffer` is detached and views taken before read as length 0; read the getters again
 *   (each rebuilds its views when memory has changed).
 * - `free()`: the batch's memory goes back to the allocator, but views cannot be detached one by
 *   one. A view kept past `free()` keeps its length and reads, and writes, memory that batches
 *   created later may own: no error, wrong numbers. Drop every view with its batch.
 *
 * Memory: the batch owns wasm memory until `free()`; every use of the batch after `free()` throws
 * an Error. Everything a call needs is allocated with the batch, so once the batch is built no
 * call on it fails for lack of memory, however full the instance (wasm32: 4 GiB) is (bar the few
 * bytes of an error message or of `paramsOf`'s values); what needs
 * new memory (a new batch, a recorded trajectory, a larger linear policy, `bareCartPole`) throws
 * an Error naming the size when there is none.
 * Errors: bad input throws an `Error` saying what was wrong and what was expected. An env index
 * (`setEnvState`, `paramsOf`) must be an integer in `0..numEnvs - 1`: any other number (2**32 + 5,
 * -1, 1.5, NaN) throws, none wraps.
 */
export class VecEnv {
  constructor(id: string, numEnvs: number, options?: VecEnvOptions);
  readonly id: string;
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly stateDim: number;
  readonly actionDim: number;
  readonly spaces: { observation: ObservationSpace; action: ActionSpace };
  /** The env's parameter declarations. */
  readonly params: ParamInfo[];
  readonly info: EnvInfo;
  readonly autoreset: 'same-step' | 'next-step' | 'disabled';
  readonly maxEpisodeSteps: number;
  /** The lane implementation in use: "wide-f32x4" (simd build) or "scalar". */
  readonly simdPath: string;
  readonly flavor: Flavor;
  /** Observations `[obsDim][numEnvs]` (same-step mode: the next episode's first one for finished envs). */
  readonly obs: Float32Array;
  readonly reward: Float32Array;
  /** 0/1 per env. */
  readonly terminated: Uint8Array;
  /** 0/1 per env. */
  readonly truncated: Uint8Array;
  /** Internal states `[stateDim][numEnvs]`. */
  readonly state: Float32Array;
  /** Episode number of each env. */
  readonly episodes: Uint32Array;
  /** The buffer `step()` reads, `[actionDim][numEnvs]`: Uint32Array (discrete) or Float32Array (box). */
  readonly actions: Uint32Array | Float32Array;
  /**
   * Same-step mode: final observations `[obsDim][numEnvs]` of the last step, valid where
   * `terminated[i] || truncated[i]` (other entries hold older values); all zeros in the other
   * modes. Once read, every step and rollout writes it: a view held across steps stays current.
   */
  readonly finalObs: Float32Array;
  /** Envs whose episode ended on the last step (same-step mode). */
  readonly finalObsCount: number;
  readonly lastRollout: RolloutStats | null;
  readonly freed: boolean;
  /** Selects a lane implementation ("scalar", "wide-f32x4"); every path gives the same bits. */
  setSimdPath(name: string): void;
  /** Steps taken in each env's current episode (a copy, which later steps do not change). */
  elapsed(): Uint32Array;
  /** Env i's value of every parameter, by name; `i` an integer in `0..numEnvs - 1` (else an Error). */
  paramsOf(i: number): Record<string, number>;
  /** New episodes in every env; `{seed}` reseeds first. Returns `obs`. */
  reset(options?: { seed?: number | bigint }): Float32Array;
  /** New episodes where mask[i] is truthy. Returns `obs`. */
  resetEnvs(mask: ArrayLike<number | boolean>): Float32Array;
  /** Overwrites env i's internal state and step count; `i` an integer in `0..numEnvs - 1` (else an Error). */
  setEnvState(i: number, state: ArrayLike<number>, elapsed?: number): void;
  /** One step: Int32Array/Uint32Array (discrete) or Float32Array (box) of `actionDim * numEnvs`; none: use `actions`. */
  step(actions?: Int32Array | Uint32Array | Float32Array): StepResult;
  /** `steps` steps with the policy inside the fused loop; with `record: true`, also the trajectory (actions included). */
  rollout(options: RolloutOptions & { record: true }): RecordedRollout;
  rollout(options: RolloutOptions): RolloutStats;
  /** Releases the wasm memory; later use throws, a second free() does nothing. */
  free(): void;
}

/** One loaded build. */
export interface FusegymModule {
  readonly flavor: Flavor;
  readonly simd128: boolean;
  /** The lane implementation batches use: "wide-f32x4" or "scalar". */
  readonly simdPath: string;
  readonly version: string;
  /** Whether this build carries the WebGPU batches (`GpuVecEnv`): the simd build does. */
  readonly webgpu: boolean;
  readonly envs: EnvInfo[];
  readonly envIds: string[];
  readonly memory: WebAssembly.Memory;
  /** `VecEnv` bound to this build. */
  readonly VecEnv: typeof VecEnv;
  /**
   * The bare CartPole kernel (physics only: no RNG, resets, counters or observation copies) over
   * `numEnvs` (4 to 16,777,216) envs, to judge `step` against in the same engine (bench page).
   * `run(steps)` advances every env `steps` steps and returns a checksum.
   */
  bareCartPole(numEnvs: number): BareCartPole;
}

/** See `FusegymModule.bareCartPole`. */
export interface BareCartPole {
  readonly numEnvs: number;
  run(steps: number): number;
  free(): void;
}

/** Whether this engine runs wasm simd128. */
export function simdSupported(): boolean;
/** Loads a build ("auto": simd when supported); each is instantiated once. */
export function load(flavor?: Flavor | 'auto'): Promise<FusegymModule>;
/** Loads a build and makes it the default for `new VecEnv` and `envs()`. */
export function init(options?: { flavor?: Flavor | 'auto' }): Promise<FusegymModule>;
/** The default build's registry. */
export function envs(): EnvInfo[];

/**
 * Whether `GpuVecEnv` can reach WebGPU here: `navigator.gpu` exists, in a window or a worker
 * (wgpu, the backend, reaches it from nowhere else: false in Node or Deno with a WebGPU polyfill).
 * An adapter may still be missing.
 */
export function webgpuSupported(): boolean;

/** wgpu's description of the adapter a `GpuVecEnv` runs on. */
export interface GpuAdapterInfo {
  /** Often empty on WebGPU (the browser's `GPUAdapterInfo.description`). */
  name: string;
  /** "BrowserWebGpu" in a browser. */
  backend: string;
  /** "Cpu" for a software or fallback adapter (e.g. SwiftShader). */
  deviceType: string;
  driver: string;
  driverInfo: string;
}

/** `VecEnvOptions`; `module` must be a build with `webgpu: true` (default: the simd build, loaded on demand). */
export type GpuVecEnvOptions = VecEnvOptions;

/** Internal states read back from the GPU: views the next `readState` overwrites in place. */
export interface GpuState {
  /** `[stateDim][numEnvs]`. */
  state: Float32Array;
  /** Steps taken in each env's current episode. */
  elapsed: Uint32Array;
}

/**
 * A batch of `numEnvs` copies of one environment on the browser's GPU (WebGPU, through the
 * fusegym-gpu crate: the same fused step as WGSL compute shaders). Results agree with the wasm
 * CPU path within the tolerance of docs/parity.md ("GPU": 32 eps*M per step, identical flags),
 * not bit for bit. The counter RNG is shared, so resets, parameter draws and random actions are
 * the CPU's.
 *
 * Asynchronous: `step`, `reset`, `resetEnvs`, `readState` and `rollout` return Promises that
 * resolve once the results are read back (a browser maps GPU memory only after the page yields;
 * nothing busy-waits). One call at a time per batch: a call made while another is in flight
 * rejects. For throughput, prefer `rollout` (many steps per readback) to `step` (one readback
 * per step).
 *
 * Views: `obs`, `reward`, `terminated`, `truncated`, `finalObs`, `lastRollout` and `readState`'s
 * are typed arrays over wasm memory holding the last read-back results, each over a buffer the
 * batch keeps for its life: the next call's results are copied into it, so a view held across
 * calls shows the latest. As for `VecEnv`, views are detached when wasm memory grows (a readback
 * may grow it: read the getters again after awaiting a call), and a view kept past `free()`
 * reads memory that later batches may own.
 *
 * Errors: bad input throws (rejects with) the same `Error` as `VecEnv`; no WebGPU, a scope wgpu
 * cannot reach it from, or no adapter: "no WebGPU adapter: ..." naming which; use after `free()`
 * throws. A panic inside a call (a fusegym bug) rejects the pending calls with "fusegym: the simd
 * wasm instance stopped (...)" instead of leaving them pending. The batch holds GPU buffers and
 * wasm memory until `free()`. Memory: unlike `VecEnv`'s, a GPU batch's calls allocate in wasm
 * memory as they read back (wgpu copies each mapped buffer, infallibly), so in an instance whose
 * memory is full a call can still trap: the instance stops, and that call's promise does not
 * settle (an allocation failure aborts without the panic hook).
 */
export class GpuVecEnv {
  /**
   * Builds the batch; rejects with "no WebGPU adapter: ..." when there is no `navigator.gpu`, when
   * this scope is neither a window nor a worker (see `webgpuSupported`), or when
   * `navigator.gpu.requestAdapter()` resolves null, rejects or throws (its error named).
   */
  static create(id: string, numEnvs: number, options?: GpuVecEnvOptions): Promise<GpuVecEnv>;
  private constructor();
  readonly id: string;
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly stateDim: number;
  readonly actionDim: number;
  readonly spaces: { observation: ObservationSpace; action: ActionSpace };
  readonly params: ParamInfo[];
  readonly info: EnvInfo;
  readonly autoreset: 'same-step' | 'next-step' | 'disabled';
  readonly backend: 'webgpu';
  /** The adapter in one line, e.g. ` (BrowserWebGpu, Cpu, driver "" "")`. */
  readonly adapter: string;
  readonly adapterInfo: GpuAdapterInfo;
  /** Whether a call is in flight. */
  readonly busy: boolean;
  /** Observations `[obsDim][numEnvs]` of the last read-back step, reset or rollout. */
  readonly obs: Float32Array;
  readonly reward: Float32Array;
  /** 0/1 per env. */
  readonly terminated: Uint8Array;
  /** 0/1 per env. */
  readonly truncated: Uint8Array;
  /** Same-step mode: final observations `[obsDim][numEnvs]`, valid where `terminated[i] || truncated[i]`; empty in the other modes. */
  readonly finalObs: Float32Array;
  /** The buffer `step()` reads when called without actions: Uint32Array (discrete) or Float32Array (box). */
  readonly actions: Uint32Array | Float32Array;
  readonly lastRollout: RolloutStats | null;
  readonly freed: boolean;
  /** One step (actions as for `VecEnv.step`); resolves once its outputs are read back. */
  step(actions?: Int32Array | Uint32Array | Float32Array): Promise<StepResult>;
  /** New episodes in every env; `{seed}` reseeds first. Resolves to `obs`. */
  reset(options?: { seed?: number | bigint }): Promise<Float32Array>;
  /** New episodes where mask[i] is truthy. Resolves to `obs`. */
  resetEnvs(mask: ArrayLike<number | boolean>): Promise<Float32Array>;
  /** Reads the internal states and step counts back. */
  readState(): Promise<GpuState>;
  /**
   * `steps` steps on the GPU with the policy in the shader; resolves to the per-env statistics.
   * With `record: true`, also the trajectory (`actions` null), recorded on the device and read
   * back once; its device buffer must also fit the adapter's `max_buffer_size` (else an Error
   * naming both). Reward sums of a recorded rollout may differ from an unrecorded one's in the
   * last bits (one-step f32 windows instead of 256).
   */
  rollout(options: RolloutOptions & { record: true }): Promise<RecordedRollout>;
  rollout(options: RolloutOptions): Promise<RolloutStats>;
  /** Releases the batch; later use throws, a second free() does nothing. */
  free(): void;
}
