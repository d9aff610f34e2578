//! Shared by the GPU tests: the context (fail in CI, skip elsewhere), deterministic actions, and
//! the GPU-vs-CPU tolerance of docs/parity.md ("GPU").

#![allow(dead_code)]

use fusegym_core::ActionSpace;
use fusegym_gpu::{describe, GpuContext, GpuError};

/// The device, or `None` (with a message) when there is no adapter outside CI. With `CI=true`
/// a missing adapter fails the test: the test command installs Mesa's llvmpipe.
pub fn context() -> Option<GpuContext> {
    match GpuContext::new() {
        Ok(ctx) => {
            eprintln!("GPU adapter: {}", describe(&ctx.info));
            Some(ctx)
        }
        Err(e @ GpuError::NoAdapter { .. }) => {
            if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
                panic!("CI=true and no GPU adapter: {e}");
            }
            eprintln!("SKIPPED: {e}");
            None
        }
        Err(e) => panic!("GPU device: {e}"),
    }
}

/// A 32-bit hash of (env, step, component), independent of the code under test.
pub fn hash(i: usize, t: usize, k: usize) -> u32 {
    let mut x = (i as u32).wrapping_mul(0x9e37_79b9) ^ (t as u32).wrapping_mul(0x85eb_ca6b) ^ (k as u32).wrapping_mul(0xc2b2_ae35);
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

/// Actions of step `t` for `n` envs, feature-major: discrete indices, or continuous values over
/// 1.5 times the box (so clipping is exercised).
pub enum HostActions {
    Discrete(Vec<u32>),
    Continuous(Vec<f32>),
}

impl HostActions {
    pub fn at(space: ActionSpace, n: usize, t: usize) -> HostActions {
        match space {
            ActionSpace::Discrete { n: count } => HostActions::Discrete((0..n).map(|i| hash(i, t, 0) % count).collect()),
            ActionSpace::Box { dim, low, high } => HostActions::Continuous(
                (0..dim * n)
                    .map(|j| {
                        let (k, i) = (j / n, j % n);
                        let u = (hash(i, t, k + 1) >> 8) as f32 / 16_777_216.0;
                        let mid = 0.5 * (low[k] + high[k]);
                        mid + (u - 0.5) * 1.5 * (high[k] - low[k])
                    })
                    .collect(),
            ),
        }
    }
    pub fn as_actions(&self) -> fusegym_core::Actions<'_> {
        match self {
            HostActions::Discrete(a) => fusegym_core::Actions::Discrete(a),
            HostActions::Continuous(a) => fusegym_core::Actions::Continuous(a),
        }
    }
}

/// f32 machine epsilon, 2^-23.
pub const EPS: f64 = f32::EPSILON as f64;

/// GPU vs CPU per step, in units of `EPS * M` (docs/parity.md, "GPU").
pub const GPU_TOLERANCE: f64 = 32.0;
