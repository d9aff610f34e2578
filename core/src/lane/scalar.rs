//! One environment at a time: the reference lane type, and the tail of every SIMD loop.

use super::{Lane, Mask, U32Lane};

impl Lane for f32 {
    const WIDTH: usize = 1;
    type Mask = bool;
    type U32 = u32;

    #[inline(always)]
    fn splat(v: f32) -> Self {
        v
    }
    #[inline(always)]
    unsafe fn load(src: *const f32) -> Self {
        *src
    }
    #[inline(always)]
    unsafe fn store(self, dst: *mut f32) {
        *dst = self
    }
    #[inline(always)]
    unsafe fn store_masked(self, mask: bool, dst: *mut f32) {
        if mask {
            *dst = self
        }
    }
    #[inline(always)]
    fn lt(self, rhs: Self) -> bool {
        self < rhs
    }
    #[inline(always)]
    fn le(self, rhs: Self) -> bool {
        self <= rhs
    }
    #[inline(always)]
    fn gt(self, rhs: Self) -> bool {
        self > rhs
    }
    #[inline(always)]
    fn ge(self, rhs: Self) -> bool {
        self >= rhs
    }
    #[inline(always)]
    fn eq(self, rhs: Self) -> bool {
        self == rhs
    }
    #[inline(always)]
    fn select(mask: bool, if_true: Self, if_false: Self) -> Self {
        if mask {
            if_true
        } else {
            if_false
        }
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::from_bits(self.to_bits() & 0x7fff_ffff)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        libm::sqrtf(self)
    }
    #[inline(always)]
    fn from_u32(v: u32) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_bits(self) -> u32 {
        f32::to_bits(self)
    }
    #[inline(always)]
    fn from_bits(v: u32) -> Self {
        f32::from_bits(v)
    }
}

impl Mask for bool {
    const WIDTH: usize = 1;
    #[inline(always)]
    fn any(self) -> bool {
        self
    }
    #[inline(always)]
    fn bitmask(self) -> u32 {
        self as u32
    }
    #[inline(always)]
    unsafe fn store_bytes(self, dst: *mut u8) {
        *dst = self as u8
    }
}

impl U32Lane for u32 {
    type Mask = bool;
    #[inline(always)]
    fn splat(v: u32) -> Self {
        v
    }
    #[inline(always)]
    fn iota() -> Self {
        0
    }
    #[inline(always)]
    unsafe fn load(src: *const u32) -> Self {
        *src
    }
    #[inline(always)]
    unsafe fn store(self, dst: *mut u32) {
        *dst = self
    }
    #[inline(always)]
    fn add(self, rhs: Self) -> Self {
        self.wrapping_add(rhs)
    }
    #[inline(always)]
    fn mul(self, rhs: Self) -> Self {
        self.wrapping_mul(rhs)
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
    fn eq(self, rhs: Self) -> bool {
        self == rhs
    }
    #[inline(always)]
    fn select(mask: bool, if_true: Self, if_false: Self) -> Self {
        if mask {
            if_true
        } else {
            if_false
        }
    }
}
