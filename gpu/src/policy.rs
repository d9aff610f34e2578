//! The rollout policies on the device: the checks of the core's `policy::check` (same errors),
//! and the numbers the shader reads.

use crate::layout::{POLICY_CONSTANT, POLICY_LINEAR, POLICY_RANDOM};
use fusegym_core::policy::linear_outputs;
use fusegym_core::vec_env::action_in_range;
use fusegym_core::{ActionSpace, Error, Policy};

/// A checked policy: its kind, the words of the input buffer, and the linear layout.
pub struct DevicePolicy {
    pub kind: u32,
    pub words: Vec<u32>,
    /// 0 (shared) or num_envs (one policy per env).
    pub stride: u32,
    /// Word index where the linear bias starts.
    pub bias: u32,
}

fn finite(what: &'static str, v: &[f32]) -> Result<(), Error> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(Error::NonFinite { what, index }),
        None => Ok(()),
    }
}

/// Checks `policy` for an env with `obs_dim` observations, `space` and `n` envs.
pub fn check(env: &'static str, policy: Policy<'_>, space: ActionSpace, obs_dim: usize, n: usize) -> Result<DevicePolicy, Error> {
    match policy {
        Policy::Random => {
            if let ActionSpace::Discrete { n } = space {
                if n > 256 {
                    return Err(Error::Unsupported { what: "random policy over more than 256 discrete actions" });
                }
            }
            Ok(DevicePolicy { kind: POLICY_RANDOM, words: vec![0], stride: 0, bias: 0 })
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
                if a[0].trunc() != a[0] || a[0] < 0.0 || a[0] >= n as f32 {
                    return Err(Error::DiscreteValue { env, value: a[0] as f64, n });
                }
            }
            Ok(DevicePolicy { kind: POLICY_CONSTANT, words: a.iter().map(|x| x.to_bits()).collect(), stride: 0, bias: 0 })
        }
        Policy::Linear { weights, bias } => {
            let outputs = linear_outputs(space);
            let shared = outputs * obs_dim;
            let per_env = shared.saturating_mul(n);
            let stride = if weights.len() == shared { 0 } else { n };
            if weights.len() != shared && weights.len() != per_env {
                return Err(Error::Length {
                    what: "linear policy weights (outputs x obs_dim [x num_envs])",
                    expected: shared,
                    got: weights.len(),
                });
            }
            let bias_len = if stride == 0 { outputs } else { outputs * n };
            if bias.len() != bias_len {
                return Err(Error::Length { what: "linear policy bias", expected: bias_len, got: bias.len() });
            }
            finite("linear policy weights", weights)?;
            finite("linear policy bias", bias)?;
            let words: Vec<u32> = weights.iter().chain(bias).map(|x| x.to_bits()).collect();
            Ok(DevicePolicy { kind: POLICY_LINEAR, words, stride: stride as u32, bias: weights.len() as u32 })
        }
    }
}
