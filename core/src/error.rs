//! The one error type of the core; every front-end (CLI, wasm) shows its message as is.

use alloc::string::String;

/// Everything that can go wrong at the boundary. The step itself never fails: all input is
/// checked here first.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// `make` was given an id that is not registered.
    #[error("unknown environment id {id:?}; known ids: {known}")]
    UnknownEnv {
        /// The id given.
        id: String,
        /// The registered ids, comma separated.
        known: String,
    },
    /// A batch needs at least one env and at most `u32::MAX` (env indices are 32-bit).
    #[error("num_envs must be between 1 and {max}, got {num_envs}")]
    NumEnvs {
        /// The number given.
        num_envs: usize,
        /// The largest allowed.
        max: usize,
    },
    /// The action slice has the wrong length.
    #[error("{env}: expected {expected} action values (num_envs x action_dim), got {got}")]
    ActionLength {
        /// Env id.
        env: &'static str,
        /// Expected length.
        expected: usize,
        /// Given length.
        got: usize,
    },
    /// Discrete actions given to a continuous env, or the other way round.
    #[error("{env}: expected {expected} actions, got {got}")]
    ActionType {
        /// Env id.
        env: &'static str,
        /// What the env takes.
        expected: &'static str,
        /// What was given.
        got: &'static str,
    },
    /// A discrete action outside `[0, n)`.
    #[error("{env}: action {value} at index {index} is outside Discrete({n})")]
    ActionOutOfRange {
        /// Env id.
        env: &'static str,
        /// Position in the action slice.
        index: usize,
        /// The value.
        value: i64,
        /// Number of actions.
        n: u32,
    },
    /// A NaN or infinite continuous action.
    #[error("{env}: action {value} at index {index} is not finite")]
    NonFiniteAction {
        /// Env id.
        env: &'static str,
        /// Position in the action slice.
        index: usize,
        /// The value.
        value: f32,
    },
    /// An env index past the end of the batch.
    #[error("env index {index} is out of range for a batch of {num_envs}")]
    EnvIndex {
        /// The index.
        index: usize,
        /// Batch size.
        num_envs: usize,
    },
    /// A state or observation slice of the wrong length.
    #[error("{what}: expected {expected} values, got {got}")]
    Length {
        /// Which buffer.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Given length.
        got: usize,
    },
    /// A step count at or past the time limit (the episode would already have been truncated).
    #[error("elapsed steps {elapsed} must be below max_episode_steps {max}")]
    Elapsed {
        /// The step count given.
        elapsed: u32,
        /// The time limit.
        max: u32,
    },
    /// A parameter value that makes no sense (e.g. a negative mass, a NaN).
    #[error("{env}: parameter {name} = {value} is invalid: {reason}")]
    InvalidParam {
        /// Env id.
        env: &'static str,
        /// Field name.
        name: &'static str,
        /// The value.
        value: f64,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A NaN or infinity in a caller-supplied buffer (policy weights, constant actions).
    #[error("{what}: value at index {index} is not finite")]
    NonFinite {
        /// Which buffer.
        what: &'static str,
        /// Position of the first bad value.
        index: usize,
    },
    /// A request this version does not support.
    #[error("unsupported: {what}")]
    Unsupported {
        /// What was asked for.
        what: &'static str,
    },
    /// A SIMD path was requested that this CPU or build does not have.
    #[error("SIMD path {path} is not available on this machine/build (available: {available})")]
    SimdUnavailable {
        /// The requested path.
        path: &'static str,
        /// The available ones.
        available: String,
    },
}
