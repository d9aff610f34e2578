//! Policies evaluated inside the fused rollout loop, so a rollout never returns to the caller
//! between steps. Each one is generic over the lane type like the envs, and mirrors into WGSL.

use crate::checks::{self, CheckedPolicy};
use crate::error::Error;
use crate::lane::{Lane, U32Lane};
use crate::record::Record;
use crate::rng;
use crate::spec::{ActionSpace, Env, MAX_ACTION_DIM, MAX_OBS_DIM};

/// How actions are chosen during [`crate::VecEnv::rollout`].
#[derive(Clone, Copy, Debug)]
pub enum Policy<'a> {
    /// Uniform over the action space, from the counter-based RNG keyed by (seed, env, episode,
    /// step): a seed gives the same actions on every backend.
    Random,
    /// The same action every step: `action_dim` values (a discrete action as its index).
    Constant(&'a [f32]),
    /// `out = W obs + b`; discrete spaces take `argmax(out)` over `n` outputs (first on ties),
    /// continuous ones clip `out` (`action_dim` outputs) to the space. `weights` is
    /// `[out][obs_dim]` and `bias` `[out]` for one policy shared by all envs, or
    /// `[out][obs_dim][num_envs]` and `[out][num_envs]` for one policy per env (feature-major,
    /// like every batch buffer), so thousands of candidate policies are scored in one call.
    Linear {
        /// Weights, see above.
        weights: &'a [f32],
        /// Biases, see above.
        bias: &'a [f32],
    },
}

/// Outputs of a linear policy for `space`.
pub fn linear_outputs(space: ActionSpace) -> usize {
    match space {
        ActionSpace::Discrete { n } => n as usize,
        ActionSpace::Box { dim, .. } => dim,
    }
}

/// A policy checked against an env and ready for the kernel.
pub(crate) trait LanePolicy: Sync {
    /// Actions for envs `i .. i + L::WIDTH`, whose observation is `obs`, episode key `key` and
    /// step count `elapsed`.
    ///
    /// # Safety
    /// `i + L::WIDTH <= num_envs` of the batch the policy was checked against.
    unsafe fn act<E: Env, L: Lane>(&self, obs: &E::Obs<L>, key: L::U32, elapsed: L::U32, i: usize) -> E::Action<L>;
}

/// [`Policy::Random`] for one action space.
pub(crate) struct RandomPolicy {
    pub space: ActionSpace,
}

impl LanePolicy for RandomPolicy {
    #[inline(always)]
    unsafe fn act<E: Env, L: Lane>(&self, _: &E::Obs<L>, key: L::U32, elapsed: L::U32, _: usize) -> E::Action<L> {
        // Values are computed in plain code and only copied by the `from_fn` closure: a closure
        // is not `inline(always)`, and an AVX2 intrinsic left inside an out-of-line closure
        // becomes a function call per operation.
        let mut values = [L::splat(0.0); MAX_ACTION_DIM];
        match self.space {
            ActionSpace::Discrete { n } => {
                // Top 24 bits times n, shifted back: floor(u * n) for u uniform on 2^24 points, an
                // integer in [0, n) uniform to within 2^-24 (exactly for powers of two; n <= 256).
                let bits = rng::action_bits(key, elapsed, 0, 1).shr(8);
                values[0] = L::from_u32(bits.mul(L::U32::splat(n)).shr(24));
            }
            ActionSpace::Box { low, high, .. } => {
                // The env's action length (a constant, equal to the space's `dim`), so the
                // counter's multiply folds away.
                let dims = E::Action::<L>::LEN;
                for k in 0..dims {
                    values[k] = rng::uniform(rng::action_bits(key, elapsed, k as u32, dims as u32), low[k], high[k]);
                }
            }
        }
        E::Action::<L>::from_fn(|k| values[k])
    }
}

/// [`Policy::Constant`].
pub(crate) struct ConstantPolicy {
    pub action: [f32; MAX_ACTION_DIM],
}

impl LanePolicy for ConstantPolicy {
    #[inline(always)]
    unsafe fn act<E: Env, L: Lane>(&self, _: &E::Obs<L>, _: L::U32, _: L::U32, _: usize) -> E::Action<L> {
        E::Action::<L>::from_fn(|k| L::splat(self.action[k]))
    }
}

/// [`Policy::Linear`], shared (`stride == 0`) or per env (`stride == num_envs`).
pub(crate) struct LinearPolicy {
    pub space: ActionSpace,
    pub weights: *const f32,
    pub bias: *const f32,
    pub outputs: usize,
    pub stride: usize,
}

// SAFETY: read-only views of caller slices that outlive the rollout call.
unsafe impl Sync for LinearPolicy {}

impl LinearPolicy {
    #[inline(always)]
    unsafe fn param<L: Lane>(&self, base: *const f32, index: usize, i: usize) -> L {
        if self.stride == 0 {
            L::splat(*base.add(index))
        } else {
            L::load(base.add(index * self.stride + i))
        }
    }
}

impl LinearPolicy {
    /// Output `o`: bias plus the weighted observation, summed in index order with separate
    /// multiply and add, so every lane type gives the same bits.
    #[inline(always)]
    unsafe fn output<L: Lane>(&self, x: &[L; MAX_OBS_DIM], dim: usize, o: usize, i: usize) -> L {
        let mut acc = self.param::<L>(self.bias, o, i);
        for (k, xk) in x.iter().enumerate().take(dim) {
            acc = acc + self.param::<L>(self.weights, o * dim + k, i) * *xk;
        }
        acc
    }
}

impl LanePolicy for LinearPolicy {
    #[inline(always)]
    unsafe fn act<E: Env, L: Lane>(&self, obs: &E::Obs<L>, _: L::U32, _: L::U32, i: usize) -> E::Action<L> {
        let dim = E::Obs::<L>::LEN;
        let mut x = [L::splat(0.0); MAX_OBS_DIM];
        obs.for_each(|k, v| x[k] = v);
        let mut values = [L::splat(0.0); MAX_ACTION_DIM];
        match self.space {
            ActionSpace::Discrete { .. } => {
                let mut best = self.output(&x, dim, 0, i);
                let mut index = L::splat(0.0);
                for o in 1..self.outputs {
                    let v = self.output(&x, dim, o, i);
                    let better = v.gt(best);
                    best = L::select(better, v, best);
                    index = L::select(better, L::splat(o as f32), index);
                }
                values[0] = index;
            }
            ActionSpace::Box { dim: ad, low, high } => {
                for k in 0..ad {
                    values[k] = self.output(&x, dim, k, i).clamp(L::splat(low[k]), L::splat(high[k]));
                }
            }
        }
        E::Action::<L>::from_fn(|k| values[k])
    }
}

/// A policy checked for env `E` with `n` envs.
pub(crate) enum Checked {
    Random(RandomPolicy),
    Constant(ConstantPolicy),
    Linear(LinearPolicy),
}

/// One rollout kernel for every policy: the match on the kind is one predictable branch per
/// lane group and step, where a kernel per policy tripled the rollout kernels the core compiles
/// (`simd::compiled_here!`: build time and memory).
impl LanePolicy for Checked {
    #[inline(always)]
    unsafe fn act<E: Env, L: Lane>(&self, obs: &E::Obs<L>, key: L::U32, elapsed: L::U32, i: usize) -> E::Action<L> {
        match self {
            Checked::Random(p) => p.act::<E, L>(obs, key, elapsed, i),
            Checked::Constant(p) => p.act::<E, L>(obs, key, elapsed, i),
            Checked::Linear(p) => p.act::<E, L>(obs, key, elapsed, i),
        }
    }
}

/// Checks `policy` for env `E` with `n` envs ([`crate::checks::policy`]) and turns it into the
/// kernel's lane policy.
pub(crate) fn check<E: Env>(policy: Policy<'_>, space: ActionSpace, n: usize) -> Result<Checked, Error> {
    Ok(match checks::policy(E::SPEC.id, policy, space, E::Obs::<f32>::LEN, n)? {
        CheckedPolicy::Random => Checked::Random(RandomPolicy { space }),
        CheckedPolicy::Constant(a) => {
            let mut action = [0.0; MAX_ACTION_DIM];
            action[..a.len()].copy_from_slice(a);
            Checked::Constant(ConstantPolicy { action })
        }
        CheckedPolicy::Linear { weights, bias, outputs, stride } => {
            Checked::Linear(LinearPolicy { space, weights: weights.as_ptr(), bias: bias.as_ptr(), outputs, stride })
        }
    })
}
