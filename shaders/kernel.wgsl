// Mirrors core/src/kernel.rs: the fused step (dynamics, time limit, observation and auto-reset
// in one of Gymnasium's three modes), the reset, and the rollout that keeps an env's state in
// registers for many steps. One invocation is one env, so the CPU's per-vector `any()`
// branches are plain per-env branches here.
//
// Composed after a generated prelude (gpu/src/compose.rs) that declares Params, State, Obs and
// Action from the core's declarations, their loads and stores, and env_reset / env_step /
// env_observe, which call the env's file (shaders/<env>.wgsl).

// Same values as the core's Autoreset order and kernel bits.
const MODE_SAME_STEP: u32 = 0u;
const MODE_NEXT_STEP: u32 = 1u;
const MODE_DISABLED: u32 = 2u;
const TERMINATED_BIT: u32 = 0x80000000u;
const TRUNCATED_BIT: u32 = 0x40000000u;
const DONE_BITS: u32 = 0xc0000000u;
const MAX_EPISODE_STEPS_LIMIT: u32 = 0x3fffffffu;
// Flags buffer: one u32 per env (WGSL has no 8-bit storage), converted to bools on readback.
const FLAG_TERMINATED: u32 = 1u;
const FLAG_TRUNCATED: u32 = 2u;
// Layout of the params buffer (u32 words): shared values, column offsets (0 = shared), range
// ends, then the per-env columns ([num_envs] each). Mirrors gpu/src/layout.rs.
const PARAM_SHARED: u32 = 0u;
const PARAM_COLUMN: u32 = 32u;
const PARAM_LOW: u32 = 64u;
const PARAM_HIGH: u32 = 96u;
// Rollout statistics buffer rows ([num_envs] each).
const STAT_REWARD_HI: u32 = 0u;
const STAT_REWARD_LO: u32 = 1u;
const STAT_EPISODES: u32 = 2u;
const STAT_LENGTH_LO: u32 = 3u;
const STAT_LENGTH_HI: u32 = 4u;
const POLICY_RANDOM: u32 = 0u;
const POLICY_CONSTANT: u32 = 1u;
const POLICY_LINEAR: u32 = 2u;
const RESET_NEXT: u32 = 0u;
const RESET_SEED: u32 = 1u;
const RESET_MASK: u32 = 2u;
const RESET_OBSERVE: u32 = 3u;
// 64 invocations: a multiple of every vendor's SIMD width (32 or 64) and within WebGPU's
// downlevel limits (256 per workgroup).
const WORKGROUP: u32 = 64u;

// What is the same for every env of a call; mirrors gpu/src/layout.rs `Ctl`.
struct Ctl {
    n: u32,
    seed_key: u32,
    env_offset: u32,
    mode: u32,
    max_steps: u32,
    // Bit k: field k is redrawn at every reset.
    redraw: u32,
    // Bit k: field k is drawn from its range at a reseed (episode 0's key).
    fixed: u32,
    // Rollout: steps of this dispatch.
    steps: u32,
    policy: u32,
    // Rollout, linear policy: 0 (shared) or num_envs (per env); where the bias starts.
    policy_stride: u32,
    policy_bias: u32,
    // Discrete action count (0 for Box spaces); reset entry: RESET_*.
    discrete_n: u32,
    reset_kind: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
    act_low: vec4<f32>,
    act_high: vec4<f32>,
}

@group(0) @binding(0) var<uniform> ctl: Ctl;
// [state_dim][n], feature-major like every batch buffer.
@group(0) @binding(1) var<storage, read_write> state: array<f32>;
// [2 obs_dim][n]: the step's observations, then (same-step mode) the final observations.
@group(0) @binding(2) var<storage, read_write> obs: array<f32>;
// [2][n]: step counts (with DONE_BITS in next-step and disabled modes), then episode numbers.
@group(0) @binding(3) var<storage, read_write> counters: array<u32>;
@group(0) @binding(4) var<storage, read_write> reward: array<f32>;
@group(0) @binding(5) var<storage, read_write> flags: array<u32>;
@group(0) @binding(6) var<storage, read_write> params: array<u32>;
// Step: actions ([action_dim][n]; u32 for discrete envs, f32 bits for Box ones).
// Rollout: the policy's numbers (f32 bits). Reset: the mask (one u32 per env).
@group(0) @binding(7) var<storage, read> input: array<u32>;
// Rollout statistics, [5][n].
@group(0) @binding(8) var<storage, read_write> stats: array<u32>;

struct Transition {
    state: State,
    reward: f32,
    terminated: bool,
}

// What one step produced for one env (core: kernel::Outcome).
struct Outcome {
    obs: Obs,
    final_obs: Obs,
    reward: f32,
    terminated: bool,
    truncated: bool,
    done: bool,
    reset: bool,
    length: u32,
}

// Field k of env i: the shared value or the env's column entry.
fn param_value(k: u32, i: u32) -> f32 {
    let column = params[PARAM_COLUMN + k];
    if (column == 0u) {
        return bitcast<f32>(params[PARAM_SHARED + k]);
    }
    return bitcast<f32>(params[column + i]);
}

// The redrawn fields from the new episode's key (core: kernel::redraw).
fn redraw(p: ptr<function, Params>, key: u32) {
    var bits = ctl.redraw;
    while (bits != 0u) {
        let k = firstTrailingBit(bits);
        bits = bits & (bits - 1u);
        let v = uniform_bits(param_bits(key, k), bitcast<f32>(params[PARAM_LOW + k]), bitcast<f32>(params[PARAM_HIGH + k]));
        param_set(p, k, v);
    }
}

fn store_redrawn(p: Params, i: u32) {
    var bits = ctl.redraw;
    while (bits != 0u) {
        let k = firstTrailingBit(bits);
        bits = bits & (bits - 1u);
        params[params[PARAM_COLUMN + k] + i] = bitcast<u32>(param_get(p, k));
    }
}

// Starts the env's next episode: advances its counter, redraws parameters if asked, and draws
// the first state (core: kernel::start_episodes). Returns the new episode's key.
fn start_episode(p: ptr<function, Params>, ekey: u32, episode: ptr<function, u32>, first: ptr<function, State>) -> u32 {
    *episode = *episode + 1u;
    let key = key_of_episode(ekey, *episode);
    if (ctl.redraw != 0u) {
        redraw(p, key);
    }
    var rng = rng_from_key(key);
    *first = env_reset(*p, &rng);
    return key;
}

// The fused step on values (core: kernel::advance). `key` is updated where a new episode starts.
fn advance(p: ptr<function, Params>, s: ptr<function, State>, elapsed: ptr<function, u32>, episode: ptr<function, u32>, ekey: u32, key: ptr<function, u32>, a: Action) -> Outcome {
    let t = env_step(*p, *s, a);
    let raw = *elapsed;
    // Gymnasium's TimeLimit: truncated once the episode has taken max_episode_steps steps.
    var length = raw + 1u;
    if (ctl.max_steps == 0u && length == MAX_EPISODE_STEPS_LIMIT + 1u) {
        length = MAX_EPISODE_STEPS_LIMIT;
    }
    let at_limit = length == ctl.max_steps;
    var out: Outcome;
    out.length = length;
    if (ctl.mode == MODE_SAME_STEP) {
        let done = t.terminated || at_limit;
        out.final_obs = env_observe(*p, t.state);
        out.obs = out.final_obs;
        var next = t.state;
        var count = length;
        if (done) {
            *key = start_episode(p, ekey, episode, &next);
            out.obs = env_observe(*p, next);
            count = 0u;
        }
        *s = next;
        *elapsed = count;
        out.reward = t.reward;
        out.terminated = t.terminated;
        out.truncated = at_limit;
        out.done = done;
        out.reset = done;
    } else if (ctl.mode == MODE_NEXT_STEP) {
        // Envs that finished last step start their next episode now: the action is ignored.
        let pending = (raw & DONE_BITS) != 0u;
        let terminated = t.terminated && !pending;
        let truncated = at_limit && !pending;
        var next = t.state;
        out.reward = t.reward;
        var count = length + select(0u, TERMINATED_BIT, terminated) + select(0u, TRUNCATED_BIT, truncated);
        if (pending) {
            *key = start_episode(p, ekey, episode, &next);
            out.reward = 0.0;
            count = 0u;
        }
        out.obs = env_observe(*p, next);
        out.final_obs = out.obs;
        *s = next;
        *elapsed = count;
        out.terminated = terminated;
        out.truncated = truncated;
        out.done = terminated || truncated;
        out.reset = pending;
    } else {
        // Disabled: a finished env is frozen until reset_envs.
        let frozen = (raw & DONE_BITS) != 0u;
        let live = !frozen;
        out.done = (t.terminated || at_limit) && live;
        out.terminated = (t.terminated && live) || (((raw & TERMINATED_BIT) != 0u) && frozen);
        out.truncated = (at_limit && live) || (((raw & TRUNCATED_BIT) != 0u) && frozen);
        let count = length + select(0u, TERMINATED_BIT, t.terminated) + select(0u, TRUNCATED_BIT, at_limit);
        if (!frozen) {
            *s = t.state;
            *elapsed = count;
        }
        out.obs = env_observe(*p, *s);
        out.final_obs = out.obs;
        out.reward = select(t.reward, 0.0, frozen);
        out.reset = false;
    }
    return out;
}

fn store_outputs(out: Outcome, i: u32) {
    obs_store(out.obs, 0u, i);
    if (ctl.mode == MODE_SAME_STEP && out.done) {
        obs_store(out.final_obs, OBS_DIM, i);
    }
    reward[i] = out.reward;
    flags[i] = select(0u, FLAG_TERMINATED, out.terminated) | select(0u, FLAG_TRUNCATED, out.truncated);
}

// Env index of this invocation: dispatches past 65,535 workgroups use a second dimension.
fn env_of(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WORKGROUP;
}

@compute @workgroup_size(64)
fn step_envs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = env_of(gid, nwg);
    if (i >= ctl.n) {
        return;
    }
    var p = params_load(i);
    var s = state_load(i);
    var elapsed = counters[i];
    var episode = counters[ctl.n + i];
    let ekey = env_key(ctl.seed_key, ctl.env_offset + i);
    var key = 0u;
    let out = advance(&p, &s, &elapsed, &episode, ekey, &key, action_load(i));
    if (out.reset && ctl.redraw != 0u) {
        store_redrawn(p, i);
    }
    state_store(s, i);
    store_outputs(out, i);
    counters[i] = elapsed;
    counters[ctl.n + i] = episode;
}

// Starts an episode in every env (RESET_NEXT: the next of its stream; RESET_SEED: episode 0 of
// the seed, drawing the fixed parameter ranges first) or in the envs whose mask entry is set
// (RESET_MASK); or recomputes the observation of the masked envs' states (RESET_OBSERVE).
// Core: VecEnv::reset, reset_with_seed, reset_envs and kernel::reset_range.
@compute @workgroup_size(64)
fn reset_envs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = env_of(gid, nwg);
    if (i >= ctl.n) {
        return;
    }
    if ((ctl.reset_kind == RESET_MASK || ctl.reset_kind == RESET_OBSERVE) && input[i] == 0u) {
        return;
    }
    if (ctl.reset_kind == RESET_OBSERVE) {
        // A state written by the host (set_env_state): its observation, and mid-episode flags.
        obs_store(env_observe(params_load(i), state_load(i)), 0u, i);
        flags[i] = 0u;
        return;
    }
    let env = ctl.env_offset + i;
    var episode = counters[ctl.n + i] + 1u;
    if (ctl.reset_kind == RESET_SEED) {
        episode = 0u;
        let key0 = episode_key(ctl.seed_key, env, 0u);
        var bits = ctl.fixed;
        while (bits != 0u) {
            let k = firstTrailingBit(bits);
            bits = bits & (bits - 1u);
            let v = uniform_bits(param_bits(key0, k), bitcast<f32>(params[PARAM_LOW + k]), bitcast<f32>(params[PARAM_HIGH + k]));
            params[params[PARAM_COLUMN + k] + i] = bitcast<u32>(v);
        }
    }
    let key = episode_key(ctl.seed_key, env, episode);
    var p = params_load(i);
    if (ctl.redraw != 0u) {
        redraw(&p, key);
        store_redrawn(p, i);
    }
    var rng = rng_from_key(key);
    let first = env_reset(p, &rng);
    state_store(first, i);
    obs_store(env_observe(p, first), 0u, i);
    counters[i] = 0u;
    counters[ctl.n + i] = episode;
    reward[i] = 0.0;
    flags[i] = 0u;
}
