//! The AVX2 and AVX-512 kernels, behind capability tokens.
//!
//! The lane types in [`avx2`] and [`avx512`] execute AVX instructions from safe methods
//! (`splat`, `+`, ...), so they must never run on a CPU without those features. Rather than
//! trusting every caller in the crate, this module is the only code that can name them (the
//! submodules are private), and it instantiates them only inside `#[target_feature]` kernels.
//! A pointer to such a kernel is obtained only from a token ([`Avx2`], [`Avx512`]) that only
//! the run-time feature check creates, the pattern `pulp` uses: holding the token is the proof
//! that the instructions exist, so the kernels' own contracts are left with buffers alone.

mod avx2;
mod avx512;

use super::pair::Pair;
use crate::kernel;
use crate::policy::{Checked, LanePolicy};
use crate::simd::PathKernels;
use crate::spec::Env;
use avx2::Avx2F32;
use avx512::Avx512F32;

/// Proof that this CPU runs AVX2 (and AVX, which it implies). Only [`Avx2::detect`] makes one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2 {
    _proof: (),
}

/// Proof that this CPU runs AVX-512 F, VL, DQ and BW (and AVX2). Only [`Avx512::detect`] makes
/// one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512 {
    _proof: (),
}

impl Avx2 {
    /// The token, if this CPU has the features (`is_x86_feature_detected!` caches its answer,
    /// so this is a load and a compare).
    pub(crate) fn detect() -> Option<Avx2> {
        std::is_x86_feature_detected!("avx2").then_some(Avx2 { _proof: () })
    }

    /// The AVX2 kernels of env `E` (see [`kernel::step_range`] and [`kernel::rollout_range`]
    /// for their contracts), compiled in the codegen unit of the caller (`simd::compiled_here!`).
    #[inline(always)]
    pub(crate) fn kernels<E: Env>(self) -> PathKernels<E> {
        x86_table!(E, step_range_avx2, rollout_range_avx2)
    }

    /// The largest value of `a` (0 when empty), for checking discrete actions.
    pub(crate) fn max_u32(self, a: &[u32]) -> u32 {
        // SAFETY: the token proves AVX2.
        unsafe { max_u32_avx2(a) }
    }
}

/// `vpmaxud` over 8 lanes: the discrete-action check costs about 0.2 instructions per action
/// (callgrind) against 1.9 for the SSE2 build's emulated unsigned compare, which was about 7 %
/// of a CartPole step.
#[target_feature(enable = "avx2")]
unsafe fn max_u32_avx2(a: &[u32]) -> u32 {
    a.iter().fold(0, |m, &x| m.max(x))
}

impl Avx512 {
    /// The token, if this CPU has every feature the AVX-512 lane type uses.
    pub(crate) fn detect() -> Option<Avx512> {
        let all = std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512vl")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx2");
        all.then_some(Avx512 { _proof: () })
    }

    /// The AVX-512 kernels of env `E`, as [`Avx2::kernels`].
    #[inline(always)]
    pub(crate) fn kernels<E: Env>(self) -> PathKernels<E> {
        x86_table!(E, step_range_avx512, rollout_range_avx512)
    }
}

/// The x86 kernels: the generic step and rollout inlined into functions compiled with the
/// ISA's features, so each intrinsic of the lane type becomes one instruction. Both run two
/// vectors per lane group (`Pair`): a step is a long dependent chain, and two independent
/// chains keep the vector pipes busy (see `lane/pair.rs`).
///
/// They are private and reached only through a token's methods, so "the CPU has the features"
/// holds wherever they run; their `unsafe` contract is [`kernel::step_range`]'s, on buffers.
/// `inline` (they are only ever called through a pointer) so that each is compiled in the
/// codegen unit of the table that names it, not all in this module's (`simd::compiled_here!`).
macro_rules! x86_kernels {
    ($step:ident, $rollout:ident, $features:literal, $lane:ty) => {
        // SAFETY of the `#[target_feature]`: see the macro's doc (token-gated).
        #[target_feature(enable = $features)]
        #[inline]
        unsafe fn $step<E: Env, const PER_ENV: bool>(p: &E::Params, b: &kernel::Buffers, start: usize, end: usize) {
            kernel::step_range::<E, $lane, PER_ENV>(p, b, start, end)
        }

        #[target_feature(enable = $features)]
        #[inline]
        unsafe fn $rollout<E: Env, P: LanePolicy, const PER_ENV: bool>(
            p: &E::Params,
            b: &kernel::Buffers,
            policy: &P,
            r: &kernel::RolloutBuffers,
            steps: usize,
            start: usize,
            end: usize,
        ) {
            kernel::rollout_range::<E, $lane, P, PER_ENV>(p, b, policy, r, steps, start, end)
        }
    };
}

/// The table of one x86 lane type's kernels for env `$e`.
macro_rules! x86_table {
    ($e:ty, $step:ident, $rollout:ident) => {
        PathKernels {
            step: [$step::<$e, false>, $step::<$e, true>],
            rollout: [$rollout::<$e, Checked, false>, $rollout::<$e, Checked, true>],
        }
    };
}
use x86_table;

x86_kernels!(step_range_avx2, rollout_range_avx2, "avx2", Pair<Avx2F32>);
x86_kernels!(step_range_avx512, rollout_range_avx512, "avx2,avx512f,avx512vl,avx512dq,avx512bw", Pair<Avx512F32>);
