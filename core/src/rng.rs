//! Counter-based random numbers keyed by `(seed, global env index, episode, draw)`.
//!
//! Nothing is stored between draws except the key, so any env's reset can be recomputed from
//! its coordinates alone: a shard that holds envs `k..` of a batch draws exactly what the
//! unsplit batch draws for them, and the GPU (`shaders/rng.wgsl`) draws the same numbers.
//! Only 32-bit integer operations are used because WGSL has no 64-bit integers.

use crate::lane::{Lane, U32Lane};

/// 2^32 / golden ratio: spreads consecutive counters across the 32-bit range.
pub const GOLDEN: u32 = 0x9e37_79b9;

/// A bijective 32-bit integer hash (the "lowbias32" finaliser: two multiply/xor-shift rounds).
#[inline(always)]
pub fn mix<U: U32Lane>(x: U) -> U {
    let x = x.xor(x.shr(16)).mul(U::splat(0x7feb_352d));
    let x = x.xor(x.shr(15)).mul(U::splat(0x846c_a68b));
    x.xor(x.shr(16))
}

/// Folds a 64-bit user seed into the 32-bit key the kernels use (done once on the host).
pub fn seed_key(seed: u64) -> u32 {
    let lo = seed as u32;
    let hi = (seed >> 32) as u32;
    mix(mix(lo ^ GOLDEN) ^ hi)
}

/// Distinguishes the action stream of an episode from its reset draws.
const ACTION_SALT: u32 = 0x5bd1_e995;

/// The key of episode `episode` of envs `env` (global indices) under `seed_key`: everything
/// random in that episode (its first state, on-device random actions) derives from it.
#[inline(always)]
pub fn episode_key<U: U32Lane>(seed_key: u32, env: U, episode: U) -> U {
    key_of_episode(env_key(seed_key, env), episode)
}

/// The half of [`episode_key`] that depends on the env only, so loops over many episodes of
/// the same envs (rollouts) compute it once.
#[inline(always)]
pub fn env_key<U: U32Lane>(seed_key: u32, env: U) -> U {
    mix(U::splat(seed_key).xor(env))
}

/// [`episode_key`] from the env's [`env_key`].
#[inline(always)]
pub fn key_of_episode<U: U32Lane>(env_key: U, episode: U) -> U {
    mix(env_key.xor(episode))
}

/// 32 random bits for component `component` (of `dims`) of the action taken at step `step` of
/// the episode with key `key`: the hash of counter `step * dims + component` offset by the
/// salted key. One hash per value, so the GPU and every lane type draw alike; `dims` is a
/// constant at every call site, so for one-component actions there is no multiply.
#[inline(always)]
pub fn action_bits<U: U32Lane>(key: U, step: U, component: u32, dims: u32) -> U {
    let counter = if dims == 1 { step } else { step.mul(U::splat(dims)) };
    mix(key.xor(U::splat(ACTION_SALT)).add(counter).add(U::splat(component)))
}

/// The draws of one episode for `L::WIDTH` envs at once.
#[derive(Clone, Copy)]
pub struct Rng<L: Lane> {
    key: L::U32,
    draw: u32,
}

impl<L: Lane> Rng<L> {
    /// The stream of episode `episode` of envs `env` (global indices) under `seed_key`.
    #[inline(always)]
    pub fn new(seed_key: u32, env: L::U32, episode: L::U32) -> Self {
        Rng::from_key(episode_key(seed_key, env, episode))
    }

    /// The stream of the episode whose [`episode_key`] is `key`.
    #[inline(always)]
    pub fn from_key(key: L::U32) -> Self {
        Rng { key, draw: 0 }
    }

    /// The next 32 random bits.
    #[inline(always)]
    pub fn next_u32(&mut self) -> L::U32 {
        let counter = self.draw.wrapping_mul(GOLDEN);
        self.draw += 1;
        mix(self.key.add(L::U32::splat(counter)))
    }

    /// Uniform in `[low, high)` from the next draw ([`uniform_lanes`]); the bounds may differ
    /// per env (per-env parameters).
    #[inline(always)]
    pub fn uniform(&mut self, low: L, high: L) -> L {
        uniform_lanes(self.next_u32(), low, high)
    }
}

/// Uniform in `[low, high)` from 32 random bits, as `numpy`'s `low + (high - low) * U` with `U`
/// the top 24 bits times 2^-24 (every `U` exactly representable). Shared by resets, random
/// actions and parameter draws.
///
/// `low + (high - low) * U` can round up to `high` itself (e.g. `0.5 + (2^24 - 1) * 2^-22`
/// is 4.5 in f32), so a draw that lands on `high` is returned as `low`: the interval is
/// half-open as documented, and the 2^-24 of probability moved is below anything a test of
/// the distribution can see. (When `low == high` both are the same value.)
#[inline(always)]
pub fn uniform_lanes<L: Lane>(bits: L::U32, low: L, high: L) -> L {
    // `(k * 2^-24) * range` equals `k * (range * 2^-24)` bit for bit (scaling by a power of
    // two is exact), and the second form is one multiply per draw instead of two.
    let v = low + L::from_u32(bits.shr(8)) * ((high - low) * L::splat(1.0 / 16_777_216.0));
    L::select(v.lt(high), v, low)
}

/// [`uniform_lanes`] with the same bounds in every lane.
#[inline(always)]
pub fn uniform<L: Lane>(bits: L::U32, low: f32, high: f32) -> L {
    uniform_lanes(bits, L::splat(low), L::splat(high))
}

/// Distinguishes per-env parameter draws from reset draws and actions.
const PARAM_SALT: u32 = 0x27d4_eb2f;

/// 32 random bits for parameter field `field` of the episode with key `key`
/// ([`crate::config::ParamValue::Range`]).
#[inline(always)]
pub fn param_bits<U: U32Lane>(key: U, field: u32) -> U {
    mix(key.xor(U::splat(PARAM_SALT)).add(U::splat(field.wrapping_mul(GOLDEN))))
}
