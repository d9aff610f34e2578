//! A 16-wide lane written with AVX-512 intrinsics (F, VL, DQ, BW), for run-time dispatch on
//! x86_64 CPUs that have them.
//!
//! Why a second x86 lane type when AVX2 already runs 8 lanes: a step is a long chain of
//! dependent operations with many live values (state, counters, keys, statistics). With AVX2's
//! 16 vector registers the compiler spills a quarter of a rollout's loop to the stack; here
//! every instruction covers 16 envs, the kernel has 32 registers, and compares write mask
//! registers that selects read directly. Even on CPUs that execute a 512-bit operation as two
//! 256-bit halves (AMD Zen 4) that halves the instructions per env.
//!
//! The operations are the same IEEE operations as every other lane type (no FMA, no
//! approximate reciprocal), so results are bit-identical to the scalar reference.
//!
//! Soundness: only the parent module [`crate::lane::x86`] can name these types, and it only
//! instantiates them inside `#[target_feature]` kernels that it hands out to the holder of a
//! capability token, which nothing but the CPU feature check creates.

use crate::lane::{Lane, Mask, U32Lane};
use core::arch::x86_64::*;
use core::ops::{Add, BitAnd, BitOr, Div, Mul, Neg, Not, Sub};

/// Sixteen `f32` lanes in one `__m512`.
#[derive(Clone, Copy)]
pub struct Avx512F32(__m512);
/// Sixteen lane masks in one mask register (bit `k` = lane `k`).
#[derive(Clone, Copy)]
pub struct Avx512Mask(__mmask16);
/// Sixteen `u32` lanes in one `__m512i`.
#[derive(Clone, Copy)]
pub struct Avx512U32(__m512i);

// SAFETY (for every `unsafe` block below): the intrinsics need AVX-512 F/VL/DQ/BW, which the
// `Avx512` token proved before any code that creates these values could run (see `lane::x86`).

macro_rules! binop {
    ($Tr:ident, $f:ident, $intr:ident) => {
        impl $Tr for Avx512F32 {
            type Output = Avx512F32;
            #[inline(always)]
            fn $f(self, rhs: Avx512F32) -> Avx512F32 {
                Avx512F32(unsafe { $intr(self.0, rhs.0) })
            }
        }
    };
}
binop!(Add, add, _mm512_add_ps);
binop!(Sub, sub, _mm512_sub_ps);
binop!(Mul, mul, _mm512_mul_ps);
binop!(Div, div, _mm512_div_ps);

impl Neg for Avx512F32 {
    type Output = Avx512F32;
    #[inline(always)]
    fn neg(self) -> Avx512F32 {
        // Flip the sign bit, as `-x` does in scalar code (also for zeros and NaNs).
        Avx512F32(unsafe { _mm512_xor_ps(self.0, _mm512_set1_ps(-0.0)) })
    }
}

impl BitAnd for Avx512Mask {
    type Output = Avx512Mask;
    #[inline(always)]
    fn bitand(self, rhs: Avx512Mask) -> Avx512Mask {
        Avx512Mask(self.0 & rhs.0)
    }
}

impl BitOr for Avx512Mask {
    type Output = Avx512Mask;
    #[inline(always)]
    fn bitor(self, rhs: Avx512Mask) -> Avx512Mask {
        Avx512Mask(self.0 | rhs.0)
    }
}

impl Not for Avx512Mask {
    type Output = Avx512Mask;
    #[inline(always)]
    fn not(self) -> Avx512Mask {
        Avx512Mask(!self.0)
    }
}

macro_rules! cmp {
    ($f:ident, $pred:ident) => {
        #[inline(always)]
        fn $f(self, rhs: Self) -> Avx512Mask {
            // Ordered, non-signalling predicates: false when either side is NaN, as in scalar.
            Avx512Mask(unsafe { _mm512_cmp_ps_mask::<$pred>(self.0, rhs.0) })
        }
    };
}

impl Lane for Avx512F32 {
    const WIDTH: usize = 16;
    const QUEUES_RESETS: bool = true;
    type Mask = Avx512Mask;
    type U32 = Avx512U32;

    #[inline(always)]
    fn splat(v: f32) -> Self {
        Avx512F32(unsafe { _mm512_set1_ps(v) })
    }
    #[inline(always)]
    unsafe fn load(src: *const f32) -> Self {
        Avx512F32(_mm512_loadu_ps(src))
    }
    #[inline(always)]
    unsafe fn store(self, dst: *mut f32) {
        _mm512_storeu_ps(dst, self.0)
    }
    #[inline(always)]
    unsafe fn store_masked(self, mask: Avx512Mask, dst: *mut f32) {
        // Masked-off lanes are not written (nor faulted on).
        _mm512_mask_storeu_ps(dst, mask.0, self.0)
    }
    cmp!(lt, _CMP_LT_OQ);
    cmp!(le, _CMP_LE_OQ);
    cmp!(gt, _CMP_GT_OQ);
    cmp!(ge, _CMP_GE_OQ);
    cmp!(eq, _CMP_EQ_OQ);
    #[inline(always)]
    fn select(mask: Avx512Mask, if_true: Self, if_false: Self) -> Self {
        Avx512F32(unsafe { _mm512_mask_blend_ps(mask.0, if_false.0, if_true.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Avx512F32(unsafe { _mm512_andnot_ps(_mm512_set1_ps(-0.0), self.0) })
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Avx512F32(unsafe { _mm512_sqrt_ps(self.0) })
    }
    #[inline(always)]
    fn from_u32(v: Avx512U32) -> Self {
        // Values are below 2^24 (trait contract), so the signed conversion is exact.
        Avx512F32(unsafe { _mm512_cvtepi32_ps(v.0) })
    }
    #[inline(always)]
    fn to_bits(self) -> Avx512U32 {
        Avx512U32(unsafe { _mm512_castps_si512(self.0) })
    }
    #[inline(always)]
    fn from_bits(v: Avx512U32) -> Self {
        Avx512F32(unsafe { _mm512_castsi512_ps(v.0) })
    }
}

impl Mask for Avx512Mask {
    const WIDTH: usize = 16;
    #[inline(always)]
    fn any(self) -> bool {
        self.0 != 0
    }
    #[inline(always)]
    fn bitmask(self) -> u32 {
        self.0 as u32
    }
    #[inline(always)]
    unsafe fn store_bytes(self, dst: *mut u8) {
        // One byte per lane: 1 where the mask bit is set, 0 elsewhere, in one 16-byte store.
        _mm_storeu_si128(dst as *mut __m128i, _mm_maskz_set1_epi8(self.0, 1))
    }
    #[inline(always)]
    unsafe fn compress_indices(self, base: u32, dst: *mut u32) -> usize {
        let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let indices = _mm512_add_epi32(lanes, _mm512_set1_epi32(base as i32));
        _mm512_storeu_si512(dst as *mut _, _mm512_maskz_compress_epi32(self.0, indices));
        self.0.count_ones() as usize
    }
}

impl U32Lane for Avx512U32 {
    type Mask = Avx512Mask;
    #[inline(always)]
    fn splat(v: u32) -> Self {
        Avx512U32(unsafe { _mm512_set1_epi32(v as i32) })
    }
    #[inline(always)]
    fn iota() -> Self {
        Avx512U32(unsafe { _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) })
    }
    #[inline(always)]
    unsafe fn load(src: *const u32) -> Self {
        Avx512U32(_mm512_loadu_si512(src as *const __m512i))
    }
    #[inline(always)]
    unsafe fn store(self, dst: *mut u32) {
        _mm512_storeu_si512(dst as *mut __m512i, self.0)
    }
    #[inline(always)]
    fn add(self, rhs: Self) -> Self {
        Avx512U32(unsafe { _mm512_add_epi32(self.0, rhs.0) })
    }
    #[inline(always)]
    fn mul(self, rhs: Self) -> Self {
        Avx512U32(unsafe { _mm512_mullo_epi32(self.0, rhs.0) })
    }
    #[inline(always)]
    fn xor(self, rhs: Self) -> Self {
        Avx512U32(unsafe { _mm512_xor_si512(self.0, rhs.0) })
    }
    #[inline(always)]
    fn shr(self, n: u32) -> Self {
        // `n` is a constant at every call site, so this compiles to a shift by an immediate.
        Avx512U32(unsafe { _mm512_srl_epi32(self.0, _mm_cvtsi32_si128(n as i32)) })
    }
    #[inline(always)]
    fn and(self, rhs: Self) -> Self {
        Avx512U32(unsafe { _mm512_and_si512(self.0, rhs.0) })
    }
    #[inline(always)]
    fn shl(self, n: u32) -> Self {
        Avx512U32(unsafe { _mm512_sll_epi32(self.0, _mm_cvtsi32_si128(n as i32)) })
    }
    #[inline(always)]
    fn eq(self, rhs: Self) -> Avx512Mask {
        Avx512Mask(unsafe { _mm512_cmpeq_epi32_mask(self.0, rhs.0) })
    }
    #[inline(always)]
    fn select(mask: Avx512Mask, if_true: Self, if_false: Self) -> Self {
        Avx512U32(unsafe { _mm512_mask_blend_epi32(mask.0, if_false.0, if_true.0) })
    }
}
