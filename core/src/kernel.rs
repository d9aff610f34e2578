//! The fused step, written once for every environment, lane type and autoreset mode.
//!
//! For each group of `L::WIDTH` envs: load state, parameters and action, run the env's
//! dynamics, count the step for truncation, observe, and where an env starts a new episode draw
//! its first state (and, if asked, its parameters) and blend it in (a select, not a branch per
//! env), then store everything. Lane types with [`Lane::QUEUES_RESETS`] (the AVX pairs) queue
//! those envs instead and draw their first states a full vector at a time, later in the same
//! pass (`start_queued`). One pass over the batch, no allocation, no bounds checks (the
//! buffers' lengths are checked once, when `Buffers` is built by [`crate::VecEnv`]).
//!
//! Autoreset modes ([`Autoreset`]) differ only in which lanes reset and what the step reports;
//! the mode is a run-time value, the same for a whole call, so its branch is predicted.
//! In next-step and disabled modes the "done last step" state rides in the two top bits of the
//! step counter ([`TERMINATED_BIT`], [`TRUNCATED_BIT`]), which the step loads anyway: no extra
//! buffer and no extra memory traffic.

use crate::config::Autoreset;
use crate::exec::CHUNK_ALIGN;
use crate::lane::{Lane, Mask, U32Lane};
use crate::params::{ParamSet, MAX_EPISODE_STEPS_LIMIT, MAX_PARAM_FIELDS};
use crate::policy::LanePolicy;
use crate::record::{self, Record};
use crate::rng::{self, Rng};
use crate::spec::{Env, ParamLanes, MAX_OBS_DIM, MAX_STATE_DIM};

/// Set in a step counter when the episode terminated on the last step (next-step, disabled).
pub const TERMINATED_BIT: u32 = 1 << 31;
/// Set in a step counter when the episode was truncated on the last step (next-step, disabled).
pub const TRUNCATED_BIT: u32 = 1 << 30;
/// Both flag bits; the count itself is below 2^30 (`params::MAX_EPISODE_STEPS_LIMIT`).
pub const DONE_BITS: u32 = TERMINATED_BIT | TRUNCATED_BIT;

/// Widest lane group (`Pair<Avx512F32>`): 32 envs.
const MAX_WIDTH: usize = 32;
/// Most fields of a state or observation record.
const MAX_RECORD_LEN: usize = if MAX_OBS_DIM > MAX_STATE_DIM { MAX_OBS_DIM } else { MAX_STATE_DIM };

/// Per-env parameter columns and the ranges redrawn at every reset.
#[derive(Clone, Copy)]
pub(crate) struct ParamBuffers {
    /// Column of field `k` (`[num_envs]`), or null when the field is shared.
    pub columns: [*const f32; MAX_PARAM_FIELDS],
    /// Bit `k` set: field `k` is drawn from `low[k]..high[k]` at every reset.
    pub redraw: u32,
    pub low: [f32; MAX_PARAM_FIELDS],
    pub high: [f32; MAX_PARAM_FIELDS],
}

impl ParamBuffers {
    pub(crate) const SHARED: ParamBuffers = ParamBuffers {
        columns: [core::ptr::null(); MAX_PARAM_FIELDS],
        redraw: 0,
        low: [0.0; MAX_PARAM_FIELDS],
        high: [0.0; MAX_PARAM_FIELDS],
    };
}

/// Raw views of a batch's buffers, shared by the threads that step disjoint ranges of it.
///
/// Every float buffer with several components is feature-major with stride `n`.
pub(crate) struct Buffers {
    pub n: usize,
    /// Global index of env 0 of this batch (shards start at their offset).
    pub env_offset: u32,
    pub seed_key: u32,
    pub mode: Autoreset,
    /// Equal to `obs` when `E::OBS_IS_STATE`.
    pub state: *mut f32,
    /// Steps of the current episode, with [`DONE_BITS`] in next-step and disabled modes.
    pub elapsed: *mut u32,
    pub episode: *mut u32,
    pub obs: *mut f32,
    pub reward: *mut f32,
    pub terminated: *mut u8,
    pub truncated: *mut u8,
    /// `u32` for discrete envs, `f32` for continuous ones (same size, one pointer).
    pub actions: *const u32,
    pub params: ParamBuffers,
    /// Same-step final observations, packed per block of [`CHUNK_ALIGN`] envs: block `b`'s
    /// finished envs are `final_index[64 b .. 64 b + final_count[b]]`, their observations
    /// `final_obs[(64 b + j) * obs_dim ..]` (env-major, so each one is contiguous).
    pub final_count: *mut u32,
    pub final_index: *mut u32,
    pub final_obs: *mut f32,
}

impl Buffers {
    pub(crate) fn ctx<E: Env>(&self, p: &E::Params) -> Ctx {
        Ctx {
            seed_key: self.seed_key,
            env_offset: self.env_offset,
            max_steps: p.max_episode_steps(),
            mode: self.mode,
            redraw: self.params.redraw,
        }
    }
}

// SAFETY: the pointers come from buffers owned by one `VecEnv` that is mutably borrowed for the
// whole step; threads touch disjoint env ranges only (`Executor` contract).
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
    /// Observation the step returns (see [`Autoreset`] for what it is in each mode).
    pub obs: E::Obs<L>,
    /// Same-step mode: the observation of the state the step reached, before any reset.
    pub final_obs: E::Obs<L>,
    pub reward: L,
    pub terminated: L::Mask,
    pub truncated: L::Mask,
    /// Episodes that ended on this step (counted once, in every mode).
    pub done: L::Mask,
    /// `done.any()`, computed once.
    pub any_done: bool,
    /// Lanes that started a new episode on this step (their parameters may have been redrawn).
    pub any_reset: bool,
    /// Steps the episode had taken after this step (its length where `done`).
    pub length: L::U32,
}

/// Seeds, limits and the mode shared by every step of a call.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    pub seed_key: u32,
    pub env_offset: u32,
    pub max_steps: u32,
    pub mode: Autoreset,
    pub redraw: u32,
}

/// Runs `$body` with `$c` a copy of `$ctx` whose mode is a literal in each arm: once the body is
/// inlined, `advance`'s `match` on the mode folds away, so the per-group path carries no
/// branch on it (the loop is compiled once per mode). Measured with callgrind on CartPole
/// (`docs/benchmarks.md`, "Instructions per env-step").
macro_rules! per_mode {
    ($ctx:expr, |$c:ident| $body:expr) => {
        match $ctx.mode {
            Autoreset::SameStep => {
                let $c = Ctx { mode: Autoreset::SameStep, ..$ctx };
                $body
            }
            Autoreset::NextStep => {
                let $c = Ctx { mode: Autoreset::NextStep, ..$ctx };
                $body
            }
            Autoreset::Disabled => {
                let $c = Ctx { mode: Autoreset::Disabled, ..$ctx };
                $body
            }
        }
    };
}

/// Where the episode counters of a lane group live: in the batch's buffer (`step`) or in
/// registers (`rollout`).
///
/// A trait with `inline(always)` methods rather than a closure: a closure is not
/// `inline(always)`, and intrinsics left in an out-of-line closure become function calls.
pub(crate) trait Episodes<L: Lane> {
    /// When true, [`advance`] hands the lanes that start an episode to [`Episodes::queue`] and
    /// leaves their state and observation as the step left them; the caller starts those
    /// episodes later in the same pass ([`start_queued`]).
    const QUEUES: bool = false;
    /// Queues the `reset` lanes' new episodes (only called when [`Episodes::QUEUES`]).
    ///
    /// # Safety
    /// As [`Episodes::next`].
    #[inline(always)]
    unsafe fn queue(&mut self, _reset: L::Mask) {}
    /// Advances the episode counter of the `reset` lanes and returns their new episodes' keys
    /// ([`rng::episode_key`]; other lanes' values are ignored).
    ///
    /// # Safety
    /// The implementation's buffer (if any) must be live for its lane group.
    unsafe fn next(&mut self, reset: L::Mask) -> L::U32;
}

/// Episode counters in the batch buffer: touched only when some lane resets.
#[derive(Clone, Copy)]
struct BatchEpisodes<'a> {
    b: &'a Buffers,
    ctx: Ctx,
    i: usize,
}

impl<L: Lane> Episodes<L> for BatchEpisodes<'_> {
    #[inline(always)]
    unsafe fn next(&mut self, reset: L::Mask) -> L::U32 {
        let ptr = self.b.episode.add(self.i);
        let episode = L::U32::load(ptr);
        let episode = L::U32::select(reset, episode.add(L::U32::splat(1)), episode);
        episode.store(ptr);
        rng::episode_key(self.ctx.seed_key, env_index::<L>(self.ctx, self.i), episode)
    }
}

/// Envs of a range (batch indices) whose new episodes wait to be started together
/// ([`start_queued`]); room for one lane group's worth left over plus a whole group.
struct ResetQueue {
    envs: [u32; 2 * MAX_WIDTH],
    len: usize,
}

/// The batch's episode counters, with new episodes queued rather than started in the group.
struct QueuedEpisodes<'a> {
    batch: BatchEpisodes<'a>,
    queue: &'a mut ResetQueue,
}

impl<L: Lane> Episodes<L> for QueuedEpisodes<'_> {
    const QUEUES: bool = true;
    #[inline(always)]
    unsafe fn queue(&mut self, reset: L::Mask) {
        // SAFETY: `len < L::WIDTH` between groups ([`start_queued`] runs when it reaches it),
        // so `WIDTH` more values fit in `2 * MAX_WIDTH`.
        let q = &mut *self.queue;
        q.len += reset.compress_indices(self.batch.i as u32, q.envs.as_mut_ptr().add(q.len));
    }
    #[inline(always)]
    unsafe fn next(&mut self, reset: L::Mask) -> L::U32 {
        Episodes::<L>::next(&mut self.batch, reset)
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
    unsafe fn next(&mut self, reset: L::Mask) -> L::U32 {
        *self.episode = L::U32::select(reset, self.episode.add(L::U32::splat(1)), *self.episode);
        *self.key = L::U32::select(reset, rng::key_of_episode(self.env_key, *self.episode), *self.key);
        *self.key
    }
}

/// The lanes' parameters for a new episode: the redrawn fields from the episode's key where
/// `reset`, the others as they were.
#[inline(always)]
pub(crate) fn redraw<E: Env, L: Lane>(pl: &mut ParamLanes<E, L>, pb: &ParamBuffers, key: L::U32, reset: L::Mask) {
    let mut bits = pb.redraw;
    while bits != 0 {
        let k = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        let drawn = rng::uniform::<L>(rng::param_bits(key, k as u32), pb.low[k], pb.high[k]);
        let field = E::Params::field_mut::<L>(pl, k);
        *field = L::select(reset, drawn, *field);
    }
}

/// Starts new episodes in the `reset` lanes (`any`: some lane resets), or queues them when
/// `episodes` queues. Returns whether the lanes' parameters may have been redrawn here.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn begin_episodes<E: Env, L: Lane, const PER_ENV: bool, P: Episodes<L>>(
    pl: &mut ParamLanes<E, L>,
    pb: &ParamBuffers,
    ctx: Ctx,
    reset: L::Mask,
    any: bool,
    episodes: &mut P,
    next: &mut E::State<L>,
    obs: &mut E::Obs<L>,
) -> bool {
    if P::QUEUES {
        // No branch on the mask: compressing the lanes costs less than the mispredictions
        // of a branch taken by about half the groups.
        // SAFETY: the caller's `Episodes` covers this lane group.
        unsafe { episodes.queue(reset) };
        false
    } else if any {
        // A branch per vector, not per env: most vectors have no env starting an episode.
        start_episodes::<E, L, PER_ENV>(pl, pb, ctx, reset, episodes, next, obs);
        true
    } else {
        false
    }
}

/// Starts new episodes in the `reset` lanes: draws the episode's key (and parameters, when
/// redrawn), the first state, and blends both into `next` and `obs`.
#[inline(always)]
fn start_episodes<E: Env, L: Lane, const PER_ENV: bool>(
    pl: &mut ParamLanes<E, L>,
    pb: &ParamBuffers,
    ctx: Ctx,
    reset: L::Mask,
    episodes: &mut impl Episodes<L>,
    next: &mut E::State<L>,
    obs: &mut E::Obs<L>,
) {
    // SAFETY: the caller's `Episodes` covers this lane group.
    let key = unsafe { episodes.next(reset) };
    if PER_ENV && ctx.redraw != 0 {
        redraw::<E, L>(pl, pb, key, reset);
    }
    let mut rng = Rng::<L>::from_key(key);
    let first = E::reset(pl, &mut rng);
    *next = record::select(reset, &first, next);
    *obs = record::select(reset, &E::observe(pl, &first), obs);
}

/// `flag ? bit : 0` per lane.
#[inline(always)]
fn bit_if<L: Lane>(flag: L::Mask, bit: u32) -> L::U32 {
    L::U32::select(flag, L::U32::splat(bit), L::U32::splat(0))
}

/// Whether `bit` is set in each lane of `x`.
#[inline(always)]
fn has_bit<L: Lane>(x: L::U32, bit: u32) -> L::Mask {
    x.and(L::U32::splat(bit)).eq(L::U32::splat(bit))
}

/// The fused step on values (no memory): dynamics, time limit, observation and auto-reset in
/// `ctx.mode`. `state`, `elapsed` and (with redrawn parameters) `pl` are updated in place;
/// `episodes` is only asked for new episodes when some lane resets.
#[inline(always)]
pub(crate) fn advance<E: Env, L: Lane, const PER_ENV: bool>(
    pl: &mut ParamLanes<E, L>,
    pb: &ParamBuffers,
    ctx: Ctx,
    state: &mut E::State<L>,
    elapsed: &mut L::U32,
    action: &E::Action<L>,
    episodes: &mut impl Episodes<L>,
) -> Outcome<E, L> {
    let t = E::step(pl, state, action);
    let raw = *elapsed;
    let zero = L::U32::splat(0);
    // Gymnasium's TimeLimit: truncated once the episode has taken max_episode_steps steps,
    // whether or not it also terminated. Counting up from 0 and comparing for equality means 0
    // (no limit) never truncates.
    let mut length = raw.add(L::U32::splat(1));
    if ctx.max_steps == 0 {
        // No time limit: the count saturates below the flag bits instead of running into them.
        let over = L::U32::splat(MAX_EPISODE_STEPS_LIMIT + 1);
        length = L::U32::select(length.eq(over), L::U32::splat(MAX_EPISODE_STEPS_LIMIT), length);
    }
    let at_limit = length.eq(L::U32::splat(ctx.max_steps));
    match ctx.mode {
        Autoreset::SameStep => {
            let done = t.terminated | at_limit;
            let final_obs = E::observe(pl, &t.state);
            let (mut next, mut obs) = (t.state, final_obs);
            let any_done = done.any();
            let any_reset = begin_episodes::<E, L, PER_ENV, _>(pl, pb, ctx, done, any_done, episodes, &mut next, &mut obs);
            *state = next;
            *elapsed = L::U32::select(done, zero, length);
            Outcome { obs, final_obs, reward: t.reward, terminated: t.terminated, truncated: at_limit, done, any_done, any_reset, length }
        }
        Autoreset::NextStep => {
            // Envs that finished last step start their next episode now: their action is
            // ignored, the step reports the first observation, reward 0 and no flags.
            let pending = !raw.and(L::U32::splat(DONE_BITS)).eq(zero);
            let terminated = t.terminated & !pending;
            let truncated = at_limit & !pending;
            let done = terminated | truncated;
            let (mut next, mut obs) = (t.state, E::observe(pl, &t.state));
            let count = length.add(bit_if::<L>(terminated, TERMINATED_BIT)).add(bit_if::<L>(truncated, TRUNCATED_BIT));
            let any_reset = begin_episodes::<E, L, PER_ENV, _>(pl, pb, ctx, pending, pending.any(), episodes, &mut next, &mut obs);
            let reward = L::select(pending, L::splat(0.0), t.reward);
            *state = next;
            *elapsed = L::U32::select(pending, zero, count);
            Outcome { final_obs: obs, obs, reward, terminated, truncated, done, any_done: done.any(), any_reset, length }
        }
        Autoreset::Disabled => {
            // A finished env is frozen until `reset_envs`: its state and observation stay, its
            // reward is 0 and its flags stay as they were on the step it finished.
            let frozen = !raw.and(L::U32::splat(DONE_BITS)).eq(zero);
            let live = !frozen;
            let done = (t.terminated | at_limit) & live;
            let terminated = (t.terminated & live) | (has_bit::<L>(raw, TERMINATED_BIT) & frozen);
            let truncated = (at_limit & live) | (has_bit::<L>(raw, TRUNCATED_BIT) & frozen);
            let next = record::select(frozen, state, &t.state);
            let obs = E::observe(pl, &next);
            let count = length.add(bit_if::<L>(t.terminated, TERMINATED_BIT)).add(bit_if::<L>(at_limit, TRUNCATED_BIT));
            *elapsed = L::U32::select(frozen, raw, count);
            *state = next;
            let reward = L::select(frozen, L::splat(0.0), t.reward);
            Outcome { final_obs: obs, obs, reward, terminated, truncated, done, any_done: done.any(), any_reset: false, length }
        }
    }
}

/// Global indices of envs `i .. i + L::WIDTH`.
#[inline(always)]
fn env_index<L: Lane>(ctx: Ctx, i: usize) -> L::U32 {
    L::U32::splat(ctx.env_offset.wrapping_add(i as u32)).add(L::U32::iota())
}

/// The parameters of envs `i .. i + L::WIDTH`.
#[inline(always)]
unsafe fn load_params<E: Env, L: Lane, const PER_ENV: bool>(shared: &ParamLanes<E, L>, pb: &ParamBuffers, i: usize) -> ParamLanes<E, L> {
    if PER_ENV {
        E::Params::load::<L>(shared, &pb.columns, i)
    } else {
        *shared
    }
}

/// Writes back the redrawn parameter fields of envs `i .. i + L::WIDTH`.
#[inline(always)]
unsafe fn store_redrawn<E: Env, L: Lane>(pl: &mut ParamLanes<E, L>, pb: &ParamBuffers, i: usize) {
    let mut bits = pb.redraw;
    while bits != 0 {
        let k = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        E::Params::field_mut::<L>(pl, k).store(pb.columns[k].add(i) as *mut f32);
    }
}

/// Same-step mode: appends env `env`'s final observation (component `k` is `value(k)`) to its
/// block's packed list (see [`Buffers::final_obs`]). Appending in increasing env order keeps
/// each list sorted.
#[inline(always)]
unsafe fn append_final(b: &Buffers, od: usize, env: usize, value: impl Fn(usize) -> f32) {
    let block = env / CHUNK_ALIGN;
    let count = b.final_count.add(block);
    let slot = block * CHUNK_ALIGN + *count as usize;
    *b.final_index.add(slot) = env as u32;
    for k in 0..od {
        *b.final_obs.add(slot * od + k) = value(k);
    }
    *count += 1;
}

/// Same-step mode, without a reset queue: appends the final observations of the `done` lanes
/// of envs `i .. i + L::WIDTH` to their block's packed list.
#[inline(always)]
unsafe fn pack_final<E: Env, L: Lane>(b: &Buffers, i: usize, done: L::Mask, final_obs: &E::Obs<L>) {
    let od = E::Obs::<L>::LEN;
    // Not zeroed: only the `od` rows just stored are read (a zeroed 2 KB array per group with a
    // finished env would cost more than the packing itself).
    let mut lanes = core::mem::MaybeUninit::<[f32; MAX_OBS_DIM * MAX_WIDTH]>::uninit();
    let lanes = lanes.as_mut_ptr() as *mut f32;
    // The closure only copies lane values; the stores stay in this function: this path is cold,
    // so the compiler may leave the closure out of line, and an intrinsic in it would become a
    // call (native/tests/kernels_inlined.rs).
    let mut columns = [L::splat(0.0); MAX_OBS_DIM];
    final_obs.for_each(|k, v| columns[k] = v);
    for (k, column) in columns.iter().enumerate().take(od) {
        column.store(lanes.add(k * MAX_WIDTH));
    }
    let mut bits = done.bitmask();
    while bits != 0 {
        let j = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        append_final(b, od, i + j, |k| *lanes.add(k * MAX_WIDTH + j));
    }
}

/// The per-step outputs every mode writes, and the packed final observations in same-step mode
/// (unless `queued`: then [`start_queued`] packs them, from the observations stored here).
#[inline(always)]
unsafe fn store_outputs<E: Env, L: Lane>(b: &Buffers, mode: Autoreset, i: usize, out: &Outcome<E, L>, queued: bool) {
    if mode == Autoreset::SameStep {
        // The first group of each block starts its block's list (groups never straddle blocks:
        // ranges start at multiples of CHUNK_ALIGN and every width divides it).
        if i.is_multiple_of(CHUNK_ALIGN) {
            *b.final_count.add(i / CHUNK_ALIGN) = 0;
        }
        if !queued && out.any_done {
            pack_final::<E, L>(b, i, out.done, &out.final_obs);
        }
    }
    record::store(&out.obs, b.obs, b.n, i);
    out.reward.store(b.reward.add(i));
    out.terminated.store_bytes(b.terminated.add(i));
    out.truncated.store_bytes(b.truncated.add(i));
}

/// Steps envs `i .. i + L::WIDTH` from and to the batch buffers.
#[inline(always)]
unsafe fn step_lanes<E: Env, L: Lane, P: Episodes<L>, const PER_ENV: bool>(
    shared: &ParamLanes<E, L>,
    b: &Buffers,
    ctx: Ctx,
    i: usize,
    discrete: bool,
    episodes: &mut P,
) {
    let n = b.n;
    let mut pl = load_params::<E, L, PER_ENV>(shared, &b.params, i);
    let mut state: E::State<L> = record::load(b.state, n, i);
    let mut elapsed = L::U32::load(b.elapsed.add(i));
    let action = load_action::<E, L>(b, i, discrete);
    let out = advance::<E, L, PER_ENV>(&mut pl, &b.params, ctx, &mut state, &mut elapsed, &action, episodes);
    if PER_ENV && ctx.redraw != 0 && out.any_reset {
        store_redrawn::<E, L>(&mut pl, &b.params, i);
    }
    if !E::OBS_IS_STATE {
        record::store(&state, b.state, n, i);
    }
    store_outputs::<E, L>(b, ctx.mode, i, &out, P::QUEUES);
    elapsed.store(b.elapsed.add(i));
}

/// Steps envs `start..end` with lane type `L`, finishing the tail with scalar lanes (the same
/// code, so the same bits).
///
/// # Safety
/// `b` must describe live buffers of `b.n` envs, `start <= end <= b.n` and `start` a multiple
/// of [`CHUNK_ALIGN`]; no other thread may touch `start..end` meanwhile.
#[inline(always)]
pub(crate) unsafe fn step_range<E: Env, L: Lane, const PER_ENV: bool>(p: &E::Params, b: &Buffers, start: usize, end: usize) {
    let ctx = b.ctx::<E>(p);
    per_mode!(ctx, |ctx| step_groups::<E, L, PER_ENV>(p, b, ctx, start, end))
}

/// [`step_range`] in the mode of `ctx`.
#[inline(always)]
unsafe fn step_groups<E: Env, L: Lane, const PER_ENV: bool>(p: &E::Params, b: &Buffers, ctx: Ctx, start: usize, end: usize) {
    let discrete = E::action_space(p).is_discrete();
    let shared = p.splat::<L>();
    let mut i = start;
    if L::QUEUES_RESETS && ctx.mode != Autoreset::Disabled {
        let mut queue = ResetQueue { envs: [0; 2 * MAX_WIDTH], len: 0 };
        while i + L::WIDTH <= end {
            let mut episodes = QueuedEpisodes { batch: BatchEpisodes { b, ctx, i }, queue: &mut queue };
            step_lanes::<E, L, _, PER_ENV>(&shared, b, ctx, i, discrete, &mut episodes);
            if queue.len >= L::WIDTH {
                start_queued::<E, L, PER_ENV>(&shared, b, ctx, &mut queue);
            }
            i += L::WIDTH;
        }
        if queue.len > 0 {
            start_queued::<E, L, PER_ENV>(&shared, b, ctx, &mut queue);
        }
    } else {
        while i + L::WIDTH <= end {
            step_lanes::<E, L, _, PER_ENV>(&shared, b, ctx, i, discrete, &mut BatchEpisodes { b, ctx, i });
            i += L::WIDTH;
        }
    }
    let shared = p.splat::<f32>();
    while i < end {
        step_lanes::<E, f32, _, PER_ENV>(&shared, b, ctx, i, discrete, &mut BatchEpisodes { b, ctx, i });
        i += 1;
    }
}

/// Starts the new episodes of the first `L::WIDTH` queued envs (fewer when the queue holds
/// fewer) and drops them from the queue: for each env exactly the draws [`start_episodes`]
/// makes (lane arithmetic is per lane, so the bits do not depend on which envs travel
/// together), written over the state and observation the step stored for it. The step
/// already wrote its reward, flags and step counter.
///
/// Why: a 16-lane group has some env starting an episode on about half its CartPole steps,
/// and drawing the whole group's first states then cost as much as the step itself; queued,
/// each draw serves a new episode (`docs/benchmarks.md`, "Queued resets").
#[inline(always)]
unsafe fn start_queued<E: Env, L: Lane, const PER_ENV: bool>(shared: &ParamLanes<E, L>, b: &Buffers, ctx: Ctx, q: &mut ResetQueue) {
    let (w, n) = (L::WIDTH, b.n);
    let count = q.len.min(w);
    // Lanes past `count` repeat the first env: they read valid memory and are not written.
    let first_env = q.envs[0];
    for slot in &mut q.envs[count..w] {
        *slot = first_env;
    }
    let envs = &q.envs[..w];
    if ctx.mode == Autoreset::SameStep {
        // The step stored these envs' final observations as their observations: pack them
        // before the first states overwrite them (envs are queued in increasing order). Here,
        // once per `WIDTH` new episodes, rather than behind a branch per group that about
        // half the 16-lane groups take (`docs/benchmarks.md`, "Final observations packed from
        // the queue").
        let od = E::Obs::<L>::LEN;
        for &env in &envs[..count] {
            let env = env as usize;
            append_final(b, od, env, |k| *b.obs.add(k * n + env));
        }
    }
    let episode = gather_u32::<L>(b.episode, envs).add(L::U32::splat(1));
    scatter_u32::<L>(episode, b.episode, envs, count);
    let env = L::U32::splat(ctx.env_offset).add(L::U32::load(envs.as_ptr()));
    let key = rng::episode_key(ctx.seed_key, env, episode);
    let mut pl = *shared;
    if PER_ENV {
        for (k, column) in b.params.columns.iter().enumerate().take(E::Params::FIELDS.len()) {
            if !column.is_null() {
                *E::Params::field_mut::<L>(&mut pl, k) = gather_f32::<L>(*column, envs);
            }
        }
        if ctx.redraw != 0 {
            let all = L::splat(0.0).eq(L::splat(0.0));
            redraw::<E, L>(&mut pl, &b.params, key, all);
            let mut bits = ctx.redraw;
            while bits != 0 {
                let k = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                scatter_f32::<L>(*E::Params::field_mut::<L>(&mut pl, k), b.params.columns[k] as *mut f32, envs, count);
            }
        }
    }
    let first = E::reset(&pl, &mut Rng::<L>::from_key(key));
    scatter_record::<L, _>(&first, b.state, n, envs, count);
    if !E::OBS_IS_STATE {
        scatter_record::<L, _>(&E::observe(&pl, &first), b.obs, n, envs, count);
    }
    q.len -= count;
    // An index loop, as in the gathers below: a std slice or iterator helper that LLVM does not
    // inline is a call in the kernel (`copy_within` and `Zip::new` were, once the kernels got
    // codegen units of their own without LTO: 2 instructions per CartPole env-step, callgrind).
    for j in 0..q.len {
        q.envs[j] = q.envs[w + j];
    }
}

/// `base[envs[j]]` for each lane `j`.
#[inline(always)]
unsafe fn gather_u32<L: Lane>(base: *const u32, envs: &[u32]) -> L::U32 {
    let mut lanes = [0u32; MAX_WIDTH];
    for j in 0..L::WIDTH {
        lanes[j] = *base.add(envs[j] as usize);
    }
    L::U32::load(lanes.as_ptr())
}

/// `base[envs[j]]` for each lane `j`.
#[inline(always)]
unsafe fn gather_f32<L: Lane>(base: *const f32, envs: &[u32]) -> L {
    let mut lanes = [0f32; MAX_WIDTH];
    for j in 0..L::WIDTH {
        lanes[j] = *base.add(envs[j] as usize);
    }
    L::load(lanes.as_ptr())
}

/// `base[envs[j]] = v[j]` for the first `count` lanes.
#[inline(always)]
unsafe fn scatter_u32<L: Lane>(v: L::U32, base: *mut u32, envs: &[u32], count: usize) {
    let mut lanes = [0u32; MAX_WIDTH];
    v.store(lanes.as_mut_ptr());
    for j in 0..count {
        *base.add(envs[j] as usize) = lanes[j];
    }
}

/// `base[envs[j]] = v[j]` for the first `count` lanes.
#[inline(always)]
unsafe fn scatter_f32<L: Lane>(v: L, base: *mut f32, envs: &[u32], count: usize) {
    let mut lanes = [0f32; MAX_WIDTH];
    v.store(lanes.as_mut_ptr());
    for j in 0..count {
        *base.add(envs[j] as usize) = lanes[j];
    }
}

/// Every field of `r` scattered to its column (`base[k * stride ..]`).
#[inline(always)]
unsafe fn scatter_record<L: Lane, R: Record<L>>(r: &R, base: *mut f32, stride: usize, envs: &[u32], count: usize) {
    // The closure only copies lane values, the stores stay here (see `pack_final`).
    let mut columns = [L::splat(0.0); MAX_RECORD_LEN];
    r.for_each(|k, v| columns[k] = v);
    for (k, column) in columns.iter().enumerate().take(R::LEN) {
        scatter_f32::<L>(*column, base.add(k * stride), envs, count);
    }
}

/// Starts episode `episode[i]` of envs `start..end`: its parameters (when redrawn), first state
/// and observation; clears the step counter, reward and flags.
///
/// # Safety
/// As [`step_range`].
pub(crate) unsafe fn reset_range<E: Env, const PER_ENV: bool>(p: &E::Params, b: &Buffers, start: usize, end: usize) {
    let shared = p.splat::<f32>();
    for i in start..end {
        let env = b.env_offset.wrapping_add(i as u32);
        let key = rng::episode_key(b.seed_key, env, *b.episode.add(i));
        let mut pl = load_params::<E, f32, PER_ENV>(&shared, &b.params, i);
        if PER_ENV && b.params.redraw != 0 {
            redraw::<E, f32>(&mut pl, &b.params, key, true);
            store_redrawn::<E, f32>(&mut pl, &b.params, i);
        }
        let first = E::reset(&pl, &mut Rng::<f32>::from_key(key));
        record::store(&first, b.state, b.n, i);
        record::store(&E::observe(&pl, &first), b.obs, b.n, i);
        *b.elapsed.add(i) = 0;
        *b.reward.add(i) = 0.0;
        *b.terminated.add(i) = 0;
        *b.truncated.add(i) = 0;
    }
}

/// Where a rollout writes its statistics and (optionally) its trajectory.
pub(crate) struct RolloutBuffers {
    pub reward_sum: *mut f64,
    pub episodes: *mut u64,
    pub length_sum: *mut u64,
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
/// parameters, state, observation, step and episode counters, the episode's key and the
/// statistics.
struct RolloutLanes<E: Env, L: Lane> {
    i: usize,
    params: ParamLanes<E, L>,
    state: E::State<L>,
    obs: E::Obs<L>,
    elapsed: L::U32,
    episode: L::U32,
    env_key: L::U32,
    key: L::U32,
    /// Rewards since the last flush into the batch's f64 `reward_sum`: at most
    /// [`FLUSH_STEPS`] f32 additions, so the sum keeps f32's precision to within a few hundred
    /// roundings (and exactly for integer rewards such as CartPole's and MountainCar's).
    reward_sum: L,
    episodes: L::U32,
    length_sum: L::U32,
    last: Option<Outcome<E, L>>,
    any_reset: bool,
}

impl<E: Env, L: Lane> RolloutLanes<E, L> {
    #[inline(always)]
    unsafe fn load<const PER_ENV: bool>(shared: &ParamLanes<E, L>, b: &Buffers, ctx: Ctx, i: usize) -> Self {
        let (n, episode) = (b.n, L::U32::load(b.episode.add(i)));
        let env_key = rng::env_key(ctx.seed_key, env_index::<L>(ctx, i));
        RolloutLanes {
            i,
            params: load_params::<E, L, PER_ENV>(shared, &b.params, i),
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
            any_reset: false,
        }
    }

    /// Step `t` of the rollout: act, advance, count, and record if `r` records.
    #[inline(always)]
    unsafe fn step<P: LanePolicy, const PER_ENV: bool>(
        &mut self,
        pb: &ParamBuffers,
        ctx: Ctx,
        policy: &P,
        r: &RolloutBuffers,
        n: usize,
        t: usize,
    ) {
        let i = self.i;
        let (zero, one) = (L::U32::splat(0), L::U32::splat(1));
        let recording = !r.rec_obs.is_null();
        let action = policy.act::<E, L>(&self.obs, self.key, self.elapsed.and(L::U32::splat(!DONE_BITS)), i);
        if recording {
            let (od, ad) = (E::Obs::<L>::LEN, E::Action::<L>::LEN);
            record::store(&self.obs, r.rec_obs, n, i + t * od * n);
            record::store(&action, r.rec_actions, n, i + t * ad * n);
        }
        let mut episodes = RegisterEpisodes::<L> { episode: &mut self.episode, key: &mut self.key, env_key: self.env_key };
        let out = advance::<E, L, PER_ENV>(&mut self.params, pb, ctx, &mut self.state, &mut self.elapsed, &action, &mut episodes);
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
        self.any_reset |= out.any_reset;
        self.obs = out.obs;
        self.last = Some(out);
    }

    /// Adds the register statistics into the batch's wide accumulators and clears them (every
    /// [`FLUSH_STEPS`] steps, so the u32 length sum cannot wrap and the f32 sum stays short).
    #[inline(always)]
    unsafe fn flush(&mut self, r: &RolloutBuffers) {
        let i = self.i;
        let mut sums = [0.0f32; MAX_WIDTH];
        let mut eps = [0u32; MAX_WIDTH];
        let mut lens = [0u32; MAX_WIDTH];
        self.reward_sum.store(sums.as_mut_ptr());
        self.episodes.store(eps.as_mut_ptr());
        self.length_sum.store(lens.as_mut_ptr());
        for j in 0..L::WIDTH {
            *r.reward_sum.add(i + j) += sums[j] as f64;
            *r.episodes.add(i + j) += eps[j] as u64;
            *r.length_sum.add(i + j) += lens[j] as u64;
        }
        self.reward_sum = L::splat(0.0);
        self.episodes = L::U32::splat(0);
        self.length_sum = L::U32::splat(0);
    }

    /// Writes back what the batch keeps and the statistics.
    #[inline(always)]
    unsafe fn store<const PER_ENV: bool>(mut self, b: &Buffers, r: &RolloutBuffers) {
        let (n, i) = (b.n, self.i);
        self.flush(r);
        if let Some(out) = &self.last {
            store_outputs::<E, L>(b, b.mode, i, out, false);
        } else {
            record::store(&self.obs, b.obs, n, i);
        }
        if PER_ENV && b.params.redraw != 0 && self.any_reset {
            store_redrawn::<E, L>(&mut self.params, &b.params, i);
        }
        if !E::OBS_IS_STATE {
            record::store(&self.state, b.state, n, i);
        }
        self.elapsed.store(b.elapsed.add(i));
        self.episode.store(b.episode.add(i));
    }
}

/// Steps between flushes of a rollout's register statistics into the batch's `f64`/`u64`
/// accumulators. A plain f32 sum of millions of rewards stops counting (-1 rewards at 2^24);
/// flushing every 256 steps keeps each f32 partial sum short (its error is at most 256
/// roundings of the partial sum, and none for integer rewards), at the cost of one store per
/// lane group every 256 steps (Kahan compensation would add three dependent additions to
/// every step instead). The lengths of the episodes that end within
/// one flush window sum to at most the length carried in (below 2^30) plus 256, so the u32
/// register sum cannot wrap.
pub(crate) const FLUSH_STEPS: usize = 256;

/// `steps` steps of envs `i .. i + L::WIDTH`, kept in registers from the first step to the
/// last. (Overlapping independent dependency chains is the lane type's job: `Pair`.)
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn rollout_lanes<E: Env, L: Lane, P: LanePolicy, const PER_ENV: bool>(
    shared: &ParamLanes<E, L>,
    b: &Buffers,
    ctx: Ctx,
    policy: &P,
    r: &RolloutBuffers,
    steps: usize,
    i: usize,
) {
    let mut lanes = RolloutLanes::<E, L>::load::<PER_ENV>(shared, b, ctx, i);
    let mut t = 0;
    while t < steps {
        let chunk_end = steps.min(t + FLUSH_STEPS);
        while t < chunk_end {
            lanes.step::<P, PER_ENV>(&b.params, ctx, policy, r, b.n, t);
            t += 1;
        }
        if t < steps {
            lanes.flush(r);
        }
    }
    lanes.store::<PER_ENV>(b, r);
}

/// A rollout of envs `start..end`, one lane group at a time (scalar lanes for the tail).
///
/// # Safety
/// As [`step_range`], plus `r` sized for `b.n` envs and `steps`.
#[inline(always)]
pub(crate) unsafe fn rollout_range<E: Env, L: Lane, P: LanePolicy, const PER_ENV: bool>(
    p: &E::Params,
    b: &Buffers,
    policy: &P,
    r: &RolloutBuffers,
    steps: usize,
    start: usize,
    end: usize,
) {
    let ctx = b.ctx::<E>(p);
    per_mode!(ctx, |ctx| rollout_groups::<E, L, P, PER_ENV>(p, b, ctx, policy, r, steps, start, end))
}

/// [`rollout_range`] in the mode of `ctx`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn rollout_groups<E: Env, L: Lane, P: LanePolicy, const PER_ENV: bool>(
    p: &E::Params,
    b: &Buffers,
    ctx: Ctx,
    policy: &P,
    r: &RolloutBuffers,
    steps: usize,
    start: usize,
    end: usize,
) {
    let shared = p.splat::<L>();
    let mut i = start;
    while i + L::WIDTH <= end {
        rollout_lanes::<E, L, P, PER_ENV>(&shared, b, ctx, policy, r, steps, i);
        i += L::WIDTH;
    }
    let shared = p.splat::<f32>();
    while i < end {
        rollout_lanes::<E, f32, P, PER_ENV>(&shared, b, ctx, policy, r, steps, i);
        i += 1;
    }
}
