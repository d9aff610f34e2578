//! [`VecEnv`]: a batch of one environment type, its buffers, and the checks at its boundary.

use crate::error::Error;
use crate::exec::{Executor, Serial};
use crate::kernel::{self, Buffers};
use crate::record::Record;
use crate::rng;
use crate::simd::{self, Backend, SimdPath};
use crate::spec::{ActionSpace, Actions, Env};
use core::sync::atomic::{AtomicBool, Ordering};
use alloc::vec;
use alloc::vec::Vec;

/// A batch of `num_envs` copies of `E`, stepped together.
///
/// Buffers are allocated once in [`VecEnv::new`]; [`VecEnv::step`] allocates nothing.
/// Every buffer is feature-major: component `k` of env `i` is at `buf[k * num_envs + i]`.
pub struct VecEnv<E: Env> {
    pub(crate) params: E::Params,
    pub(crate) num_envs: usize,
    env_offset: u32,
    seed: u64,
    pub(crate) path: SimdPath,
    state: Vec<f32>,
    elapsed: Vec<u32>,
    episode: Vec<u32>,
    obs: Vec<f32>,
    final_obs: Vec<f32>,
    reward: Vec<f32>,
    terminated: Vec<u8>,
    truncated: Vec<u8>,
    /// Per-env statistics of the last rollout.
    pub(crate) reward_sum: Vec<f32>,
    pub(crate) episodes_done: Vec<u32>,
    pub(crate) length_sum: Vec<u32>,
    _env: core::marker::PhantomData<E>,
}

/// What a step returns: borrowed views of the batch's output buffers (no copies).
#[derive(Clone, Copy, Debug)]
pub struct StepView<'a> {
    /// Observations after the step, feature-major `[obs_dim][num_envs]`. For an env that
    /// finished this step, the first observation of its next episode (same-step auto-reset).
    pub obs: &'a [f32],
    /// Reward of the step, `[num_envs]`.
    pub reward: &'a [f32],
    /// The episode reached a terminal state, `[num_envs]`.
    pub terminated: &'a [bool],
    /// The episode hit the time limit, `[num_envs]`.
    pub truncated: &'a [bool],
    /// The last observation of the episode that just ended, `[obs_dim][num_envs]`. Valid only
    /// where `terminated[i] || truncated[i]`; other entries are left from earlier steps.
    pub final_obs: &'a [f32],
}

impl<E: Env> VecEnv<E> {
    /// A batch with Gymnasium's default parameters, reset and ready to step.
    pub fn new(num_envs: usize, seed: u64) -> Result<Self, Error> {
        Self::with_params(E::Params::default(), num_envs, seed)
    }

    /// A batch with the given parameters, reset and ready to step.
    pub fn with_params(params: E::Params, num_envs: usize, seed: u64) -> Result<Self, Error> {
        Self::shard(params, num_envs, 0, seed)
    }

    /// Envs `env_offset .. env_offset + num_envs` of a larger batch: they draw exactly what the
    /// unsplit batch draws for those indices.
    pub fn shard(params: E::Params, num_envs: usize, env_offset: u32, seed: u64) -> Result<Self, Error> {
        let max = u32::MAX as usize - env_offset as usize;
        if num_envs == 0 || num_envs > max {
            return Err(Error::NumEnvs { num_envs, max });
        }
        let s = E::State::<f32>::LEN;
        let o = E::Obs::<f32>::LEN;
        assert!(!E::OBS_IS_STATE || s == o, "OBS_IS_STATE needs as many obs as state components");
        let mut env = VecEnv {
            params,
            num_envs,
            env_offset,
            seed,
            path: SimdPath::best(),
            // With OBS_IS_STATE the observation buffer holds the state (see `Env::OBS_IS_STATE`).
            state: if E::OBS_IS_STATE { Vec::new() } else { vec![0.0; s * num_envs] },
            elapsed: vec![0; num_envs],
            episode: vec![0; num_envs],
            obs: vec![0.0; o * num_envs],
            final_obs: vec![0.0; o * num_envs],
            reward: vec![0.0; num_envs],
            terminated: vec![0; num_envs],
            truncated: vec![0; num_envs],
            reward_sum: vec![0.0; num_envs],
            episodes_done: vec![0; num_envs],
            length_sum: vec![0; num_envs],
            _env: core::marker::PhantomData,
        };
        env.reset();
        Ok(env)
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

    /// Starts episode 0 of every env from `seed`.
    pub fn reset(&mut self) -> &[f32] {
        self.episode.fill(0);
        self.terminated.fill(0);
        self.truncated.fill(0);
        self.reward.fill(0.0);
        let b = self.buffers(core::ptr::null());
        // SAFETY: `b` covers this batch's buffers, borrowed mutably for the call.
        unsafe { kernel::reset_range::<E>(&self.params, &b, 0, self.num_envs) };
        &self.obs
    }

    /// Reseeds and resets (Gymnasium's `reset(seed=...)`).
    pub fn reset_with_seed(&mut self, seed: u64) -> &[f32] {
        self.seed = seed;
        self.reset()
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
        let f = simd::step_fn::<E>(self.path);
        let params = &self.params;
        // SAFETY: buffers sized in `shard`, actions checked above, ranges disjoint by the
        // `Executor` contract, `path` checked available in `set_simd_path`/`best`.
        exec.run(self.num_envs, &|start, end| unsafe { f(params, &b, start, end) });
        Ok(self.view())
    }

    /// The outputs of the last step (or the reset observations).
    pub fn view(&self) -> StepView<'_> {
        StepView {
            obs: &self.obs,
            reward: &self.reward,
            terminated: as_bools(&self.terminated),
            truncated: as_bools(&self.truncated),
            final_obs: &self.final_obs,
        }
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
    /// The action space.
    pub fn action_space(&self) -> ActionSpace {
        E::action_space(&self.params)
    }
    /// The parameters.
    pub fn params(&self) -> &E::Params {
        &self.params
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
    /// Steps taken in each env's current episode.
    pub fn elapsed(&self) -> &[u32] {
        &self.elapsed
    }
    /// Episode number of each env (0 for the episode started by `reset`).
    pub fn episodes(&self) -> &[u32] {
        &self.episode
    }

    /// Overwrites env `i`'s internal state (Gymnasium's `env.unwrapped.state = ...`) and its
    /// step count, and recomputes its observation.
    pub fn set_env_state(&mut self, i: usize, state: &[f32], elapsed: u32) -> Result<(), Error> {
        let n = self.num_envs;
        if i >= n {
            return Err(Error::EnvIndex { index: i, num_envs: n });
        }
        let s = E::State::<f32>::LEN;
        if state.len() != s {
            return Err(Error::Length { what: "state", expected: s, got: state.len() });
        }
        let max = E::max_episode_steps(&self.params);
        if max != 0 && elapsed >= max {
            return Err(Error::Elapsed { elapsed, max });
        }
        if !E::OBS_IS_STATE {
            for (k, v) in state.iter().enumerate() {
                self.state[k * n + i] = *v;
            }
        }
        self.elapsed[i] = elapsed;
        let st = E::State::<f32>::from_fn(|k| state[k]);
        E::observe(&self.params, &st).for_each(|k, v| self.obs[k * n + i] = v);
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

    pub(crate) fn buffers(&mut self, actions: *const u32) -> Buffers {
        let obs = self.obs.as_mut_ptr();
        Buffers {
            n: self.num_envs,
            env_offset: self.env_offset,
            seed_key: rng::seed_key(self.seed),
            state: if E::OBS_IS_STATE { obs } else { self.state.as_mut_ptr() },
            elapsed: self.elapsed.as_mut_ptr(),
            episode: self.episode.as_mut_ptr(),
            obs,
            final_obs: self.final_obs.as_mut_ptr(),
            reward: self.reward.as_mut_ptr(),
            terminated: self.terminated.as_mut_ptr(),
            truncated: self.truncated.as_mut_ptr(),
            actions,
        }
    }

    /// Checks type, length and values of `actions`; returns the pointer the kernel reads.
    /// Checks `actions` against the action space before anything is stepped. The scan over the
    /// values runs on `exec`'s threads, each over the envs it is about to step (so their actions
    /// are in its cache for the step); the position of a bad value is only searched on failure.
    fn check_actions(&self, actions: Actions<'_>, exec: &dyn Executor) -> Result<*const u32, Error> {
        let env = E::SPEC.id;
        let space = E::action_space(&self.params);
        let n = self.num_envs;
        let expected = space.dim() * n;
        if actions.len() != expected {
            return Err(Error::ActionLength { env, expected, got: actions.len() });
        }
        match (space, actions) {
            (ActionSpace::Discrete { n: count }, Actions::Discrete(a)) => {
                check_discrete(env, a, count, exec, |i| a[i] as i64)?;
                Ok(a.as_ptr())
            }
            (ActionSpace::Discrete { n: count }, Actions::DiscreteI32(a)) => {
                // Negative values become >= 2^31 as u32, so one unsigned check covers both ends.
                let u: &[u32] = bytemuck::cast_slice(a);
                check_discrete(env, u, count, exec, |i| a[i] as i64)?;
                Ok(u.as_ptr())
            }
            (ActionSpace::Box { dim, .. }, Actions::Continuous(a)) => {
                // Branch-free scan (it vectorises) of each component's slice of the range.
                let bad = any_in_ranges(n, dim, exec, |lo, hi| a[lo..hi].iter().fold(false, |acc, x| acc | !x.is_finite()));
                if bad {
                    let index = a.iter().position(|x| !x.is_finite()).unwrap_or(0);
                    return Err(Error::NonFiniteAction { env, index, value: a[index] });
                }
                Ok(a.as_ptr() as *const u32)
            }
            (space, given) => Err(Error::ActionType {
                env,
                expected: if space.is_discrete() { "discrete (u32 or i32)" } else { "continuous (f32)" },
                got: match given {
                    Actions::Continuous(_) => "continuous (f32)",
                    _ => "discrete",
                },
            }),
        }
    }
}

/// Whether `bad(lo, hi)` holds for any slice `k * n + start .. k * n + end` (`k < dim`) of the
/// ranges `exec` splits `0..n` into.
fn any_in_ranges(n: usize, dim: usize, exec: &dyn Executor, bad: impl Fn(usize, usize) -> bool + Sync) -> bool {
    let found = AtomicBool::new(false);
    exec.run(n, &|start, end| {
        if (0..dim).any(|k| bad(k * n + start, k * n + end)) {
            found.store(true, Ordering::Relaxed);
        }
    });
    found.into_inner()
}

fn check_discrete(env: &'static str, a: &[u32], n: u32, exec: &dyn Executor, value: impl Fn(usize) -> i64) -> Result<(), Error> {
    // An OR of comparisons vectorises on every target (an unsigned max needs SSE4.1).
    if any_in_ranges(a.len(), 1, exec, |lo, hi| a[lo..hi].iter().fold(false, |acc, &x| acc | (x >= n))) {
        let index = a.iter().position(|&x| x >= n).unwrap_or(0);
        return Err(Error::ActionOutOfRange { env, index, value: value(index), n });
    }
    Ok(())
}

fn as_bools(bytes: &[u8]) -> &[bool] {
    // SAFETY: flag buffers hold only 0 or 1 (zero-initialised, written by `Mask::store_bytes`),
    // which are valid `bool`s of the same size and alignment.
    unsafe { core::slice::from_raw_parts(bytes.as_ptr() as *const bool, bytes.len()) }
}
