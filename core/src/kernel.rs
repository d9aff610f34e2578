//! The fused step, written once for every environment and every lane type.
//!
//! For each group of `L::WIDTH` envs: load state and action, run the env's dynamics, count the
//! step for truncation, observe, and where an env is done draw its next episode's first state
//! and blend it in (a select, not a branch per env), then store everything. One pass over the
//! batch, no allocation, no bounds checks (the buffers' lengths are checked once, when
//! [`Buffers`] is built by [`crate::VecEnv`]).

use crate::lane::{Lane, Mask, U32Lane};
use crate::record::{self, Record};
use crate::rng::Rng;
use crate::spec::Env;

/// Raw views of a batch's buffers, shared by the threads that step disjoint ranges of it.
///
/// Every float buffer with several components is feature-major with stride `n`.
pub(crate) struct Buffers {
    pub n: usize,
    /// Global index of env 0 of this batch (shards start at their offset).
    pub env_offset: u32,
    pub seed_key: u32,
    /// Equal to `obs` when `E::OBS_IS_STATE`.
    pub state: *mut f32,
    pub elapsed: *mut u32,
    pub episode: *mut u32,
    pub obs: *mut f32,
    pub final_obs: *mut f32,
    pub reward: *mut f32,
    pub terminated: *mut u8,
    pub truncated: *mut u8,
    /// `u32` for discrete envs, `f32` for continuous ones (same size, one pointer).
    pub actions: *const u32,
}

// SAFETY: the pointers come from buffers owned by one `VecEnv` that is mutably borrowed for the
// whole step; threads touch disjoint env ranges only (`Executor::run` contract).
unsafe impl Sync for Buffers {}
unsafe impl Send for Buffers {}

#[inline(always)]
unsafe fn load_action<E: Env, L: Lane>(b: &Buffers, i: usize, discrete: bool) -> E::Action<L> {
    E::Action::<L>::from_fn(|k| {
        let p = b.actions.add(k * b.n + i);
        if discrete {
            // Checked to be < n (tiny) before the step, so the conversion is exact.
            L::from_u32(L::U32::load(p))
        } else {
            L::load(p as *const f32)
        }
    })
}

/// Steps envs `i .. i + L::WIDTH`.
#[inline(always)]
unsafe fn step_lanes<E: Env, L: Lane>(p: &E::Params, b: &Buffers, i: usize, discrete: bool, max_steps: u32) {
    let n = b.n;
    let state: E::State<L> = record::load(b.state, n, i);
    let action = load_action::<E, L>(b, i, discrete);
    let t = E::step(p, &state, &action);

    // Gymnasium's TimeLimit: truncated once the episode has taken max_episode_steps steps,
    // whether or not it also terminated. Counting up from 0 and comparing for equality means 0
    // (no limit) never truncates.
    let elapsed = L::U32::load(b.elapsed.add(i)).add(L::U32::splat(1));
    let truncated = elapsed.eq(L::U32::splat(max_steps));
    let done = t.terminated | truncated;

    let mut next = t.state;
    let mut obs = E::observe(p, &next);
    let mut elapsed = elapsed;
    // A branch per vector, not per env: most vectors have no env finishing this step.
    if done.any() {
        record::store(&obs, b.final_obs, n, i);
        let episode = L::U32::load(b.episode.add(i));
        let episode = L::U32::select(done, episode.add(L::U32::splat(1)), episode);
        episode.store(b.episode.add(i));
        let env = L::U32::splat(b.env_offset.wrapping_add(i as u32)).add(L::U32::iota());
        let mut rng = Rng::<L>::new(b.seed_key, env, episode);
        let first = E::reset(p, &mut rng);
        next = record::select(done, &first, &next);
        obs = record::select(done, &E::observe(p, &first), &obs);
        elapsed = L::U32::select(done, L::U32::splat(0), elapsed);
    }
    if !E::OBS_IS_STATE {
        record::store(&next, b.state, n, i);
    }
    record::store(&obs, b.obs, n, i);
    t.reward.store(b.reward.add(i));
    t.terminated.store_bytes(b.terminated.add(i));
    truncated.store_bytes(b.truncated.add(i));
    elapsed.store(b.elapsed.add(i));
}

/// Steps envs `start..end` with lane type `L`, finishing the tail with scalar lanes (the same
/// code, so the same bits).
///
/// # Safety
/// `b` must describe live buffers of `b.n` envs and `start <= end <= b.n`; no other thread may
/// touch `start..end` meanwhile.
#[inline(always)]
pub(crate) unsafe fn step_range<E: Env, L: Lane>(p: &E::Params, b: &Buffers, start: usize, end: usize) {
    let discrete = E::action_space(p).is_discrete();
    let max_steps = E::max_episode_steps(p);
    let mut i = start;
    while i + L::WIDTH <= end {
        step_lanes::<E, L>(p, b, i, discrete, max_steps);
        i += L::WIDTH;
    }
    while i < end {
        step_lanes::<E, f32>(p, b, i, discrete, max_steps);
        i += 1;
    }
}

/// Writes the first state and observation of episode `episode[i]` for envs `start..end`.
///
/// # Safety
/// As [`step_range`].
pub(crate) unsafe fn reset_range<E: Env>(p: &E::Params, b: &Buffers, start: usize, end: usize) {
    for i in start..end {
        let env = b.env_offset.wrapping_add(i as u32);
        let mut rng = Rng::<f32>::new(b.seed_key, env, *b.episode.add(i));
        let first = E::reset(p, &mut rng);
        record::store(&first, b.state, b.n, i);
        record::store(&E::observe(p, &first), b.obs, b.n, i);
        *b.elapsed.add(i) = 0;
    }
}
