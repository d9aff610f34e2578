//! The list of environment ids every front-end reads, and [`make`], the dynamic constructor.

use crate::checks::{self, DynConfig};
use crate::config::{Autoreset, EnvConfig};
use crate::envs::{Acrobot, CartPole, MountainCar, MountainCarContinuous, Pendulum, Reach3D};
use crate::error::Error;
use crate::exec::Executor;
use crate::params::{ParamField, ParamOrder, ParamSet, Valid};
use crate::policy::Policy;
use crate::record::Record;
use crate::rollout::{RolloutStats, Trajectory};
use crate::simd::SimdPath;
use crate::spec::{ActionSpace, Actions, Env, ObsSpace, RefConst};
use crate::vec_env::{FinalObs, StepView, VecEnv};
use alloc::boxed::Box;
use alloc::string::ToString;
use alloc::vec::Vec;

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
    /// Observation space (under the batch's shared parameters).
    fn observation_space(&self) -> ObsSpace;
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
    /// Steps taken in each env's current episode.
    fn elapsed(&self) -> Vec<u32>;
    /// The same, written into `out` (`[num_envs]`; see [`VecEnv::elapsed_into`]).
    fn elapsed_into(&self, out: &mut [u32]) -> Result<(), Error>;
    /// The registry entry of the env (parameters, spaces).
    fn info(&self) -> &'static EnvInfo;
    /// The autoreset mode.
    fn autoreset(&self) -> Autoreset;
    /// Starts new episodes where `mask` is true (see [`VecEnv::reset_envs`]).
    fn reset_envs(&mut self, mask: &[bool]) -> Result<&[f32], Error>;
    /// Same-step final observations of the envs that finished on the last step, packed.
    fn final_obs(&self) -> FinalObs<'_>;
    /// The same, as a dense feature-major buffer (see [`VecEnv::final_obs_dense`]).
    fn final_obs_dense(&mut self) -> Result<&[f32], Error>;
    /// Env `i`'s value of every parameter field, in declaration order.
    fn env_params(&self, i: usize) -> Result<Vec<f32>, Error>;
    /// `steps` steps on the calling thread with actions from `policy` (see [`VecEnv::rollout`]).
    fn rollout(&mut self, steps: usize, policy: Policy<'_>, record: Option<Trajectory<'_>>) -> Result<RolloutStats<'_>, Error> {
        self.rollout_with(steps, policy, record, &crate::exec::Serial)
    }
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
    fn observation_space(&self) -> ObsSpace {
        E::observation_space(self.params())
    }
    fn max_episode_steps(&self) -> u32 {
        self.params().max_episode_steps()
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
    fn elapsed(&self) -> Vec<u32> {
        VecEnv::elapsed(self)
    }
    fn elapsed_into(&self, out: &mut [u32]) -> Result<(), Error> {
        VecEnv::elapsed_into(self, out)
    }
    fn info(&self) -> &'static EnvInfo {
        ENVS.iter().find(|e| e.id == E::SPEC.id).expect("every env type in use is registered")
    }
    fn autoreset(&self) -> Autoreset {
        VecEnv::autoreset(self)
    }
    fn reset_envs(&mut self, mask: &[bool]) -> Result<&[f32], Error> {
        VecEnv::reset_envs(self, mask)
    }
    fn final_obs(&self) -> FinalObs<'_> {
        VecEnv::final_obs(self)
    }
    fn final_obs_dense(&mut self) -> Result<&[f32], Error> {
        VecEnv::final_obs_dense(self)
    }
    fn env_params(&self, i: usize) -> Result<Vec<f32>, Error> {
        let p = VecEnv::env_params(self, i)?;
        Ok((0..E::Params::FIELDS.len()).map(|k| p.get(k)).collect())
    }
}

type Constructor = fn(&EnvConfig) -> Result<Box<dyn DynVecEnv>, Error>;

/// [`EnvInfo::check_config`].
pub type ConfigChecker = for<'a> fn(&'a EnvConfig) -> Result<DynConfig<'a>, Error>;

fn check_config<E: Env>(config: &EnvConfig) -> Result<DynConfig<'_>, Error> {
    let checked = checks::config(E::SPEC.id, E::Params::default(), config)?;
    let p = &checked.params;
    Ok(DynConfig {
        values: (0..E::Params::FIELDS.len()).map(|k| p.get(k)).collect(),
        max_episode_steps: p.max_episode_steps(),
        action_space: E::action_space(p),
        observation_space: E::observation_space(p),
        fields: checked.fields,
    })
}

fn boxed<E: Env>(config: &EnvConfig) -> Result<Box<dyn DynVecEnv>, Error> {
    Ok(Box::new(VecEnv::<E>::from_config(E::Params::default(), config)?))
}

/// What every front-end needs to know about an env without building one: its id, spaces,
/// parameter declaration and constructor.
#[derive(Clone, Copy)]
pub struct EnvInfo {
    /// Gymnasium-style id.
    pub id: &'static str,
    /// Where the reference implementation lives.
    pub reference: &'static str,
    /// Declared parameter fields ([`crate::params!`]).
    pub params: &'static [ParamField],
    /// Constraints between parameter fields.
    pub order: &'static [ParamOrder],
    /// Names of the observation components.
    pub obs_names: &'static [&'static str],
    /// Names of the state components.
    pub state_names: &'static [&'static str],
    /// What `set_env_state` accepts per state component ([`Env::STATE_VALID`]).
    pub state_valid: &'static [Valid],
    /// Names of the action components.
    pub action_names: &'static [&'static str],
    /// The reference's constants that are not parameters.
    pub reference_constants: &'static [(&'static str, RefConst)],
    /// Size in bytes of the env's `Params<f32>` struct (the GPU's uniform/storage layout).
    pub params_size: usize,
    /// The action space under default parameters.
    pub action_space: fn() -> ActionSpace,
    /// The observation space under default parameters.
    pub observation_space: fn() -> ObsSpace,
    /// The registered time limit (0 = none).
    pub max_episode_steps: fn() -> u32,
    /// Builds a batch.
    pub construct: Constructor,
    /// Checks a configuration as [`EnvInfo::construct`] would, without building a batch (the
    /// GPU builds its own buffers): same errors.
    pub check_config: ConfigChecker,
}

impl core::fmt::Debug for EnvInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EnvInfo").field("id", &self.id).finish_non_exhaustive()
    }
}

impl EnvInfo {
    /// The entry of env type `E`.
    pub const fn of<E: Env>() -> EnvInfo {
        EnvInfo {
            id: E::SPEC.id,
            reference: E::SPEC.reference,
            params: <E::Params as ParamSet>::FIELDS,
            order: <E::Params as ParamSet>::ORDER,
            obs_names: <E::Obs<f32> as Record<f32>>::NAMES,
            state_names: <E::State<f32> as Record<f32>>::NAMES,
            state_valid: E::STATE_VALID,
            action_names: <E::Action<f32> as Record<f32>>::NAMES,
            reference_constants: E::REFERENCE_CONSTANTS,
            params_size: core::mem::size_of::<E::Params>(),
            action_space: default_action_space::<E>,
            observation_space: default_observation_space::<E>,
            max_episode_steps: default_time_limit::<E>,
            construct: boxed::<E>,
            check_config: check_config::<E>,
        }
    }
    /// Bytes a batch of `n` envs allocates (every buffer sized by the batch, the lazily
    /// allocated dense final observations included), with a quarter more for the allocator's
    /// slack; `None` past `usize`. Front-ends compare it with the memory at hand before building
    /// a batch, so a batch too large is an error rather than an allocation failure.
    pub fn batch_bytes(&self, n: usize) -> Option<usize> {
        let (od, sd, ad, np) = (self.obs_names.len(), self.state_names.len(), self.action_names.len(), self.params.len());
        // 4-byte values per env: state, obs, packed + dense final obs, final index, elapsed,
        // episode, reward, parameter columns, actions; 8-byte: three rollout statistics;
        // 1-byte: two flags.
        let words = sd + 3 * od + 4 + np + ad.max(1);
        let per_env = 4 * words + 8 * 3 + 2;
        per_env.checked_mul(n).and_then(|b| b.checked_add(b / 4))
    }
    /// Index of parameter `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|f| f.name == name)
    }
}

fn default_action_space<E: Env>() -> ActionSpace {
    E::action_space(&E::Params::default())
}

fn default_observation_space<E: Env>() -> ObsSpace {
    E::observation_space(&E::Params::default())
}

fn default_time_limit<E: Env>() -> u32 {
    E::Params::default().max_episode_steps()
}

/// Every environment, in display order: the one place a new env is registered. Every other
/// list (ids, the CLI, benches, tests, docs checks) is derived from it.
pub const ENVS: &[EnvInfo] = &[
    EnvInfo::of::<CartPole>(),
    EnvInfo::of::<MountainCar>(),
    EnvInfo::of::<MountainCarContinuous>(),
    EnvInfo::of::<Pendulum>(),
    EnvInfo::of::<Acrobot>(),
    EnvInfo::of::<Reach3D>(),
];

/// Every registered id, in display order.
pub const ENV_IDS: [&str; ENVS.len()] = {
    let mut ids = [""; ENVS.len()];
    let mut k = 0;
    while k < ENVS.len() {
        ids[k] = ENVS[k].id;
        k += 1;
    }
    ids
};

/// The registry entry of env `id`.
pub fn info(id: &str) -> Result<&'static EnvInfo, Error> {
    ENVS.iter().find(|e| e.id == id).ok_or_else(|| Error::UnknownEnv { id: id.to_string(), known: ENV_IDS.join(", ") })
}

/// Creates `num_envs` copies of env `id` with default parameters, reset with `seed`, on the
/// best SIMD path.
pub fn make(id: &str, num_envs: usize, seed: u64) -> Result<Box<dyn DynVecEnv>, Error> {
    make_shard(id, num_envs, 0, seed)
}

/// Like [`make`], for envs `env_offset .. env_offset + num_envs` of a larger batch (see
/// [`VecEnv::shard`]).
pub fn make_shard(id: &str, num_envs: usize, env_offset: u32, seed: u64) -> Result<Box<dyn DynVecEnv>, Error> {
    make_with(id, &EnvConfig { env_offset, ..EnvConfig::new(num_envs, seed) })
}

/// Creates a batch of env `id` as `config` says (autoreset mode, parameters by name ...).
pub fn make_with(id: &str, config: &EnvConfig) -> Result<Box<dyn DynVecEnv>, Error> {
    (info(id)?.construct)(config)
}
