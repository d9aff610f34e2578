//! The fused step, written once for every environment and every lane type.
//!
//! For each group of `L::WIDTH` envs: load state and action, run the env's dynamics, count the
//! step for truncation, observe, and where an env is done draw its next episode's first state
//! and blend it in (a select, not a branch per env), then store everything. One pass over the
//! batch, no allocation, no bounds checks (the buffers' lengths are checked once, when
//! [`Buffers`] is built by [`crate::VecEnv`]).

use crate::lane::{Lane, Mask, U32Lane};
use crate::record::{self, Record};
use crate::policy::LanePolicy;
use crate::rng::{self, Rng};
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

impl Buffers {
    pub(crate) fn ctx<E: Env>(&self, p: &E::Params) -> Ctx {
        Ctx { seed_key: self.seed_key, env_offset: self.env_offset, max_steps: E::max_episode_steps(p) }
    }
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

/// What one step produced for `L::WIDTH` envs.
pub(crate) struct Outcome<E: Env, L: Lane> {
    /// Observation after the step; the next episode's first one where `done`.
    pub obs: E::Obs<L>,
    /// Observation of the state the step reached, before any reset.
    pub final_obs: E::Obs<L>,
    pub reward: L,
    pub terminated: L::Mask,
    pub truncated: L::Mask,
    pub done: L::Mask,
    /// `done.any()`, computed once.
    pub any_done: bool,
    /// Steps the episode had taken after this step (its length where `done`).
    pub length: L::U32,
}

/// Seeds and limits shared by every step of a call.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    pub seed_key: u32,
    pub env_offset: u32,
    pub max_steps: u32,
}

/// Where the episode counters of a lane group live: in the batch's buffer (`step`) or in
/// registers (`rollout`).
///
/// A trait with `inline(always)` methods rather than a closure: a closure is not
/// `inline(always)`, and intrinsics left in an out-of-line closure become function calls.
pub(crate) trait Episodes<L: Lane> {
    /// Advances the episode counter of the `done` lanes and returns their new episodes' keys
    /// ([`rng::episode_key`]; other lanes' values are ignored).
    ///
    /// # Safety
    /// The implementation's buffer (if any) must be live for its lane group.
    unsafe fn next(&mut self, done: L::Mask) -> L::U32;
}

/// Episode counters in the batch buffer: touched only when some lane is done.
struct BatchEpisodes<'a> {
    b: &'a Buffers,
    ctx: Ctx,
    i: usize,
}

impl<L: Lane> Episodes<L> for BatchEpisodes<'_> {
    #[inline(always)]
    unsafe fn next(&mut self, done: L::Mask) -> L::U32 {
        let ptr = self.b.episode.add(self.i);
        let episode = L::U32::load(ptr);
        let episode = L::U32::select(done, episode.add(L::U32::splat(1)), episode);
        episode.store(ptr);
        rng::episode_key(self.ctx.seed_key, env_index::<L>(self.ctx, self.i), episode)
    }
}

/// Episode counters and keys held in registers for a rollout.
struct RegisterEpisodes<'a, L: Lane> {
    episode: &'a mut L::U32,
    key: &'a mut L::U32,
    env_key: L::U32,
}

impl<L: Lane> Episodes<L> for RegisterEpisodes<'_, L> {
    #[inline(always)]
    unsafe fn next(&mut self, done: L::Mask) -> L::U32 {
        *self.episode = L::U32::select(done, self.episode.add(L::U32::splat(1)), *self.episode);
        *self.key = L::U32::select(done, rng::key_of_episode(self.env_key, *self.episode), *self.key);
        *self.key
    }
}

/// The fused step on values (no memory): dynamics, time limit, observation and same-step
/// auto-reset. `state` and `elapsed` are updated in place; `episodes` is only asked for new
/// episodes when some lane is done.
#[inline(always)]
pub(crate) fn advance<E: Env, L: Lane>(
    p: &E::Params,
    ctx: Ctx,
    state: &mut E::State<L>,
    elapsed: &mut L::U32,
    action: &E::Action<L>,
    episodes: &mut impl Episodes<L>,
) -> Outcome<E, L> {
    let t = E::step(p, state, action);
    // Gymnasium's TimeLimit: truncated once the episode has taken max_episode_steps steps,
    // whether or not it also terminated. Counting up from 0 and comparing for equality means 0
    // (no limit) never truncates.
    let length = elapsed.add(L::U32::splat(1));
    let truncated = length.eq(L::U32::splat(ctx.max_steps));
    let done = t.terminated | truncated;
    let final_obs = E::observe(p, &t.state);
    let mut next = t.state;
    let mut obs = final_obs;
    let mut count = length;
    // A branch per vector, not per env: most vectors have no env finishing this step.
    let any_done = done.any();
    if any_done {
        // SAFETY: the caller's `Episodes` covers this lane group.
        let mut rng = Rng::<L>::from_key(unsafe { episodes.next(done) });
        let first = E::reset(p, &mut rng);
        next = record::select(done, &first, &next);
        obs = record::select(done, &E::observe(p, &first), &obs);
        count = L::U32::select(done, L::U32::splat(0), count);
    }
    *state = next;
    *elapsed = count;
    Outcome { obs, final_obs, reward: t.reward, terminated: t.terminated, truncated, done, any_done, length }
}

/// Global indices of envs `i .. i + L::WIDTH`.
#[inline(always)]
fn env_index<L: Lane>(ctx: Ctx, i: usize) -> L::U32 {
    L::U32::splat(ctx.env_offset.wrapping_add(i as u32)).add(L::U32::iota())
}

/// Steps envs `i .. i + L::WIDTH` from and to the batch buffers.
#[inline(always)]
unsafe fn step_lanes<E: Env, L: Lane>(p: &E::Params, b: &Buffers, ctx: Ctx, i: usize, discrete: bool) {
    let n = b.n;
    let mut state: E::State<L> = record::load(b.state, n, i);
    let mut elapsed = L::U32::load(b.elapsed.add(i));
    let action = load_action::<E, L>(b, i, discrete);
    let out = advance::<E, L>(p, ctx, &mut state, &mut elapsed, &action, &mut BatchEpisodes { b, ctx, i });
    if out.any_done {
        // Only the finished envs' entries: the others keep theirs, and a group with one
        // finished env does not pull the whole final_obs buffer through the cache.
        record::store_masked(out.done, &out.final_obs, b.final_obs, n, i);
    }
    if !E::OBS_IS_STATE {
        record::store(&state, b.state, n, i);
    }
    record::store(&out.obs, b.obs, n, i);
    out.reward.store(b.reward.add(i));
    out.terminated.store_bytes(b.terminated.add(i));
    out.truncated.store_bytes(b.truncated.add(i));
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
    let ctx = b.ctx::<E>(p);
    let mut i = start;
    while i + L::WIDTH <= end {
        step_lanes::<E, L>(p, b, ctx, i, discrete);
        i += L::WIDTH;
    }
    while i < end {
        step_lanes::<E, f32>(p, b, ctx, i, discrete);
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

/// Where a rollout writes its statistics and (optionally) its trajectory.
pub(crate) struct RolloutBuffers {
    pub reward_sum: *mut f32,
    pub episodes: *mut u32,
    pub length_sum: *mut u32,
    /// Null when not recording; else `[steps][obs_dim][n]`.
    pub rec_obs: *mut f32,
    /// `[steps][action_dim][n]` (discrete actions as their index).
    pub rec_actions: *mut f32,
    /// `[steps][n]`.
    pub rec_reward: *mut f32,
    pub rec_terminated: *mut u8,
    pub rec_truncated: *mut u8,
}

// SAFETY: as for `Buffers`: disjoint env ranges per thread.
unsafe impl Sync for RolloutBuffers {}

/// What a rollout carries from step to step for envs `i .. i + L::WIDTH`, in registers:
/// state, observation, step and episode counters, the episode's key and the statistics.
struct RolloutLanes<E: Env, L: Lane> {
    i: usize,
    state: E::State<L>,
    obs: E::Obs<L>,
    elapsed: L::U32,
    episode: L::U32,
    env_key: L::U32,
    key: L::U32,
    reward_sum: L,
    episodes: L::U32,
    length_sum: L::U32,
    last: Option<Outcome<E, L>>,
}

impl<E: Env, L: Lane> RolloutLanes<E, L> {
    #[inline(always)]
    unsafe fn load(b: &Buffers, ctx: Ctx, i: usize) -> Self {
        let (n, episode) = (b.n, L::U32::load(b.episode.add(i)));
        let env_key = rng::env_key(ctx.seed_key, env_index::<L>(ctx, i));
        RolloutLanes {
            i,
            state: record::load(b.state, n, i),
            obs: record::load(b.obs, n, i),
            elapsed: L::U32::load(b.elapsed.add(i)),
            episode,
            env_key,
            key: rng::key_of_episode(env_key, episode),
            reward_sum: L::splat(0.0),
            episodes: L::U32::splat(0),
            length_sum: L::U32::splat(0),
            last: None,
        }
    }

    /// Step `t` of the rollout: act, advance, count, and record if `r` records.
    #[inline(always)]
    unsafe fn step<P: LanePolicy>(&mut self, p: &E::Params, ctx: Ctx, policy: &P, r: &RolloutBuffers, n: usize, t: usize) {
        let i = self.i;
        let (zero, one) = (L::U32::splat(0), L::U32::splat(1));
        let recording = !r.rec_obs.is_null();
        let action = policy.act::<E, L>(&self.obs, self.key, self.elapsed, i);
        if recording {
            let (od, ad) = (E::Obs::<L>::LEN, E::Action::<L>::LEN);
            record::store(&self.obs, r.rec_obs, n, i + t * od * n);
            record::store(&action, r.rec_actions, n, i + t * ad * n);
        }
        let mut episodes = RegisterEpisodes::<L> { episode: &mut self.episode, key: &mut self.key, env_key: self.env_key };
        let out = advance::<E, L>(p, ctx, &mut self.state, &mut self.elapsed, &action, &mut episodes);
        self.reward_sum = self.reward_sum + out.reward;
        if out.any_done {
            self.episodes = self.episodes.add(L::U32::select(out.done, one, zero));
            self.length_sum = self.length_sum.add(L::U32::select(out.done, out.length, zero));
        }
        if recording {
            out.reward.store(r.rec_reward.add(t * n + i));
            out.terminated.store_bytes(r.rec_terminated.add(t * n + i));
            out.truncated.store_bytes(r.rec_truncated.add(t * n + i));
        }
        self.obs = out.obs;
        self.last = Some(out);
    }

    /// Writes back what the batch keeps and the statistics.
    #[inline(always)]
    unsafe fn store(self, b: &Buffers, r: &RolloutBuffers) {
        let (n, i) = (b.n, self.i);
        if let Some(out) = self.last {
            if out.any_done {
                // Only the finished envs' entries: the others keep theirs, and a group with one
        // finished env does not pull the whole final_obs buffer through the cache.
        record::store_masked(out.done, &out.final_obs, b.final_obs, n, i);
            }
            out.reward.store(b.reward.add(i));
            out.terminated.store_bytes(b.terminated.add(i));
            out.truncated.store_bytes(b.truncated.add(i));
        }
        if !E::OBS_IS_STATE {
            record::store(&self.state, b.state, n, i);
        }
        record::store(&self.obs, b.obs, n, i);
        self.elapsed.store(b.elapsed.add(i));
        self.episode.store(b.episode.add(i));
        self.reward_sum.store(r.reward_sum.add(i));
        self.episodes.store(r.episodes.add(i));
        self.length_sum.store(r.length_sum.add(i));
    }
}

/// `steps` steps of envs `i .. i + L::WIDTH`, kept in registers from the first step to the
/// last. (Overlapping independent dependency chains is the lane type's job: `Pair`.)
#[inline(always)]
unsafe fn rollout_lanes<E: Env, L: Lane, P: LanePolicy>(
    p: &E::Params,
    b: &Buffers,
    ctx: Ctx,
    policy: &P,
    r: &RolloutBuffers,
    steps: usize,
    i: usize,
) {
    let mut lanes = RolloutLanes::<E, L>::load(b, ctx, i);
    for t in 0..steps {
        lanes.step(p, ctx, policy, r, b.n, t);
    }
    lanes.store(b, r);
}

/// A rollout of envs `start..end`, one lane group at a time (scalar lanes for the tail).
///
/// # Safety
/// As [`step_range`], plus `r` sized for `b.n` envs and `steps`.
#[inline(always)]
pub(crate) unsafe fn rollout_range<E: Env, L: Lane, P: LanePolicy>(
    p: &E::Params,
    b: &Buffers,
    policy: &P,
    r: &RolloutBuffers,
    steps: usize,
    start: usize,
    end: usize,
) {
    let ctx = b.ctx::<E>(p);
    let mut i = start;
    while i + L::WIDTH <= end {
        rollout_lanes::<E, L, P>(p, b, ctx, policy, r, steps, i);
        i += L::WIDTH;
    }
    while i < end {
        rollout_lanes::<E, f32, P>(p, b, ctx, policy, r, steps, i);
        i += 1;
    }
}
