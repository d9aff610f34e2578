//! The rollout policies on the device: checked by the core (`fusegym_core::checks::policy`, the
//! CPU's errors), then laid out as the words each chunk's `input` region holds.

use crate::chunks::GpuChunk;
use crate::layout::{POLICY_CONSTANT, POLICY_LINEAR, POLICY_RANDOM};
use fusegym_core::checks::CheckedPolicy;

/// A checked policy and the batch size its per-env columns are laid out for.
pub struct DevicePolicy<'a> {
    /// The core's checked policy.
    pub checked: CheckedPolicy<'a>,
    /// Envs in the batch.
    pub n: usize,
}

impl DevicePolicy<'_> {
    /// `POLICY_*` of the shader.
    pub fn kind(&self) -> u32 {
        match self.checked {
            CheckedPolicy::Random => POLICY_RANDOM,
            CheckedPolicy::Constant(_) => POLICY_CONSTANT,
            CheckedPolicy::Linear { .. } => POLICY_LINEAR,
        }
    }

    /// The words of chunk `ch`'s input region: the shared numbers (every chunk holds its own
    /// copy), or a per-env policy's rows cut to the chunk (`[rows][len]`, weights then bias).
    pub fn words(&self, ch: GpuChunk) -> Vec<u32> {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
        match self.checked {
            CheckedPolicy::Random => vec![0],
            CheckedPolicy::Constant(a) => bits(a),
            CheckedPolicy::Linear { weights, bias, stride: 0, .. } => weights.iter().chain(bias).map(|x| x.to_bits()).collect(),
            CheckedPolicy::Linear { weights, bias, .. } => {
                let n = self.n;
                let rows = |v: &[f32]| -> Vec<u32> {
                    (0..v.len() / n).flat_map(|r| v[r * n + ch.first..r * n + ch.first + ch.len].iter().map(|x| x.to_bits())).collect()
                };
                let mut w = rows(weights);
                w.extend(rows(bias));
                w
            }
        }
    }

    /// `(policy_stride, policy_bias)` of chunk `ch`'s `Ctl`: 0 and the bias's word index for a
    /// shared linear policy, the chunk's length and where its bias rows start for a per-env one.
    pub fn layout(&self, ch: GpuChunk) -> (u32, u32) {
        match self.checked {
            CheckedPolicy::Linear { weights, stride: 0, .. } => (0, weights.len() as u32),
            CheckedPolicy::Linear { weights, .. } => (ch.len as u32, (weights.len() / self.n * ch.len) as u32),
            _ => (0, 0),
        }
    }
}
