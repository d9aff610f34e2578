//! [`VecEnv`]: a batch of one environment type, its buffers, and the checks at its boundary.

use crate::checks::{self, FieldSource};
use crate::config::{Autoreset, Builder, EnvConfig};
use crate::error::Error;
use crate::exec::{range_ok, Executor, Serial, CHUNK_ALIGN};
use crate::kernel::{self, Buffers, ParamBuffers, DONE_BITS};
use crate::params::{self, ParamSet, MAX_PARAM_FIELDS};
use crate::record::Record;
use crate::rng;
use crate::simd::{Backend, SimdPath};
use crate::spec::{ActionSpace, Actions, Env};
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Largest number of `f32`/`u32` elements one batch buffer may hold: 2^32 (16 GiB) on 64-bit
/// targets, an eighth of the address space on 32-bit ones (wasm32). Past it, construction fails
/// with [`Error::TooLarge`] instead of asking the allocator.
pub const MAX_BUFFER_ELEMENTS: usize = {
    let limit = 1u64 << 32;
    let quarter = (usize::MAX / 8) as u64;
    (if limit < quarter { limit } else { quarter }) as usize
};

/// Continuous actions must be finite and below this in magnitude. No env's action bound comes
/// near it, and MountainCarContinuous's cost squares the unclipped action: from about 1.8e19
/// the square overflows f32 and the reward would be -inf (Gymnasium's f64 gives about -1e38
/// there, no more meaningful). Rejecting the action names the problem instead.
pub const MAX_ACTION_MAGNITUDE: f32 = (1u64 << 60) as f32;

/// `|x| < MAX_ACTION_MAGNITUDE`, false for NaN (written as a negated `<` on purpose: one compare
/// that also rejects NaN, and it vectorises).
#[inline(always)]
#[allow(clippy::neg_cmp_op_on_partial_ord)]
pub fn action_in_range(x: f32) -> bool {
    x.abs() < MAX_ACTION_MAGNITUDE
}

/// A batch of `num_envs` copies of `E`, stepped together.
///
/// Buffers are allocated once at construction; [`VecEnv::step`] allocates nothing.
/// Every batch buffer is feature-major: component `k` of env `i` is at `buf[k * num_envs + i]`.
pub struct VecEnv<E: Env> {
    pub(crate) params: E::Params,
    pub(crate) num_envs: usize,
    env_offset: u32,
    seed: u64,
    pub(crate) mode: Autoreset,
    pub(crate) path: SimdPath,
    state: Vec<f32>,
    /// Step counts, with `kernel::DONE_BITS` in next-step and disabled modes.
    elapsed: Vec<u32>,
    episode: Vec<u32>,
    obs: Vec<f32>,
    reward: Vec<f32>,
    terminated: Vec<u8>,
    truncated: Vec<u8>,
    /// Same-step final observations, packed per 64-env block (see `kernel::Buffers`).
    final_count: Vec<u32>,
    final_index: Vec<u32>,
    final_packed: Vec<f32>,
    /// Dense `[obs_dim][num_envs]` copy, made on request by [`VecEnv::final_obs_dense`].
    final_dense: Vec<f32>,
    /// Per-env parameter columns (`[num_envs]` each), `None` for shared fields.
    columns: Vec<Option<Vec<f32>>>,
    /// Bit `k`: field `k` is drawn from `range_low[k]..range_high[k]`.
    ranged: u32,
    redraw_each_episode: bool,
    range_low: [f32; MAX_PARAM_FIELDS],
    range_high: [f32; MAX_PARAM_FIELDS],
    /// Per-env statistics of the last rollout.
    pub(crate) reward_sum: Vec<f64>,
    pub(crate) episodes_done: Vec<u64>,
    pub(crate) length_sum: Vec<u64>,
    _env: core::marker::PhantomData<E>,
}

/// The final observations of the envs whose episode ended on the last step (same-step mode),
/// packed: only finished envs are stored, so a step where few envs finish writes little.
/// Empty in the other modes (there `obs` holds the final observation).
#[derive(Clone, Copy, Debug)]
pub struct FinalObs<'a> {
    count: &'a [u32],
    index: &'a [u32],
    obs: &'a [f32],
    obs_dim: usize,
    num_envs: usize,
}

impl<'a> FinalObs<'a> {
    /// `(env index, its final observation)` for every env that finished, in env order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'a [f32])> + 'a {
        let (index, obs, od) = (self.index, self.obs, self.obs_dim);
        self.count.iter().enumerate().flat_map(move |(b, &c)| {
            let start = b * CHUNK_ALIGN;
            (start..start + c as usize).map(move |slot| (index[slot] as usize, &obs[slot * od..(slot + 1) * od]))
        })
    }
    /// The final observation of env `i`, if its episode ended on the last step.
    pub fn get(&self, i: usize) -> Option<&'a [f32]> {
        let b = i / CHUNK_ALIGN;
        let c = *self.count.get(b)? as usize;
        let start = b * CHUNK_ALIGN;
        let slots = &self.index[start..start + c];
        let j = slots.binary_search(&(i as u32)).ok()?;
        let slot = start + j;
        Some(&self.obs[slot * self.obs_dim..(slot + 1) * self.obs_dim])
    }
    /// Number of envs that finished.
    pub fn len(&self) -> usize {
        self.count.iter().map(|&c| c as usize).sum()
    }
    /// True if no env finished.
    pub fn is_empty(&self) -> bool {
        self.count.iter().all(|&c| c == 0)
    }
    /// Writes the finished envs' final observations into a dense feature-major
    /// `[obs_dim][num_envs]` buffer (component `k` of env `i` at `k * num_envs + i`) and leaves
    /// the other entries as they are.
    pub fn scatter_into(&self, dense: &mut [f32]) -> Result<(), Error> {
        let expected = self.obs_dim * self.num_envs;
        if dense.len() != expected {
            return Err(Error::Length { what: "dense final observations (obs_dim x num_envs)", expected, got: dense.len() });
        }
        for (i, o) in self.iter() {
            for (k, &x) in o.iter().enumerate() {
                dense[k * self.num_envs + i] = x;
            }
        }
        Ok(())
    }
    /// A new dense `[obs_dim][num_envs]` buffer: the finished envs' final observations, NaN
    /// elsewhere (allocates; see [`FinalObs::scatter_into`] and [`VecEnv::final_obs_dense`]).
    pub fn to_dense(&self) -> Vec<f32> {
        let mut dense = vec![f32::NAN; self.obs_dim * self.num_envs];
        self.scatter_into(&mut dense).expect("sized above");
        dense
    }
}

/// What a step returns: borrowed views of the batch's output buffers (no copies).
#[derive(Clone, Copy, Debug)]
pub struct StepView<'a> {
    /// Observations after the step, feature-major `[obs_dim][num_envs]`: in same-step mode the
    /// next episode's first observation for envs that finished; see [`Autoreset`].
    pub obs: &'a [f32],
    /// Reward of the step, `[num_envs]`.
    pub reward: &'a [f32],
    /// The episode reached a terminal state, `[num_envs]`.
    pub terminated: &'a [bool],
    /// The episode hit the time limit, `[num_envs]`.
    pub truncated: &'a [bool],
    /// Same-step mode: the last observations of the episodes that just ended, packed.
    pub final_obs: FinalObs<'a>,
}

/// Bytes of `n` elements of `T`, checked against [`MAX_BUFFER_ELEMENTS`].
fn checked_len(what: &'static str, components: usize, n: usize) -> Result<usize, Error> {
    match components.checked_mul(n) {
        Some(len) if len <= MAX_BUFFER_ELEMENTS => Ok(len),
        other => Err(Error::TooLarge { what, requested: other.map_or(u128::MAX, |l| l as u128), limit: MAX_BUFFER_ELEMENTS as u128 }),
    }
}

/// `len` copies of `value` in a buffer allocated fallibly: [`Error::Alloc`] naming `what` when
/// the allocator refuses (out of memory or address space) instead of an abort.
pub(crate) fn try_vec<T: Clone>(what: &'static str, len: usize, value: T) -> Result<Vec<T>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::Alloc { what, bytes: len as u128 * core::mem::size_of::<T>() as u128 })?;
    v.resize(len, value);
    Ok(v)
}

/// A copy of `values` in a buffer allocated fallibly (see [`try_vec`]).
fn try_copy(what: &'static str, values: &[f32]) -> Result<Vec<f32>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(values.len()).map_err(|_| Error::Alloc { what, bytes: values.len() as u128 * 4 })?;
    v.extend_from_slice(values);
    Ok(v)
}

impl<E: Env> VecEnv<E> {
    /// A batch with Gymnasium's default parameters, same-step autoreset, reset and ready to
    /// step.
    pub fn new(num_envs: usize, seed: u64) -> Result<Self, Error> {
        Self::with_params(E::Params::default(), num_envs, seed)
    }

    /// A batch with the given shared parameters, reset and ready to step.
    pub fn with_params(params: E::Params, num_envs: usize, seed: u64) -> Result<Self, Error> {
        Self::shard(params, num_envs, 0, seed)
    }

    /// Envs `env_offset .. env_offset + num_envs` of a larger batch: they draw exactly what the
    /// unsplit batch draws for those indices.
    pub fn shard(params: E::Params, num_envs: usize, env_offset: u32, seed: u64) -> Result<Self, Error> {
        Self::from_config(params, &EnvConfig { env_offset, ..EnvConfig::new(num_envs, seed) })
    }

    /// Configures a batch step by step (seed, autoreset mode, parameters shared, per env or
    /// drawn from ranges); see [`Builder`].
    pub fn builder(num_envs: usize) -> Builder<E> {
        Builder::new(num_envs)
    }

    /// A batch from shared parameters plus the overrides, mode and seed of `config`; every
    /// value is validated and named in the error.
    pub fn from_config(params: E::Params, config: &EnvConfig) -> Result<Self, Error> {
        #[allow(clippy::let_unit_value)]
        let () = E::DIMS_OK;
        let checked = checks::config(E::SPEC.id, params, config)?;
        let (num_envs, env_offset) = (config.num_envs, config.env_offset);
        let (mut range_low, mut range_high) = ([0.0; MAX_PARAM_FIELDS], [0.0; MAX_PARAM_FIELDS]);
        let ranged = checked.ranged();
        // Every buffer sized by the batch is allocated fallibly (`try_vec`): a batch too large
        // for the machine's memory or the process's address space is `Error::Alloc`.
        let columns: Vec<Option<Vec<f32>>> = checked
            .fields
            .iter()
            .enumerate()
            .map(|(k, f)| match *f {
                FieldSource::Shared => Ok(None),
                FieldSource::PerEnv(values) => try_copy("per-env parameter column", values).map(Some),
                FieldSource::Range { low, high } => {
                    range_low[k] = low;
                    range_high[k] = high;
                    try_vec("ranged parameter column", num_envs, 0.0).map(Some)
                }
            })
            .collect::<Result<_, Error>>()?;
        let params = checked.params;
        let (s, o) = (E::State::<f32>::LEN, E::Obs::<f32>::LEN);
        let state_len = if E::OBS_IS_STATE { 0 } else { checked_len("state buffer (elements)", s, num_envs)? };
        let obs_len = checked_len("observation buffer (elements)", o, num_envs)?;
        let same = config.autoreset == Autoreset::SameStep;
        let mut v = VecEnv {
            params,
            num_envs,
            env_offset,
            seed: config.seed,
            mode: config.autoreset,
            path: SimdPath::best(),
            // With OBS_IS_STATE the observation buffer holds the state (see `Env::OBS_IS_STATE`).
            state: try_vec("state buffer", state_len, 0.0)?,
            elapsed: try_vec("step counters", num_envs, 0)?,
            episode: try_vec("episode counters", num_envs, 0)?,
            obs: try_vec("observation buffer", obs_len, 0.0)?,
            reward: try_vec("reward buffer", num_envs, 0.0)?,
            terminated: try_vec("terminated flags", num_envs, 0)?,
            truncated: try_vec("truncated flags", num_envs, 0)?,
            final_count: try_vec("final observation counts", num_envs.div_ceil(CHUNK_ALIGN), 0)?,
            final_index: try_vec("final observation indices", if same { num_envs } else { 0 }, 0)?,
            final_packed: try_vec("final observations", if same { obs_len } else { 0 }, 0.0)?,
            final_dense: Vec::new(),
            columns,
            ranged,
            redraw_each_episode: config.redraw_each_episode && ranged != 0,
            range_low,
            range_high,
            reward_sum: try_vec("rollout reward sums", num_envs, 0.0)?,
            episodes_done: try_vec("rollout episode counts", num_envs, 0)?,
            length_sum: try_vec("rollout length sums", num_envs, 0)?,
            _env: core::marker::PhantomData,
        };
        v.reset_with_seed(config.seed);
        Ok(v)
    }

    /// Selects the scalar reference or the best SIMD path.
    pub fn set_backend(&mut self, backend: Backend) {
        self.path = backend.path();
    }

    /// Selects a specific lane implementation (tests and benchmarks).
    pub fn set_simd_path(&mut self, path: SimdPath) -> Result<(), Error> {
        if !path.is_available() {
            return Err(Error::SimdUnavailable { path: path.name(), available: SimdPath::available_list() });
        }
        self.path = path;
        Ok(())
    }

    /// The lane implementation `step` runs.
    pub fn simd_path(&self) -> SimdPath {
        self.path
    }

    /// The autoreset mode.
    pub fn autoreset(&self) -> Autoreset {
        self.mode
    }

    /// Starts a new episode in every env, continuing the episode stream of the current seed
    /// (Gymnasium's `reset()` without a seed): each env's episode counter advances, so two
    /// resets give different episodes.
    pub fn reset(&mut self) -> &[f32] {
        for e in &mut self.episode {
            *e = e.wrapping_add(1);
        }
        self.start_all()
    }

    /// Reseeds and starts episode 0 of every env (Gymnasium's `reset(seed=...)`): the same seed
    /// replays the same episodes.
    pub fn reset_with_seed(&mut self, seed: u64) -> &[f32] {
        self.seed = seed;
        self.episode.fill(0);
        self.draw_fixed_ranges();
        self.start_all()
    }

    /// Starts a new episode (the next of each env's stream) in the envs where `mask[i]` is
    /// true and leaves the others as they are (Gymnasium's `reset(options={"reset_mask": m})`,
    /// the way to restart finished envs in [`Autoreset::Disabled`] mode).
    pub fn reset_envs(&mut self, mask: &[bool]) -> Result<&[f32], Error> {
        let n = self.num_envs;
        if mask.len() != n {
            return Err(Error::Length { what: "reset mask (one per env)", expected: n, got: mask.len() });
        }
        let f = self.reset_fn();
        let b = self.buffers(core::ptr::null());
        for (i, _) in mask.iter().enumerate().filter(|(_, &m)| m) {
            // SAFETY: `b` covers this batch's buffers, borrowed mutably for the call; `i < n`.
            unsafe {
                *b.episode.add(i) = (*b.episode.add(i)).wrapping_add(1);
                f(&self.params, &b, i, i + 1);
            }
        }
        self.clear_final();
        Ok(&self.obs)
    }

    fn reset_fn(&self) -> unsafe fn(&E::Params, &Buffers, usize, usize) {
        if self.per_env() {
            kernel::reset_range::<E, true>
        } else {
            kernel::reset_range::<E, false>
        }
    }

    fn start_all(&mut self) -> &[f32] {
        let f = self.reset_fn();
        let b = self.buffers(core::ptr::null());
        // SAFETY: `b` covers this batch's buffers, borrowed mutably for the call.
        unsafe { f(&self.params, &b, 0, self.num_envs) };
        self.clear_final();
        &self.obs
    }

    fn clear_final(&mut self) {
        self.final_count.fill(0);
    }

    /// Ranged parameters that are not redrawn are drawn once per seed, from episode 0's key.
    fn draw_fixed_ranges(&mut self) {
        if self.ranged == 0 {
            return;
        }
        let seed_key = rng::seed_key(self.seed);
        for k in 0..E::Params::FIELDS.len() {
            if self.ranged & (1 << k) == 0 {
                continue;
            }
            let (lo, hi) = (self.range_low[k], self.range_high[k]);
            let column = self.columns[k].as_mut().expect("ranged fields have a column");
            for (i, v) in column.iter_mut().enumerate() {
                let key = rng::episode_key(seed_key, self.env_offset.wrapping_add(i as u32), 0u32);
                *v = rng::uniform::<f32>(rng::param_bits(key, k as u32), lo, hi);
            }
        }
    }

    /// One step of every env on the calling thread.
    pub fn step(&mut self, actions: Actions<'_>) -> Result<StepView<'_>, Error> {
        self.step_with(actions, &Serial)
    }

    /// One step of every env, split across `exec`'s threads. The result does not depend on
    /// the executor.
    pub fn step_with(&mut self, actions: Actions<'_>, exec: &dyn Executor) -> Result<StepView<'_>, Error> {
        let ptr = self.check_actions(actions, exec)?;
        let b = self.buffers(ptr);
        let f = E::kernels().step(self.path, self.per_env())?;
        let params = &self.params;
        // SAFETY: buffers sized in `from_config`, actions checked above, every range checked
        // by `run_checked`, disjoint by the `Executor` contract.
        run_checked(exec, self.num_envs, &|start, end| unsafe { f(params, &b, start, end) })?;
        Ok(self.view())
    }

    /// The outputs of the last step (or the reset observations).
    pub fn view(&self) -> StepView<'_> {
        StepView {
            obs: &self.obs,
            reward: &self.reward,
            terminated: as_bools(&self.terminated),
            truncated: as_bools(&self.truncated),
            final_obs: self.final_obs(),
        }
    }

    /// Same-step mode: the final observations of the envs that finished on the last step.
    pub fn final_obs(&self) -> FinalObs<'_> {
        let same = self.mode == Autoreset::SameStep;
        FinalObs {
            count: if same { &self.final_count } else { &[] },
            index: &self.final_index,
            obs: &self.final_packed,
            obs_dim: E::Obs::<f32>::LEN,
            num_envs: self.num_envs,
        }
    }

    /// The final observations as a dense feature-major `[obs_dim][num_envs]` buffer, for code
    /// written against that layout. Valid where the env finished on the last step; other
    /// entries hold what they held before. The first call allocates the buffer (fallibly:
    /// [`Error::Alloc`] when memory is short); each call writes only the finished envs' entries.
    pub fn final_obs_dense(&mut self) -> Result<&[f32], Error> {
        let (n, od) = (self.num_envs, E::Obs::<f32>::LEN);
        if self.final_dense.len() != n * od {
            self.final_dense = try_vec("dense final observations", n * od, 0.0)?;
        }
        let same = self.mode == Autoreset::SameStep;
        let view = FinalObs {
            count: if same { &self.final_count } else { &[] },
            index: &self.final_index,
            obs: &self.final_packed,
            obs_dim: od,
            num_envs: n,
        };
        view.scatter_into(&mut self.final_dense)?;
        Ok(&self.final_dense)
    }

    /// Number of envs.
    pub fn num_envs(&self) -> usize {
        self.num_envs
    }
    /// Observation components per env.
    pub fn obs_dim(&self) -> usize {
        E::Obs::<f32>::LEN
    }
    /// State components per env.
    pub fn state_dim(&self) -> usize {
        E::State::<f32>::LEN
    }
    /// The action space (under the shared parameters).
    pub fn action_space(&self) -> ActionSpace {
        E::action_space(&self.params)
    }
    /// The shared parameters (per-env fields: see [`VecEnv::param_column`]).
    pub fn params(&self) -> &E::Params {
        &self.params
    }
    /// The per-env values of field `name`, or `None` when the field is shared (or unknown).
    pub fn param_column(&self, name: &str) -> Option<&[f32]> {
        self.columns.get(E::Params::index_of(name)?)?.as_deref()
    }
    /// Env `i`'s value of every parameter field, in declaration order.
    pub fn env_params(&self, i: usize) -> Result<E::Params, Error> {
        if i >= self.num_envs {
            return Err(Error::EnvIndex { index: i, num_envs: self.num_envs });
        }
        let mut p = self.params;
        for (k, c) in self.columns.iter().enumerate() {
            if let Some(c) = c {
                p.set(k, c[i]);
            }
        }
        Ok(p)
    }
    /// Global index of env 0.
    pub fn env_offset(&self) -> u32 {
        self.env_offset
    }
    /// The seed of the current run.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Current observations, feature-major.
    pub fn obs(&self) -> &[f32] {
        &self.obs
    }
    /// Internal states, feature-major `[state_dim][num_envs]`.
    pub fn state(&self) -> &[f32] {
        if E::OBS_IS_STATE {
            &self.obs
        } else {
            &self.state
        }
    }
    /// Steps taken in each env's current episode (a new buffer each call; see
    /// [`VecEnv::elapsed_into`] for one that allocates nothing).
    pub fn elapsed(&self) -> Vec<u32> {
        self.elapsed.iter().map(|&e| e & !DONE_BITS).collect()
    }
    /// Writes the steps taken in each env's current episode into `out` (`[num_envs]`).
    pub fn elapsed_into(&self, out: &mut [u32]) -> Result<(), Error> {
        if out.len() != self.num_envs {
            return Err(Error::Length { what: "elapsed steps (one per env)", expected: self.num_envs, got: out.len() });
        }
        for (o, &e) in out.iter_mut().zip(&self.elapsed) {
            *o = e & !DONE_BITS;
        }
        Ok(())
    }
    /// Episode number of each env (0 for the episode started by the seed).
    pub fn episodes(&self) -> &[u32] {
        &self.episode
    }

    /// Overwrites env `i`'s internal state (Gymnasium's `env.unwrapped.state = ...`) and its
    /// step count, and recomputes its observation. The env counts as mid-episode afterwards
    /// (its done flags are cleared). Values must be finite ([`Error::NonFinite`]) and inside
    /// the env's [`Env::STATE_VALID`] ranges ([`Error::InvalidState`]).
    pub fn set_env_state(&mut self, i: usize, state: &[f32], elapsed: u32) -> Result<(), Error> {
        let n = self.num_envs;
        if i >= n {
            return Err(Error::EnvIndex { index: i, num_envs: n });
        }
        let s = E::State::<f32>::LEN;
        if state.len() != s {
            return Err(Error::Length { what: "state", expected: s, got: state.len() });
        }
        checks::state(E::SPEC.id, E::State::<f32>::NAMES, E::STATE_VALID, state)?;
        let max = self.params.max_episode_steps();
        if (max != 0 && elapsed >= max) || elapsed > params::MAX_EPISODE_STEPS_LIMIT {
            return Err(Error::Elapsed { elapsed, max });
        }
        if !E::OBS_IS_STATE {
            for (k, v) in state.iter().enumerate() {
                self.state[k * n + i] = *v;
            }
        }
        self.elapsed[i] = elapsed;
        self.terminated[i] = 0;
        self.truncated[i] = 0;
        let st = E::State::<f32>::from_fn(|k| state[k]);
        let p = self.env_params(i)?.splat::<f32>();
        E::observe(&p, &st).for_each(|k, v| self.obs[k * n + i] = v);
        Ok(())
    }

    /// Env `i`'s internal state.
    pub fn env_state(&self, i: usize) -> Result<Vec<f32>, Error> {
        let n = self.num_envs;
        if i >= n {
            return Err(Error::EnvIndex { index: i, num_envs: n });
        }
        Ok((0..self.state_dim()).map(|k| self.state()[k * n + i]).collect())
    }

    pub(crate) fn per_env(&self) -> bool {
        self.columns.iter().any(Option::is_some)
    }

    pub(crate) fn buffers(&mut self, actions: *const u32) -> Buffers {
        let obs = self.obs.as_mut_ptr();
        let mut pb = ParamBuffers::SHARED;
        for (k, c) in self.columns.iter_mut().enumerate() {
            if let Some(c) = c {
                pb.columns[k] = c.as_ptr();
            }
        }
        if self.redraw_each_episode {
            pb.redraw = self.ranged;
            pb.low = self.range_low;
            pb.high = self.range_high;
        }
        Buffers {
            n: self.num_envs,
            env_offset: self.env_offset,
            seed_key: rng::seed_key(self.seed),
            mode: self.mode,
            state: if E::OBS_IS_STATE { obs } else { self.state.as_mut_ptr() },
            elapsed: self.elapsed.as_mut_ptr(),
            episode: self.episode.as_mut_ptr(),
            obs,
            reward: self.reward.as_mut_ptr(),
            terminated: self.terminated.as_mut_ptr(),
            truncated: self.truncated.as_mut_ptr(),
            actions,
            params: pb,
            final_count: self.final_count.as_mut_ptr(),
            final_index: self.final_index.as_mut_ptr(),
            final_obs: self.final_packed.as_mut_ptr(),
        }
    }

    /// Checks type, length and values of `actions` ([`checks::actions`]); returns the pointer
    /// the kernel reads. The scan over the values runs on `exec`'s threads, each over the envs
    /// it is about to step (so their actions are in its cache for the step).
    fn check_actions(&self, actions: Actions<'_>, exec: &dyn Executor) -> Result<*const u32, Error> {
        let space = E::action_space(&self.params);
        Ok(checks::actions(E::SPEC.id, space, self.num_envs, actions, exec)?.as_ptr())
    }
}

/// Runs `job` on `exec`'s ranges, skipping (and reporting) any range that breaks the part of
/// the [`Executor`] contract that is cheap to check: each range is in bounds and aligned, and
/// their lengths add up to the batch (one add per range), so an executor that skips a range is
/// [`Error::ExecutorCoverage`] instead of a silent `Ok` with envs never stepped.
pub(crate) fn run_checked(exec: &dyn Executor, len: usize, job: &(dyn Fn(usize, usize) + Sync)) -> Result<(), Error> {
    run_checked_with(exec, len, false, job)
}

/// [`run_checked`], through [`Executor::run_long`] when `long`.
pub(crate) fn run_checked_with(exec: &dyn Executor, len: usize, long: bool, job: &(dyn Fn(usize, usize) + Sync)) -> Result<(), Error> {
    let bad = AtomicBool::new(false);
    let (bad_start, bad_end) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let covered = AtomicUsize::new(0);
    let checked = |start: usize, end: usize| {
        if range_ok(start, end, len) {
            covered.fetch_add(end - start, Ordering::Relaxed);
            job(start, end)
        } else {
            bad_start.store(start, Ordering::Relaxed);
            bad_end.store(end, Ordering::Relaxed);
            bad.store(true, Ordering::Release);
        }
    };
    if long {
        exec.run_long(len, &checked)
    } else {
        exec.run(len, &checked)
    }
    if bad.load(Ordering::Acquire) {
        return Err(Error::Executor { start: bad_start.into_inner(), end: bad_end.into_inner(), len });
    }
    // `run` has returned after every range's job (the contract), so the count is complete.
    let covered = covered.into_inner();
    if covered != len {
        return Err(Error::ExecutorCoverage { covered, len });
    }
    Ok(())
}

fn as_bools(bytes: &[u8]) -> &[bool] {
    // SAFETY: flag buffers hold only 0 or 1 (zero-initialised, written by `Mask::store_bytes`),
    // which are valid `bool`s of the same size and alignment.
    unsafe { core::slice::from_raw_parts(bytes.as_ptr() as *const bool, bytes.len()) }
}
