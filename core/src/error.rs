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
    /// A batch needs at least one env, and its global env indices (`env_offset ..
    /// env_offset + num_envs`) must stay below 2^32 (the RNG and the GPU index envs with u32).
    #[error("num_envs must be at least 1 and at most {max} (global env indices from env_offset {env_offset} must stay below 2^32), got {num_envs}")]
    NumEnvs {
        /// The number given.
        num_envs: usize,
        /// The largest allowed at this offset.
        max: usize,
        /// The shard's offset.
        env_offset: u32,
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
    /// A discrete action given as a float (a constant policy) that is not an integer in range.
    #[error("{env}: discrete action {value} must be an integer in 0..{n} (Discrete({n}))")]
    DiscreteValue {
        /// Env id.
        env: &'static str,
        /// The value.
        value: f64,
        /// Number of actions.
        n: u32,
    },
    /// A NaN, infinite or absurdly large continuous action (`|a| >= 2^60`, see
    /// [`crate::vec_env::MAX_ACTION_MAGNITUDE`]).
    #[error("{env}: action {value} at index {index} is not finite or not below 2^60 in magnitude")]
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
    /// A finite state component outside the range `set_env_state` accepts for it (each env's
    /// [`crate::Env::STATE_VALID`]).
    #[error("{env}: state component {name} (index {index}) = {} is outside its valid range {valid}", Num(*.value))]
    InvalidState {
        /// Env id.
        env: &'static str,
        /// Component name.
        name: &'static str,
        /// Position in the state.
        index: usize,
        /// The value.
        value: f64,
        /// The valid range, e.g. `[-1000, 1000]`.
        valid: String,
    },
    /// A step count at or past the time limit (the episode would already have been truncated).
    #[error("elapsed steps {elapsed} must be below max_episode_steps {max}")]
    Elapsed {
        /// The step count given.
        elapsed: u32,
        /// The time limit.
        max: u32,
    },
    /// A parameter value outside its field's valid range (e.g. a negative mass, a NaN).
    #[error("{env}: parameter {name} = {} is outside its valid range {valid}", Num(*.value))]
    InvalidParam {
        /// Env id.
        env: &'static str,
        /// Field name.
        name: &'static str,
        /// The value.
        value: f64,
        /// The valid range, e.g. `(0, inf)`.
        valid: String,
    },
    /// Parameters that must be ordered are not (e.g. `min_position >= max_position`, or
    /// `ground_z + 2 goal_margin >= ceiling_z`).
    #[error("{env}: parameters must satisfy {low} {symbol} {high}, got {low} = {} and {high} = {}", Num(*.low_value), Num(*.high_value))]
    ParamOrder {
        /// Env id.
        env: &'static str,
        /// The field that must be smaller (or the smaller side, e.g. `ground_z + 2 goal_margin`).
        low: &'static str,
        /// The field that must be larger.
        high: &'static str,
        /// `<` or `<=`.
        symbol: &'static str,
        /// Its value: with per-env values, that of the first env breaking the constraint; with
        /// ranges, the largest the ranges allow.
        low_value: f64,
        /// Its value (that env's, or the smallest the ranges allow).
        high_value: f64,
    },
    /// A parameter name the env does not declare.
    #[error("{env}: unknown parameter {name:?}; its parameters are: {known}")]
    UnknownParam {
        /// Env id.
        env: &'static str,
        /// The name given.
        name: String,
        /// The declared names, comma separated.
        known: String,
    },
    /// A parameter range with `low > high` or an end outside the field's valid range.
    #[error("{env}: parameter range {name} = {}..{} is invalid: {reason} (valid values: {valid})", Num(*.low), Num(*.high))]
    ParamRange {
        /// Env id.
        env: &'static str,
        /// Field name.
        name: &'static str,
        /// Lower end given.
        low: f64,
        /// Upper end given.
        high: f64,
        /// What is wrong.
        reason: &'static str,
        /// The field's valid range.
        valid: String,
    },
    /// A buffer whose size, derived from the request, overflows or exceeds what can be
    /// allocated.
    #[error("{what}: {requested} is too large (limit {limit})")]
    TooLarge {
        /// Which buffer or count.
        what: &'static str,
        /// What was asked for (elements or bytes, as `what` says), saturated at `u128::MAX`.
        requested: u128,
        /// The largest allowed.
        limit: u128,
    },
    /// A buffer sized by the batch could not be allocated (out of memory or address space):
    /// every buffer of a batch is allocated fallibly, so a batch too large for the machine is
    /// this error instead of an abort.
    #[error("{what}: could not allocate {bytes} bytes (out of memory or address space); use fewer envs")]
    Alloc {
        /// Which buffer.
        what: &'static str,
        /// Bytes asked for, saturated at `u128::MAX`.
        bytes: u128,
    },
    /// The same parameter field is set twice in one configuration (two entries of
    /// [`crate::EnvConfig::params`], in any mix of shared, per-env and range values).
    #[error("{env}: parameter {name} is given more than once; give each parameter once")]
    DuplicateParam {
        /// Env id.
        env: &'static str,
        /// Field name.
        name: &'static str,
    },
    /// An [`crate::Executor`] whose ranges did not cover the batch exactly once (their lengths
    /// add up to `covered`, not `len`): some envs were not stepped (or some twice), so the batch
    /// must be reset.
    #[error(
        "executor covered {covered} env-slots of a batch of {len} (its ranges must cover 0..{len} exactly once); the batch must be reset"
    )]
    ExecutorCoverage {
        /// Sum of the lengths of the ranges the executor ran.
        covered: usize,
        /// Batch size.
        len: usize,
    },
    /// An [`crate::Executor`] handed out a range that breaks its contract; the call stopped
    /// short of stepping that range, so the batch must be reset.
    #[error("executor gave range {start}..{end} for a batch of {len} (ranges must start at multiples of 64 and end within the batch)")]
    Executor {
        /// Range start.
        start: usize,
        /// Range end.
        end: usize,
        /// Batch size.
        len: usize,
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

/// A value in a message, short either way: a value an `f32` holds as that `f32` prints (`0.1`,
/// not `0.10000000149011612`), an integer no `f32` holds (a step count) in full, and anything
/// outside `[1e-4, 1e7)` in scientific notation (`1e-45` and `3e38`, not 45 or 39 digits).
#[derive(Clone, Copy, Debug)]
pub struct Num(pub f64);

impl core::fmt::Display for Num {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let x = self.0;
        let plain = x == 0.0 || (1e-4..1e7).contains(&x.abs());
        if !x.is_finite() {
            write!(f, "{x}")
        } else if (x as f32) as f64 == x {
            let v = x as f32;
            if plain {
                write!(f, "{v}")
            } else {
                write!(f, "{v:e}")
            }
        } else if plain || (x == libm::trunc(x) && x.abs() < 1e16) {
            write!(f, "{x}")
        } else {
            write!(f, "{x:e}")
        }
    }
}
