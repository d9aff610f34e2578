//! The list of environment ids every front-end reads, and [`make`], the dynamic constructor.

use crate::envs::{CartPole, MountainCar, MountainCarContinuous, Pendulum, Acrobot, Reach3D};
use crate::error::Error;
use crate::exec::Executor;
use crate::policy::Policy;
use crate::rollout::{RolloutStats, Trajectory};
use crate::record::Record;
use crate::simd::SimdPath;
use crate::spec::{ActionSpace, Actions, Env};
use crate::vec_env::{StepView, VecEnv};
use alloc::boxed::Box;
use alloc::string::ToString;

/// A [`VecEnv`] whose environment type is chosen at run time.
pub trait DynVecEnv: Send {
    /// Env id.
    fn id(&self) -> &'static str;
    /// Number of envs.
    fn num_envs(&self) -> usize;
    /// Observation components per env.
    fn obs_dim(&self) -> usize;
    /// Names of the observation components.
    fn obs_names(&self) -> &'static [&'static str];
    /// State components per env.
    fn state_dim(&self) -> usize;
    /// Action space.
    fn action_space(&self) -> ActionSpace;
    /// Time limit (0 = none).
    fn max_episode_steps(&self) -> u32;
    /// Lane implementation in use.
    fn simd_path(&self) -> SimdPath;
    /// Selects the lane implementation.
    fn set_simd_path(&mut self, path: SimdPath) -> Result<(), Error>;
    /// Resets every env (episode 0 of the current seed).
    fn reset(&mut self) -> &[f32];
    /// Reseeds and resets.
    fn reset_with_seed(&mut self, seed: u64) -> &[f32];
    /// Steps every env on the calling thread.
    fn step(&mut self, actions: Actions<'_>) -> Result<StepView<'_>, Error>;
    /// Steps every env across `exec`'s threads.
    fn step_with(&mut self, actions: Actions<'_>, exec: &dyn Executor) -> Result<StepView<'_>, Error>;
    /// `steps` steps with actions from `policy` inside the fused loop (see [`VecEnv::rollout`]).
    fn rollout_with(
        &mut self,
        steps: usize,
        policy: Policy<'_>,
        record: Option<Trajectory<'_>>,
        exec: &dyn Executor,
    ) -> Result<RolloutStats<'_>, Error>;
    /// Action components per env (1 for discrete spaces).
    fn action_dim(&self) -> usize;
    /// Outputs of the last step.
    fn view(&self) -> StepView<'_>;
    /// Internal states, feature-major.
    fn state(&self) -> &[f32];
    /// Overwrites one env's state and step count.
    fn set_env_state(&mut self, i: usize, state: &[f32], elapsed: u32) -> Result<(), Error>;
    /// Episode number of each env.
    fn episodes(&self) -> &[u32];
}

impl<E: Env> DynVecEnv for VecEnv<E> {
    fn id(&self) -> &'static str {
        E::SPEC.id
    }
    fn num_envs(&self) -> usize {
        VecEnv::num_envs(self)
    }
    fn obs_dim(&self) -> usize {
        VecEnv::obs_dim(self)
    }
    fn obs_names(&self) -> &'static [&'static str] {
        E::Obs::<f32>::NAMES
    }
    fn state_dim(&self) -> usize {
        VecEnv::state_dim(self)
    }
    fn action_space(&self) -> ActionSpace {
        VecEnv::action_space(self)
    }
    fn max_episode_steps(&self) -> u32 {
        E::max_episode_steps(self.params())
    }
    fn simd_path(&self) -> SimdPath {
        VecEnv::simd_path(self)
    }
    fn set_simd_path(&mut self, path: SimdPath) -> Result<(), Error> {
        VecEnv::set_simd_path(self, path)
    }
    fn reset(&mut self) -> &[f32] {
        VecEnv::reset(self)
    }
    fn reset_with_seed(&mut self, seed: u64) -> &[f32] {
        VecEnv::reset_with_seed(self, seed)
    }
    fn step(&mut self, actions: Actions<'_>) -> Result<StepView<'_>, Error> {
        VecEnv::step(self, actions)
    }
    fn step_with(&mut self, actions: Actions<'_>, exec: &dyn Executor) -> Result<StepView<'_>, Error> {
        VecEnv::step_with(self, actions, exec)
    }
    fn rollout_with(
        &mut self,
        steps: usize,
        policy: Policy<'_>,
        record: Option<Trajectory<'_>>,
        exec: &dyn Executor,
    ) -> Result<RolloutStats<'_>, Error> {
        VecEnv::rollout_with(self, steps, policy, record, exec)
    }
    fn action_dim(&self) -> usize {
        E::Action::<f32>::LEN
    }
    fn view(&self) -> StepView<'_> {
        VecEnv::view(self)
    }
    fn state(&self) -> &[f32] {
        VecEnv::state(self)
    }
    fn set_env_state(&mut self, i: usize, state: &[f32], elapsed: u32) -> Result<(), Error> {
        VecEnv::set_env_state(self, i, state, elapsed)
    }
    fn episodes(&self) -> &[u32] {
        VecEnv::episodes(self)
    }
}

type Constructor = fn(usize, u32, u64) -> Result<Box<dyn DynVecEnv>, Error>;

fn boxed<E: Env>(num_envs: usize, env_offset: u32, seed: u64) -> Result<Box<dyn DynVecEnv>, Error> {
    Ok(Box::new(VecEnv::<E>::shard(E::Params::default(), num_envs, env_offset, seed)?))
}

/// Id and constructor of every environment; the one place a new env is registered.
const REGISTRY: [(&str, Constructor); 6] = [
    (CartPole::SPEC.id, boxed::<CartPole>),
    (MountainCar::SPEC.id, boxed::<MountainCar>),
    (MountainCarContinuous::SPEC.id, boxed::<MountainCarContinuous>),
    (Pendulum::SPEC.id, boxed::<Pendulum>),
    (Acrobot::SPEC.id, boxed::<Acrobot>),
    (Reach3D::SPEC.id, boxed::<Reach3D>),
];

/// Every registered id, in display order.
pub const ENV_IDS: [&str; REGISTRY.len()] = {
    let mut ids = [""; REGISTRY.len()];
    let mut k = 0;
    while k < REGISTRY.len() {
        ids[k] = REGISTRY[k].0;
        k += 1;
    }
    ids
};

/// Creates `num_envs` copies of env `id` with default parameters, reset with `seed`, on the
/// best SIMD path.
pub fn make(id: &str, num_envs: usize, seed: u64) -> Result<Box<dyn DynVecEnv>, Error> {
    make_shard(id, num_envs, 0, seed)
}

/// Like [`make`], for envs `env_offset .. env_offset + num_envs` of a larger batch (see
/// [`VecEnv::shard`]).
pub fn make_shard(id: &str, num_envs: usize, env_offset: u32, seed: u64) -> Result<Box<dyn DynVecEnv>, Error> {
    match REGISTRY.iter().find(|(name, _)| *name == id) {
        Some((_, construct)) => construct(num_envs, env_offset, seed),
        None => Err(Error::UnknownEnv { id: id.to_string(), known: ENV_IDS.join(", ") }),
    }
}
