//! `Lane` for `wide`'s portable vectors, written once for both widths.
//!
//! `wide` picks each operation's instructions at compile time (SSE2 on a default x86_64 build,
//! simd128 on wasm32 built with `+simd128`, NEON on aarch64), so these types are the
//! portable SIMD path; the run-time AVX2 path lives in `x86/avx2.rs`.

macro_rules! impl_wide_lane {
    ($F:ident, $U:ident, $W:literal, $iota:expr, $from_int:ident) => {
        use super::{Lane, Mask, U32Lane};
        use wide::{$F, $U};

        impl Lane for $F {
            const WIDTH: usize = $W;
            type Mask = $F;
            type U32 = $U;

            #[inline(always)]
            fn splat(v: f32) -> Self {
                $F::splat(v)
            }
            #[inline(always)]
            unsafe fn load(src: *const f32) -> Self {
                core::ptr::read_unaligned(src as *const $F)
            }
            #[inline(always)]
            unsafe fn store(self, dst: *mut f32) {
                core::ptr::write_unaligned(dst as *mut $F, self)
            }
            #[inline(always)]
            fn lt(self, rhs: Self) -> $F {
                self.simd_lt(rhs)
            }
            #[inline(always)]
            fn le(self, rhs: Self) -> $F {
                self.simd_le(rhs)
            }
            #[inline(always)]
            fn gt(self, rhs: Self) -> $F {
                self.simd_gt(rhs)
            }
            #[inline(always)]
            fn ge(self, rhs: Self) -> $F {
                self.simd_ge(rhs)
            }
            #[inline(always)]
            fn eq(self, rhs: Self) -> $F {
                self.simd_eq(rhs)
            }
            #[inline(always)]
            fn select(mask: $F, if_true: Self, if_false: Self) -> Self {
                mask.select(if_true, if_false)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                let bits: $U = bytemuck::cast(self);
                bytemuck::cast(bits & $U::splat(0x7fff_ffff))
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $F::sqrt(self)
            }
            #[inline(always)]
            fn from_u32(v: $U) -> Self {
                // Exact below 2^24, the only range the step uses (RNG mantissas, action indices).
                $F::$from_int(bytemuck::cast(v))
            }
            #[inline(always)]
            fn to_bits(self) -> $U {
                bytemuck::cast(self)
            }
            #[inline(always)]
            fn from_bits(v: $U) -> Self {
                bytemuck::cast(v)
            }
        }

        impl Mask for $F {
            const WIDTH: usize = $W;
            #[inline(always)]
            fn any(self) -> bool {
                $F::any(self)
            }
            #[inline(always)]
            fn bitmask(self) -> u32 {
                self.to_bitmask()
            }
            #[inline(always)]
            unsafe fn store_bytes(self, dst: *mut u8) {
                super::spread_bits::<$W>(self.to_bitmask(), dst)
            }
        }

        impl U32Lane for $U {
            type Mask = $F;
            #[inline(always)]
            fn splat(v: u32) -> Self {
                $U::splat(v)
            }
            #[inline(always)]
            fn iota() -> Self {
                $U::new($iota)
            }
            #[inline(always)]
            unsafe fn load(src: *const u32) -> Self {
                core::ptr::read_unaligned(src as *const $U)
            }
            #[inline(always)]
            unsafe fn store(self, dst: *mut u32) {
                core::ptr::write_unaligned(dst as *mut $U, self)
            }
            #[inline(always)]
            fn add(self, rhs: Self) -> Self {
                self + rhs
            }
            #[inline(always)]
            fn mul(self, rhs: Self) -> Self {
                self * rhs
            }
            #[inline(always)]
            fn xor(self, rhs: Self) -> Self {
                self ^ rhs
            }
            #[inline(always)]
            fn shr(self, n: u32) -> Self {
                self >> n
            }
            #[inline(always)]
            fn and(self, rhs: Self) -> Self {
                self & rhs
            }
            #[inline(always)]
            fn shl(self, n: u32) -> Self {
                self << n
            }
            #[inline(always)]
            fn eq(self, rhs: Self) -> $F {
                bytemuck::cast(self.simd_eq(rhs))
            }
            #[inline(always)]
            fn select(mask: $F, if_true: Self, if_false: Self) -> Self {
                let m: $U = bytemuck::cast(mask);
                m.select(if_true, if_false)
            }
        }
    };
}
pub(super) use impl_wide_lane;
