//! The checks at a batch's boundary, written once for every backend: host actions, rollout
//! policies and batch configurations. The CPU `VecEnv` and the GPU's `GpuVecEnv` both call
//! these, so a bad input gets the same typed [`Error`] (and message) on either.

use crate::config::{EnvConfig, ParamValue};
use crate::error::Error;
use crate::exec::Executor;
use crate::params::{self, ParamSet, Valid, MAX_PARAM_FIELDS};
use crate::policy::{linear_outputs, Policy};
use crate::spec::{ActionSpace, Actions, ObsSpace};
use crate::vec_env::{action_in_range, run_checked};
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

/// Checks type, length and values of `actions` for `n` envs of `env` with action space
/// `space`; returns them as the words a kernel reads (`u32` indices, or `f32` bits).
///
/// The scan over the values runs on `exec`'s ranges (the CPU passes its thread pool, so each
/// thread checks the actions of the envs it is about to step; [`crate::Serial`] checks on the
/// calling thread). Discrete values go through the AVX2 maximum where the CPU has it; the
/// position of a bad value is only searched on failure.
pub fn actions<'a>(env: &'static str, space: ActionSpace, n: usize, actions: Actions<'a>, exec: &dyn Executor) -> Result<&'a [u32], Error> {
    let expected = space.dim().checked_mul(n).ok_or(Error::ActionLength { env, expected: usize::MAX, got: actions.len() })?;
    if actions.len() != expected {
        return Err(Error::ActionLength { env, expected, got: actions.len() });
    }
    match (space, actions) {
        (ActionSpace::Discrete { n: count }, Actions::Discrete(a)) => {
            discrete(env, a, count, exec, |i| a[i] as i64)?;
            Ok(a)
        }
        (ActionSpace::Discrete { n: count }, Actions::DiscreteI32(a)) => {
            // Negative values become >= 2^31 as u32, so one unsigned check covers both ends.
            let u: &[u32] = bytemuck::cast_slice(a);
            discrete(env, u, count, exec, |i| a[i] as i64)?;
            Ok(u)
        }
        (ActionSpace::Box { dim, .. }, Actions::Continuous(a)) => {
            // Branch-free scan (it vectorises) of each component's slice of the range.
            let bad = any_in_ranges(n, dim, exec, |lo, hi| a[lo..hi].iter().fold(false, |acc, x| acc | !action_in_range(*x)))?;
            if bad {
                let index = a.iter().position(|x| !action_in_range(*x)).unwrap_or(0);
                return Err(Error::NonFiniteAction { env, index, value: a[index] });
            }
            Ok(bytemuck::cast_slice(a))
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

/// Whether `bad(lo, hi)` holds for any slice `k * n + start .. k * n + end` (`k < dim`) of the
/// ranges `exec` splits `0..n` into.
fn any_in_ranges(n: usize, dim: usize, exec: &dyn Executor, bad: impl Fn(usize, usize) -> bool + Sync) -> Result<bool, Error> {
    let found = AtomicBool::new(false);
    run_checked(exec, n, &|start, end| {
        if (0..dim).any(|k| bad(k * n + start, k * n + end)) {
            found.store(true, Ordering::Relaxed);
        }
    })?;
    Ok(found.into_inner())
}

fn discrete(env: &'static str, a: &[u32], n: u32, exec: &dyn Executor, value: impl Fn(usize) -> i64) -> Result<(), Error> {
    if any_in_ranges(a.len(), 1, exec, |lo, hi| crate::simd::max_u32(&a[lo..hi]) >= n)? {
        let index = a.iter().position(|&x| x >= n).unwrap_or(0);
        return Err(Error::ActionOutOfRange { env, index, value: value(index), n });
    }
    Ok(())
}

/// Checks a state handed to `set_env_state` (the CPU's and the GPU's) against the env's
/// declaration: every component finite ([`Error::NonFinite`]), then inside its declared range
/// ([`Error::InvalidState`] naming the component, its value and the range). The length is the
/// caller's to check first.
pub fn state(env: &'static str, names: &'static [&'static str], valid: &[Valid], state: &[f32]) -> Result<(), Error> {
    if let Some(index) = state.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite { what: "state", index });
    }
    for (index, ((&v, range), &name)) in state.iter().zip(valid).zip(names).enumerate() {
        if !range.contains(v) {
            return Err(Error::InvalidState { env, name, index, value: v as f64, valid: range.describe() });
        }
    }
    Ok(())
}

/// A rollout policy checked against an env's action space, observation size and batch size.
#[derive(Clone, Copy, Debug)]
pub enum CheckedPolicy<'a> {
    /// [`Policy::Random`].
    Random,
    /// [`Policy::Constant`]: `action_dim` finite values (a discrete action as a valid index).
    Constant(&'a [f32]),
    /// [`Policy::Linear`], finite.
    Linear {
        /// `[outputs][obs_dim]`, or `[outputs][obs_dim][num_envs]` when `stride` is `num_envs`.
        weights: &'a [f32],
        /// `[outputs]`, or `[outputs][num_envs]`.
        bias: &'a [f32],
        /// Discrete spaces: one per action; Box spaces: one per action component.
        outputs: usize,
        /// 0 (one policy for all envs) or `num_envs` (one per env).
        stride: usize,
    },
}

/// Checks `policy` for `n` envs of `env` with `obs_dim` observations and action space `space`.
pub fn policy<'a>(env: &'static str, policy: Policy<'a>, space: ActionSpace, obs_dim: usize, n: usize) -> Result<CheckedPolicy<'a>, Error> {
    let finite = |what: &'static str, v: &[f32]| match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(Error::NonFinite { what, index }),
        None => Ok(()),
    };
    match policy {
        Policy::Random => {
            // The random discrete action is floor(u * n) on 24 random bits (`policy.rs`).
            if let ActionSpace::Discrete { n } = space {
                if n > 256 {
                    return Err(Error::Unsupported { what: "random policy over more than 256 discrete actions" });
                }
            }
            Ok(CheckedPolicy::Random)
        }
        Policy::Constant(a) => {
            let dim = space.dim();
            if a.len() != dim {
                return Err(Error::Length { what: "constant policy action", expected: dim, got: a.len() });
            }
            finite("constant policy action", a)?;
            if let Some(index) = a.iter().position(|x| !action_in_range(*x)) {
                return Err(Error::NonFiniteAction { env, index, value: a[index] });
            }
            if let ActionSpace::Discrete { n } = space {
                if libm::truncf(a[0]) != a[0] || a[0] < 0.0 || a[0] >= n as f32 {
                    return Err(Error::DiscreteValue { env, value: a[0] as f64, n });
                }
            }
            Ok(CheckedPolicy::Constant(a))
        }
        Policy::Linear { weights, bias } => {
            let outputs = linear_outputs(space);
            let shared = outputs * obs_dim;
            let stride = if weights.len() == shared { 0 } else { n };
            // Checked: a wrapped `shared * n` could match a short buffer.
            let per_env = shared.saturating_mul(n);
            if weights.len() != shared && weights.len() != per_env {
                return Err(Error::Length {
                    what: "linear policy weights (outputs x obs_dim [x num_envs])",
                    expected: shared,
                    got: weights.len(),
                });
            }
            let bias_len = if stride == 0 { outputs } else { outputs.saturating_mul(n) };
            if bias.len() != bias_len {
                return Err(Error::Length { what: "linear policy bias", expected: bias_len, got: bias.len() });
            }
            finite("linear policy weights", weights)?;
            finite("linear policy bias", bias)?;
            Ok(CheckedPolicy::Linear { weights, bias, outputs, stride })
        }
    }
}

/// How a parameter field of a checked configuration is set (each field appears at most once in
/// [`EnvConfig::params`]; a second entry is [`Error::DuplicateParam`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldSource<'a> {
    /// One value for every env (the checked shared parameters hold it).
    Shared,
    /// One value per env, `[num_envs]`.
    PerEnv(&'a [f32]),
    /// Drawn per env from `low..high` (at a reseed, or at every reset with redraw).
    Range {
        /// Low end.
        low: f32,
        /// High end.
        high: f32,
    },
}

/// A configuration checked against one env's parameter declaration, before any buffer exists.
#[derive(Clone, Debug)]
pub struct CheckedConfig<'a, P> {
    /// The shared parameters: defaults, shared overrides and the time limit applied.
    pub params: P,
    /// How each field is set, in declaration order.
    pub fields: Vec<FieldSource<'a>>,
}

impl<P> CheckedConfig<'_, P> {
    /// Bit `k`: field `k` is drawn from a range.
    pub fn ranged(&self) -> u32 {
        ranged_bits(&self.fields)
    }
}

fn ranged_bits(fields: &[FieldSource<'_>]) -> u32 {
    fields.iter().enumerate().fold(0, |bits, (k, f)| bits | (matches!(f, FieldSource::Range { .. }) as u32) << k)
}

fn known_params<P: ParamSet>() -> String {
    P::FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// Checks `config` for env `env` whose shared parameters start as `params`: batch size and
/// offset, time limit, parameter names, values, per-env lengths, ranges and the order
/// constraints between fields. Allocates nothing per env.
pub fn config<'a, P: ParamSet>(env: &'static str, mut params: P, config: &'a EnvConfig) -> Result<CheckedConfig<'a, P>, Error> {
    let (num_envs, env_offset) = (config.num_envs, config.env_offset);
    // Env indices are 32-bit (the RNG's counters, WGSL): the batch must fit below 2^32.
    let max = u32::MAX as usize - env_offset as usize;
    if num_envs == 0 || num_envs > max {
        return Err(Error::NumEnvs { num_envs, max, env_offset });
    }
    let declared = P::FIELDS;
    let mut fields = alloc::vec![FieldSource::Shared; declared.len()];
    if let Some(steps) = config.max_episode_steps {
        params.set_max_episode_steps(steps);
    }
    params::check_time_limit(env, params.max_episode_steps())?;
    // Bit `k`: field `k` was set by an earlier entry (a second one would silently win).
    let mut seen = 0u32;
    for (name, value) in &config.params {
        let k = P::index_of(name).ok_or_else(|| Error::UnknownParam { env, name: name.clone(), known: known_params::<P>() })?;
        if seen & (1 << k) != 0 {
            return Err(Error::DuplicateParam { env, name: declared[k].name });
        }
        seen |= 1 << k;
        fields[k] = match value {
            ParamValue::Shared(v) => {
                params.set(k, *v);
                FieldSource::Shared
            }
            ParamValue::PerEnv(values) => {
                if values.len() != num_envs {
                    return Err(Error::Length { what: "per-env parameter values (one per env)", expected: num_envs, got: values.len() });
                }
                for &v in values {
                    params::check_value::<P>(env, k, v)?;
                }
                FieldSource::PerEnv(values)
            }
            &ParamValue::Range { low, high } => {
                let f = &declared[k];
                let bad =
                    |reason| Error::ParamRange { env, name: f.name, low: low as f64, high: high as f64, reason, valid: f.valid.describe() };
                if low > high || low.is_nan() || high.is_nan() {
                    return Err(bad("low must not exceed high"));
                }
                if !f.valid.contains(low) || !f.valid.contains(high) {
                    return Err(bad("both ends must be valid values of the field"));
                }
                FieldSource::Range { low, high }
            }
        };
    }
    params::check_all(env, &params)?;
    check_orders(env, &params, &fields)?;
    Ok(CheckedConfig { params, fields })
}

/// Checks the order constraints with per-env values: env by env where every field a constraint
/// reads is shared or one value per env, else at the extremes (the largest possible smaller side
/// against the smallest possible larger side; margin factors are positive).
fn check_orders<P: ParamSet>(env: &'static str, params: &P, fields: &[FieldSource<'_>]) -> Result<(), Error> {
    let extremes = |k: usize| -> (f32, f32) {
        match fields[k] {
            FieldSource::Range { low, high } => (low, high),
            FieldSource::PerEnv(c) => c.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v))),
            FieldSource::Shared => (params.get(k), params.get(k)),
        }
    };
    for o in P::ORDER {
        let columns = o.fields().map(|k| fields[k]).collect::<Vec<_>>();
        let per_env = columns.iter().any(|f| matches!(f, FieldSource::PerEnv(_)));
        let ranged = columns.iter().any(|f| matches!(f, FieldSource::Range { .. }));
        if per_env && !ranged {
            let n = columns.iter().find_map(|f| if let FieldSource::PerEnv(c) = f { Some(c.len()) } else { None }).unwrap_or(0);
            let value = |k: usize, i: usize| match fields[k] {
                FieldSource::PerEnv(c) => c[i],
                _ => params.get(k),
            };
            if let Some(i) = (0..n).find(|&i| !o.holds(o.left(|k| value(k, i)), value(o.high, i))) {
                return Err(params::order_error::<P>(env, o, o.left(|k| value(k, i)), value(o.high, i)));
            }
        } else {
            let (lo, hi) = (o.left(|k| extremes(k).1), extremes(o.high).0);
            if !o.holds(lo, hi) {
                return Err(params::order_error::<P>(env, o, lo, hi));
            }
        }
    }
    Ok(())
}

/// A [`CheckedConfig`] without the env type, for front-ends that pick the env at run time (the
/// GPU): the shared values in declaration order and what the batch needs to know about them.
#[derive(Clone, Debug)]
pub struct DynConfig<'a> {
    /// Shared value of each field, in declaration order.
    pub values: Vec<f32>,
    /// How each field is set.
    pub fields: Vec<FieldSource<'a>>,
    /// The time limit (0 = none), with the config's override.
    pub max_episode_steps: u32,
    /// The action space under the shared values.
    pub action_space: ActionSpace,
    /// The observation space under the shared values.
    pub observation_space: ObsSpace,
}

impl DynConfig<'_> {
    /// Bit `k`: field `k` is drawn from a range.
    pub fn ranged(&self) -> u32 {
        ranged_bits(&self.fields)
    }
}

const _: () = assert!(MAX_PARAM_FIELDS <= 32, "ranged fields are a u32 bit set");
