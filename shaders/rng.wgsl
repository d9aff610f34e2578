// Mirrors core/src/rng.rs: the counter-based RNG keyed by (seed, global env index, episode,
// draw). 32-bit integer operations only, which WGSL defines exactly as Rust's wrapping ones, so
// every draw here is bit-identical to the CPU's.

// 2^32 / golden ratio: spreads consecutive counters across the 32-bit range.
const GOLDEN: u32 = 0x9e3779b9u;
// Distinguishes the action stream of an episode from its reset draws.
const ACTION_SALT: u32 = 0x5bd1e995u;
// Distinguishes per-env parameter draws from reset draws and actions.
const PARAM_SALT: u32 = 0x27d4eb2fu;

// The lowbias32 finaliser: a bijective 32-bit hash.
fn mix(x0: u32) -> u32 {
    var x = (x0 ^ (x0 >> 16u)) * 0x7feb352du;
    x = (x ^ (x >> 15u)) * 0x846ca68bu;
    return x ^ (x >> 16u);
}

// The half of episode_key that depends on the env only.
fn env_key(seed_key: u32, env: u32) -> u32 {
    return mix(seed_key ^ env);
}

// episode_key from the env's env_key.
fn key_of_episode(ekey: u32, episode: u32) -> u32 {
    return mix(ekey ^ episode);
}

// The key of episode `episode` of env `env` (global index) under `seed_key`.
fn episode_key(seed_key: u32, env: u32, episode: u32) -> u32 {
    return key_of_episode(env_key(seed_key, env), episode);
}

// 32 random bits for action component `component` (of `dims`) at step `step` of the episode.
fn action_bits(key: u32, step: u32, component: u32, dims: u32) -> u32 {
    return mix((key ^ ACTION_SALT) + step * dims + component);
}

// 32 random bits for parameter field `field` of the episode with key `key`.
fn param_bits(key: u32, field: u32) -> u32 {
    return mix((key ^ PARAM_SALT) + field * GOLDEN);
}

// The draws of one episode: the key and how many draws were taken.
struct Rng {
    key: u32,
    draw: u32,
}

fn rng_from_key(key: u32) -> Rng {
    return Rng(key, 0u);
}

fn rng_next_u32(rng: ptr<function, Rng>) -> u32 {
    let counter = (*rng).draw * GOLDEN;
    (*rng).draw = (*rng).draw + 1u;
    return mix((*rng).key + counter);
}

// Uniform in [low, high) as numpy's low + (high - low) * U, U = top 24 bits * 2^-24; a draw that
// rounds up to `high` is returned as `low` (core's uniform_lanes).
fn uniform_bits(bits: u32, low: f32, high: f32) -> f32 {
    let v = low + f32(bits >> 8u) * ((high - low) * (1.0 / 16777216.0));
    return select(low, v, v < high);
}

fn rng_uniform(rng: ptr<function, Rng>, low: f32, high: f32) -> f32 {
    return uniform_bits(rng_next_u32(rng), low, high);
}
