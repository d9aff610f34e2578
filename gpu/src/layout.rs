//! What the host and the shaders agree on: the per-call constants (`Ctl`, a uniform) and the
//! layout of the parameter buffer. Mirrors the constants at the top of `shaders/kernel.wgsl`.

use fusegym_core::params::MAX_PARAM_FIELDS;

/// Word offset of the shared values in the params buffer.
pub const PARAM_SHARED: usize = 0;
/// Word offset of the per-field column offsets (0 = the field is shared).
pub const PARAM_COLUMN: usize = 32;
/// Word offset of the ranges' low ends.
pub const PARAM_LOW: usize = 64;
/// Word offset of the ranges' high ends.
pub const PARAM_HIGH: usize = 96;
/// Word offset of the first per-env column.
pub const PARAM_COLUMNS_START: usize = 128;

const _: () = assert!(MAX_PARAM_FIELDS <= PARAM_COLUMN - PARAM_SHARED, "the params header holds MAX_PARAM_FIELDS fields");

/// Rows of the rollout statistics buffer (`[STAT_ROWS][num_envs]` u32).
pub const STAT_ROWS: usize = 5;

/// Invocations per workgroup (`WORKGROUP` in kernel.wgsl).
pub const WORKGROUP: u32 = 64;

/// Steps one rollout dispatch runs: the CPU's flush window (`kernel::FLUSH_STEPS`), so the f32
/// partial reward sums cover the same steps on both.
pub const ROLLOUT_CHUNK: usize = 256;

/// Flag bits of the flags buffer.
pub const FLAG_TERMINATED: u32 = 1;
/// See [`FLAG_TERMINATED`].
pub const FLAG_TRUNCATED: u32 = 2;

/// Policy kinds (`POLICY_*` in kernel.wgsl).
pub const POLICY_RANDOM: u32 = 0;
/// See [`POLICY_RANDOM`].
pub const POLICY_CONSTANT: u32 = 1;
/// See [`POLICY_RANDOM`].
pub const POLICY_LINEAR: u32 = 2;

/// Reset kinds (`RESET_*` in kernel.wgsl).
pub const RESET_NEXT: u32 = 0;
/// See [`RESET_NEXT`].
pub const RESET_SEED: u32 = 1;
/// See [`RESET_NEXT`].
pub const RESET_MASK: u32 = 2;
/// See [`RESET_NEXT`].
pub const RESET_OBSERVE: u32 = 3;

/// The uniform every entry point reads (`struct Ctl` in kernel.wgsl, same order; the two vec4s
/// sit at 16-byte aligned offsets 64 and 80).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Ctl {
    /// Number of envs.
    pub n: u32,
    /// `rng::seed_key(seed)`.
    pub seed_key: u32,
    /// Global index of env 0.
    pub env_offset: u32,
    /// Autoreset mode: 0 same-step, 1 next-step, 2 disabled.
    pub mode: u32,
    /// Time limit (0 = none).
    pub max_steps: u32,
    /// Bit k: field k is redrawn at every reset.
    pub redraw: u32,
    /// Bit k: field k is drawn from its range at a reseed.
    pub fixed: u32,
    /// Rollout: steps of this dispatch.
    pub steps: u32,
    /// Rollout: `POLICY_*`.
    pub policy: u32,
    /// Linear policy: 0 (shared) or num_envs (per env).
    pub policy_stride: u32,
    /// Linear policy: word index of the bias.
    pub policy_bias: u32,
    /// Discrete action count (0 for Box spaces).
    pub discrete_n: u32,
    /// Reset entry: `RESET_*`.
    pub reset_kind: u32,
    /// Padding to the 16-byte alignment of the vectors.
    pub pad: [u32; 3],
    /// Box action space: lower bounds.
    pub act_low: [f32; 4],
    /// Box action space: upper bounds.
    pub act_high: [f32; 4],
}

/// Workgroup counts for `n` envs: one dimension up to 65,535 workgroups (WebGPU's default
/// `maxComputeWorkgroupsPerDimension`), a second one past it (`env_of` in kernel.wgsl).
pub fn dispatch_size(n: usize, max_per_dim: u32) -> (u32, u32) {
    let groups = n.div_ceil(WORKGROUP as usize) as u64;
    let max = max_per_dim.max(1) as u64;
    if groups <= max {
        (groups as u32, 1)
    } else {
        (max as u32, groups.div_ceil(max) as u32)
    }
}
