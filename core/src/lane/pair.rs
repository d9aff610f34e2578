//! Two lane values side by side, as one lane type twice as wide.
//!
//! A step is a long chain of dependent arithmetic; when a rollout keeps one lane group in
//! registers for many steps, the CPU waits on that chain. `Pair` runs two independent groups
//! through the same code, so every operation has a twin the CPU can overlap with it. Results
//! are bit-identical to the inner lane type: each half does exactly what it would alone.

use super::{Lane, Mask, U32Lane};
use core::ops::{Add, BitAnd, BitOr, Div, Mul, Neg, Not, Sub};

/// Lanes `0..W` in `.0`, lanes `W..2W` in `.1`.
#[derive(Clone, Copy)]
pub struct Pair<T>(pub T, pub T);

macro_rules! pair_op {
    ($Tr:ident, $f:ident, $Bound:ident) => {
        impl<T: $Bound> $Tr for Pair<T> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, rhs: Self) -> Self {
                Pair(self.0.$f(rhs.0), self.1.$f(rhs.1))
            }
        }
    };
}
pair_op!(Add, add, Lane);
pair_op!(Sub, sub, Lane);
pair_op!(Mul, mul, Lane);
pair_op!(Div, div, Lane);
pair_op!(BitAnd, bitand, Mask);
pair_op!(BitOr, bitor, Mask);

impl<T: Lane> Neg for Pair<T> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Pair(-self.0, -self.1)
    }
}

impl<M: Mask> Not for Pair<M> {
    type Output = Self;
    #[inline(always)]
    fn not(self) -> Self {
        Pair(!self.0, !self.1)
    }
}

macro_rules! pair_cmp {
    ($($f:ident),+) => {
        $(#[inline(always)]
        fn $f(self, rhs: Self) -> Self::Mask {
            Pair(self.0.$f(rhs.0), self.1.$f(rhs.1))
        })+
    };
}

impl<L: Lane> Lane for Pair<L> {
    const WIDTH: usize = 2 * L::WIDTH;
    const QUEUES_RESETS: bool = L::QUEUES_RESETS;
    type Mask = Pair<L::Mask>;
    type U32 = Pair<L::U32>;

    #[inline(always)]
    fn splat(v: f32) -> Self {
        Pair(L::splat(v), L::splat(v))
    }
    #[inline(always)]
    unsafe fn load(src: *const f32) -> Self {
        Pair(L::load(src), L::load(src.add(L::WIDTH)))
    }
    #[inline(always)]
    unsafe fn store(self, dst: *mut f32) {
        self.0.store(dst);
        self.1.store(dst.add(L::WIDTH));
    }
    #[inline(always)]
    unsafe fn store_masked(self, mask: Self::Mask, dst: *mut f32) {
        self.0.store_masked(mask.0, dst);
        self.1.store_masked(mask.1, dst.add(L::WIDTH));
    }
    pair_cmp!(lt, le, gt, ge, eq);
    #[inline(always)]
    fn select(mask: Self::Mask, if_true: Self, if_false: Self) -> Self {
        Pair(L::select(mask.0, if_true.0, if_false.0), L::select(mask.1, if_true.1, if_false.1))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Pair(self.0.abs(), self.1.abs())
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Pair(self.0.sqrt(), self.1.sqrt())
    }
    #[inline(always)]
    fn from_u32(v: Self::U32) -> Self {
        Pair(L::from_u32(v.0), L::from_u32(v.1))
    }
    #[inline(always)]
    fn to_bits(self) -> Self::U32 {
        Pair(self.0.to_bits(), self.1.to_bits())
    }
    #[inline(always)]
    fn from_bits(v: Self::U32) -> Self {
        Pair(L::from_bits(v.0), L::from_bits(v.1))
    }
}

impl<M: Mask> Mask for Pair<M> {
    const WIDTH: usize = 2 * M::WIDTH;
    #[inline(always)]
    fn any(self) -> bool {
        (self.0 | self.1).any()
    }
    #[inline(always)]
    fn bitmask(self) -> u32 {
        self.0.bitmask() | (self.1.bitmask() << M::WIDTH)
    }
    #[inline(always)]
    unsafe fn store_bytes(self, dst: *mut u8) {
        self.0.store_bytes(dst);
        self.1.store_bytes(dst.add(M::WIDTH));
    }
    #[inline(always)]
    unsafe fn compress_indices(self, base: u32, dst: *mut u32) -> usize {
        let low = self.0.compress_indices(base, dst);
        low + self.1.compress_indices(base.wrapping_add(M::WIDTH as u32), dst.add(low))
    }
}

impl<U: U32Lane> U32Lane for Pair<U> {
    type Mask = Pair<U::Mask>;
    #[inline(always)]
    fn splat(v: u32) -> Self {
        Pair(U::splat(v), U::splat(v))
    }
    #[inline(always)]
    fn iota() -> Self {
        Pair(U::iota(), U::iota().add(U::splat(<U::Mask as Mask>::WIDTH as u32)))
    }
    #[inline(always)]
    unsafe fn load(src: *const u32) -> Self {
        Pair(U::load(src), U::load(src.add(<U::Mask as Mask>::WIDTH)))
    }
    #[inline(always)]
    unsafe fn store(self, dst: *mut u32) {
        self.0.store(dst);
        self.1.store(dst.add(<U::Mask as Mask>::WIDTH));
    }
    #[inline(always)]
    fn add(self, rhs: Self) -> Self {
        Pair(self.0.add(rhs.0), self.1.add(rhs.1))
    }
    #[inline(always)]
    fn mul(self, rhs: Self) -> Self {
        Pair(self.0.mul(rhs.0), self.1.mul(rhs.1))
    }
    #[inline(always)]
    fn xor(self, rhs: Self) -> Self {
        Pair(self.0.xor(rhs.0), self.1.xor(rhs.1))
    }
    #[inline(always)]
    fn shr(self, n: u32) -> Self {
        Pair(self.0.shr(n), self.1.shr(n))
    }
    #[inline(always)]
    fn and(self, rhs: Self) -> Self {
        Pair(self.0.and(rhs.0), self.1.and(rhs.1))
    }
    #[inline(always)]
    fn shl(self, n: u32) -> Self {
        Pair(self.0.shl(n), self.1.shl(n))
    }
    #[inline(always)]
    fn eq(self, rhs: Self) -> Self::Mask {
        Pair(self.0.eq(rhs.0), self.1.eq(rhs.1))
    }
    #[inline(always)]
    fn select(mask: Self::Mask, if_true: Self, if_false: Self) -> Self {
        Pair(U::select(mask.0, if_true.0, if_false.0), U::select(mask.1, if_true.1, if_false.1))
    }
}
