//! How a batch is configured: seed, shard offset, autoreset mode and parameters (shared, per
//! env, or drawn per env from ranges). [`EnvConfig`] is the dynamic form every front-end builds
//! (parameters by name); [`Builder`] is the typed one (`VecEnv::<CartPole>::builder(n)`).

use crate::error::Error;
use crate::spec::Env;
use crate::vec_env::VecEnv;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// What happens when an episode ends, as Gymnasium's `AutoresetMode` (Gymnasium 1.1+,
/// `gymnasium.vector.AutoresetMode`). The table in `docs/autoreset.md` shows what each mode
/// returns on the done step and on the step after.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Autoreset {
    /// `SAME_STEP`: the step that ends an episode also starts the next one: it returns the new
    /// episode's first observation, that step's reward and flags, and the final observation of
    /// the finished envs separately ([`crate::StepView::final_obs`]). fusegym's default: no
    /// step is spent on resets.
    #[default]
    SameStep,
    /// `NEXT_STEP` (Gymnasium's default): the step that ends an episode returns its final
    /// observation; the env's next step ignores its action, starts the new episode and returns
    /// its first observation with reward 0 and both flags false. No final-observation buffer
    /// is written.
    NextStep,
    /// `DISABLED`: a finished env stays as it finished until [`VecEnv::reset_envs`] resets it.
    /// Stepping it meanwhile is a documented no-op: its observation stays the final one, its
    /// reward is 0 and its flags stay set (so "are all envs done?" keeps its answer).
    Disabled,
}

impl Autoreset {
    /// Every mode.
    pub const ALL: [Autoreset; 3] = [Autoreset::SameStep, Autoreset::NextStep, Autoreset::Disabled];

    /// The CLI's name: `same-step`, `next-step`, `disabled`.
    pub fn name(self) -> &'static str {
        match self {
            Autoreset::SameStep => "same-step",
            Autoreset::NextStep => "next-step",
            Autoreset::Disabled => "disabled",
        }
    }

    /// Gymnasium's name: `SAME_STEP`, `NEXT_STEP`, `DISABLED`.
    pub fn gymnasium_name(self) -> &'static str {
        match self {
            Autoreset::SameStep => "SAME_STEP",
            Autoreset::NextStep => "NEXT_STEP",
            Autoreset::Disabled => "DISABLED",
        }
    }

    /// Parses [`Autoreset::name`] or [`Autoreset::gymnasium_name`].
    pub fn from_name(name: &str) -> Option<Autoreset> {
        Autoreset::ALL.into_iter().find(|m| m.name() == name || m.gymnasium_name() == name)
    }
}

/// The value of one parameter field in a batch.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// One value for every env.
    Shared(f32),
    /// One value per env (`[num_envs]`, env `i`'s value at `i`).
    PerEnv(Vec<f32>),
    /// Drawn per env uniformly from `[low, high)` with the counter RNG, keyed by seed and
    /// global env index (and episode, with [`EnvConfig::redraw_each_episode`]), so every
    /// backend and every shard draws the same values.
    Range {
        /// Lower end (drawn values are `>= low`).
        low: f32,
        /// Upper end (drawn values are `< high`, or `low` when `low == high`).
        high: f32,
    },
}

/// Per-env parameter ranges (domain randomization), by field name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamRanges {
    /// `(field, low, high)`.
    pub ranges: Vec<(String, f32, f32)>,
    /// Draw again at every reset (a new episode's parameters come from its episode key).
    pub redraw_each_episode: bool,
}

impl ParamRanges {
    /// No ranges yet.
    pub fn new() -> Self {
        ParamRanges::default()
    }
    /// Draws field `name` uniformly from `[low, high)` (a name given twice is
    /// [`Error::DuplicateParam`] when the batch is built).
    pub fn range(mut self, name: &str, low: f32, high: f32) -> Self {
        self.ranges.push((name.to_string(), low, high));
        self
    }
    /// Redraws the ranged fields at every reset.
    pub fn redraw_each_episode(mut self, redraw: bool) -> Self {
        self.redraw_each_episode = redraw;
        self
    }
}

/// Everything about a batch but its env type, by name: what `make_with`, the CLI and the wasm
/// package build.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnvConfig {
    /// Number of envs.
    pub num_envs: usize,
    /// Seed of episode 0 of every env.
    pub seed: u64,
    /// Global index of env 0 (a shard of a larger batch, see [`VecEnv::shard`]).
    pub env_offset: u32,
    /// What happens when an episode ends.
    pub autoreset: Autoreset,
    /// Parameter overrides by field name on top of the env's defaults, each field at most once
    /// (a name given twice, in any mix of shared, per-env and range values, is
    /// [`Error::DuplicateParam`]).
    pub params: Vec<(String, ParamValue)>,
    /// Redraw [`ParamValue::Range`] fields at every reset.
    pub redraw_each_episode: bool,
    /// Overrides the registered time limit (0 = none).
    pub max_episode_steps: Option<u32>,
}

impl EnvConfig {
    /// `num_envs` envs, seed `seed`, everything else default.
    pub fn new(num_envs: usize, seed: u64) -> Self {
        EnvConfig { num_envs, seed, ..EnvConfig::default() }
    }
    /// Adds the ranges (and their redraw setting).
    pub fn with_ranges(mut self, ranges: ParamRanges) -> Self {
        for (name, low, high) in ranges.ranges {
            self.params.push((name, ParamValue::Range { low, high }));
        }
        self.redraw_each_episode |= ranges.redraw_each_episode;
        self
    }
}

/// The typed way to configure a batch: `VecEnv::<CartPole>::builder(4096).seed(7)
/// .autoreset(Autoreset::NextStep).per_env("length", lengths).build()?`.
#[derive(Clone, Debug)]
pub struct Builder<E: Env> {
    params: E::Params,
    config: EnvConfig,
}

impl<E: Env> Builder<E> {
    pub(crate) fn new(num_envs: usize) -> Self {
        Builder { params: E::Params::default(), config: EnvConfig::new(num_envs, 0) }
    }
    /// Seed of episode 0 of every env.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }
    /// Global index of env 0 (shards).
    pub fn env_offset(mut self, env_offset: u32) -> Self {
        self.config.env_offset = env_offset;
        self
    }
    /// The autoreset mode.
    pub fn autoreset(mut self, mode: Autoreset) -> Self {
        self.config.autoreset = mode;
        self
    }
    /// Shared parameters for every env (fields set by name afterwards override them).
    pub fn params(mut self, params: E::Params) -> Self {
        self.params = params;
        self
    }
    /// One shared value for field `name`.
    pub fn param(mut self, name: &str, value: f32) -> Self {
        self.config.params.push((name.to_string(), ParamValue::Shared(value)));
        self
    }
    /// One value per env for field `name`.
    pub fn per_env(mut self, name: &str, values: Vec<f32>) -> Self {
        self.config.params.push((name.to_string(), ParamValue::PerEnv(values)));
        self
    }
    /// Per-env values of field `name` drawn from `[low, high)`.
    pub fn param_range(mut self, name: &str, low: f32, high: f32) -> Self {
        self.config.params.push((name.to_string(), ParamValue::Range { low, high }));
        self
    }
    /// Several ranges at once, with their redraw setting.
    pub fn ranges(mut self, ranges: ParamRanges) -> Self {
        self.config = self.config.with_ranges(ranges);
        self
    }
    /// Redraw ranged fields at every reset.
    pub fn redraw_each_episode(mut self, redraw: bool) -> Self {
        self.config.redraw_each_episode = redraw;
        self
    }
    /// Overrides the time limit (0 = none).
    pub fn max_episode_steps(mut self, steps: u32) -> Self {
        self.config.max_episode_steps = Some(steps);
        self
    }
    /// Validates everything (names, values, ranges, lengths) and builds the batch, reset.
    pub fn build(self) -> Result<VecEnv<E>, Error> {
        VecEnv::from_config(self.params, &self.config)
    }
}
