//! An 8-wide lane written with AVX2 intrinsics, for run-time dispatch on x86_64.
//!
//! `wide` chooses its instructions when *it* is compiled, so wrapping a `wide::f32x8` kernel in
//! `#[target_feature(enable = "avx2")]` still runs SSE2 code. These types call the intrinsics
//! directly: every method is `#[inline(always)]`, so inside a `#[target_feature(enable =
//! "avx2")]` kernel ([`crate::lane::x86`]) each intrinsic is inlined and compiled to one AVX
//! instruction.
//!
//! Soundness: only the parent module [`crate::lane::x86`] can name these types, and it only
//! instantiates them inside `#[target_feature]` kernels that it hands out to the holder of a
//! capability token, which nothing but the CPU feature check creates.

use crate::lane::{Lane, Mask, U32Lane};
use core::arch::x86_64::*;
use core::ops::{Add, BitAnd, BitOr, Div, Mul, Neg, Not, Sub};

/// Eight `f32` lanes in one `__m256`.
#[derive(Clone, Copy)]
pub struct Avx2F32(__m256);
/// Eight lane masks (all bits set = true) in one `__m256`.
#[derive(Clone, Copy)]
pub struct Avx2Mask(__m256);
/// Eight `u32` lanes in one `__m256i`.
#[derive(Clone, Copy)]
pub struct Avx2U32(__m256i);

// SAFETY (for every `unsafe` block below): the intrinsics need AVX/AVX2, which the `Avx2` token
// proved before any code that creates these values could run (see `lane::x86`).

macro_rules! binop {
    ($Tr:ident, $f:ident, $T:ident, $intr:ident) => {
        impl $Tr for $T {
            type Output = $T;
            #[inline(always)]
            fn $f(self, rhs: $T) -> $T {
                $T(unsafe { $intr(self.0, rhs.0) })
            }
        }
    };
}
binop!(Add, add, Avx2F32, _mm256_add_ps);
binop!(Sub, sub, Avx2F32, _mm256_sub_ps);
binop!(Mul, mul, Avx2F32, _mm256_mul_ps);
binop!(Div, div, Avx2F32, _mm256_div_ps);
binop!(BitAnd, bitand, Avx2Mask, _mm256_and_ps);
binop!(BitOr, bitor, Avx2Mask, _mm256_or_ps);

impl Neg for Avx2F32 {
    type Output = Avx2F32;
    #[inline(always)]
    fn neg(self) -> Avx2F32 {
        Avx2F32(unsafe { _mm256_xor_ps(self.0, _mm256_set1_ps(-0.0)) })
    }
}

impl Not for Avx2Mask {
    type Output = Avx2Mask;
    #[inline(always)]
    fn not(self) -> Avx2Mask {
        Avx2Mask(unsafe { _mm256_xor_ps(self.0, _mm256_castsi256_ps(_mm256_set1_epi32(-1))) })
    }
}

macro_rules! cmp {
    ($f:ident, $pred:ident) => {
        #[inline(always)]
        fn $f(self, rhs: Self) -> Avx2Mask {
            // Ordered, non-signalling predicates: false when either side is NaN, as in scalar.
            Avx2Mask(unsafe { _mm256_cmp_ps::<$pred>(self.0, rhs.0) })
        }
    };
}

impl Lane for Avx2F32 {
    const WIDTH: usize = 8;
    const QUEUES_RESETS: bool = true;
    type Mask = Avx2Mask;
    type U32 = Avx2U32;

    #[inline(always)]
    fn splat(v: f32) -> Self {
        Avx2F32(unsafe { _mm256_set1_ps(v) })
    }
    #[inline(always)]
    unsafe fn load(src: *const f32) -> Self {
        Avx2F32(_mm256_loadu_ps(src))
    }
    #[inline(always)]
    unsafe fn store(self, dst: *mut f32) {
        _mm256_storeu_ps(dst, self.0)
    }
    #[inline(always)]
    unsafe fn store_masked(self, mask: Avx2Mask, dst: *mut f32) {
        // `vmaskmovps` writes the lanes whose mask sign bit is set, and no others.
        _mm256_maskstore_ps(dst, _mm256_castps_si256(mask.0), self.0)
    }
    cmp!(lt, _CMP_LT_OQ);
    cmp!(le, _CMP_LE_OQ);
    cmp!(gt, _CMP_GT_OQ);
    cmp!(ge, _CMP_GE_OQ);
    cmp!(eq, _CMP_EQ_OQ);
    #[inline(always)]
    fn select(mask: Avx2Mask, if_true: Self, if_false: Self) -> Self {
        Avx2F32(unsafe { _mm256_blendv_ps(if_false.0, if_true.0, mask.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Avx2F32(unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), self.0) })
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Avx2F32(unsafe { _mm256_sqrt_ps(self.0) })
    }
    #[inline(always)]
    fn from_u32(v: Avx2U32) -> Self {
        Avx2F32(unsafe { _mm256_cvtepi32_ps(v.0) })
    }
    #[inline(always)]
    fn to_bits(self) -> Avx2U32 {
        Avx2U32(unsafe { _mm256_castps_si256(self.0) })
    }
    #[inline(always)]
    fn from_bits(v: Avx2U32) -> Self {
        Avx2F32(unsafe { _mm256_castsi256_ps(v.0) })
    }
}

impl Mask for Avx2Mask {
    const WIDTH: usize = 8;
    #[inline(always)]
    fn any(self) -> bool {
        unsafe { _mm256_movemask_ps(self.0) != 0 }
    }
    #[inline(always)]
    fn bitmask(self) -> u32 {
        unsafe { _mm256_movemask_ps(self.0) as u32 }
    }
    #[inline(always)]
    unsafe fn store_bytes(self, dst: *mut u8) {
        // Lanes are 0 or -1: two saturating packs narrow them to bytes in lane order and `abs`
        // makes -1 a 1, five instructions where a `movmskps` and a multiply spread took ten
        // (callgrind, CartPole step: 1.2 instructions per env-step fewer for the two flags).
        let m = _mm256_castps_si256(self.0);
        let words = _mm_packs_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256::<1>(m));
        let bytes = _mm_abs_epi8(_mm_packs_epi16(words, words));
        _mm_storel_epi64(dst as *mut __m128i, bytes)
    }
    #[inline(always)]
    unsafe fn compress_indices(self, base: u32, dst: *mut u32) -> usize {
        // The set lanes' numbers, packed first, from a 2 KB table indexed by the mask; one
        // permute moves `base + lane` into that order. Eight instructions, no branch.
        let bits = _mm256_movemask_ps(self.0) as usize;
        let order = _mm256_cvtepu8_epi32(_mm_loadl_epi64(COMPRESS_ORDER.as_ptr().add(bits) as *const __m128i));
        let indices = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(base as i32));
        _mm256_storeu_si256(dst as *mut __m256i, _mm256_permutevar8x32_epi32(indices, order));
        bits.count_ones() as usize
    }
}

/// For each 8-bit mask, the numbers of its set lanes in increasing order, one per byte (the
/// bytes past them are 0).
static COMPRESS_ORDER: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut mask = 0;
    while mask < 256 {
        let (mut packed, mut slot, mut lane) = (0u64, 0, 0);
        while lane < 8 {
            if mask & (1 << lane) != 0 {
                packed |= (lane as u64) << (8 * slot);
                slot += 1;
            }
            lane += 1;
        }
        table[mask] = packed;
        mask += 1;
    }
    table
};

impl U32Lane for Avx2U32 {
    type Mask = Avx2Mask;
    #[inline(always)]
    fn splat(v: u32) -> Self {
        Avx2U32(unsafe { _mm256_set1_epi32(v as i32) })
    }
    #[inline(always)]
    fn iota() -> Self {
        Avx2U32(unsafe { _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7) })
    }
    #[inline(always)]
    unsafe fn load(src: *const u32) -> Self {
        Avx2U32(_mm256_loadu_si256(src as *const __m256i))
    }
    #[inline(always)]
    unsafe fn store(self, dst: *mut u32) {
        _mm256_storeu_si256(dst as *mut __m256i, self.0)
    }
    #[inline(always)]
    fn add(self, rhs: Self) -> Self {
        Avx2U32(unsafe { _mm256_add_epi32(self.0, rhs.0) })
    }
    #[inline(always)]
    fn mul(self, rhs: Self) -> Self {
        Avx2U32(unsafe { _mm256_mullo_epi32(self.0, rhs.0) })
    }
    #[inline(always)]
    fn xor(self, rhs: Self) -> Self {
        Avx2U32(unsafe { _mm256_xor_si256(self.0, rhs.0) })
    }
    #[inline(always)]
    fn shr(self, n: u32) -> Self {
        Avx2U32(unsafe { _mm256_srl_epi32(self.0, _mm_cvtsi32_si128(n as i32)) })
    }
    #[inline(always)]
    fn and(self, rhs: Self) -> Self {
        Avx2U32(unsafe { _mm256_and_si256(self.0, rhs.0) })
    }
    #[inline(always)]
    fn shl(self, n: u32) -> Self {
        Avx2U32(unsafe { _mm256_sll_epi32(self.0, _mm_cvtsi32_si128(n as i32)) })
    }
    #[inline(always)]
    fn eq(self, rhs: Self) -> Avx2Mask {
        Avx2Mask(unsafe { _mm256_castsi256_ps(_mm256_cmpeq_epi32(self.0, rhs.0)) })
    }
    #[inline(always)]
    fn select(mask: Avx2Mask, if_true: Self, if_false: Self) -> Self {
        Avx2U32(unsafe { _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(if_false.0), _mm256_castsi256_ps(if_true.0), mask.0)) })
    }
}
