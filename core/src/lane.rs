//! The lane abstraction: the handful of operations an environment step needs, implemented once
//! per execution width.
//!
//! Every implementation must give the same bits for the same inputs. That is why the trait has
//! no fused multiply-add, no approximate reciprocal, and why `min`/`max` are defined as a
//! compare plus select (`if a < b { a } else { b }`) rather than as the platform's min
//! instruction, whose NaN and signed-zero rules differ between x86 and wasm.

use core::ops::{Add, BitAnd, BitOr, Div, Mul, Neg, Not, Sub};

pub(crate) mod pair;
mod scalar;
mod wide4;
mod wide8;
mod wide_impl;
#[cfg(all(target_arch = "x86_64", feature = "std"))]
pub(crate) mod x86;

/// A vector of `WIDTH` independent `f32` values: one value per environment.
pub trait Lane:
    Copy + Send + Sync + 'static + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    /// Number of environments processed at once.
    const WIDTH: usize;
    /// Comparison result; one boolean per lane.
    type Mask: Mask;
    /// Unsigned 32-bit integers with the same width (step counters, RNG).
    type U32: U32Lane<Mask = Self::Mask>;

    /// All lanes set to `v`.
    fn splat(v: f32) -> Self;
    /// Loads `WIDTH` consecutive values.
    ///
    /// # Safety
    /// `src` must be valid for reading `WIDTH` `f32`s (no alignment needed).
    unsafe fn load(src: *const f32) -> Self;
    /// Stores `WIDTH` consecutive values.
    ///
    /// # Safety
    /// `dst` must be valid for writing `WIDTH` `f32`s (no alignment needed).
    unsafe fn store(self, dst: *mut f32);
    /// Stores the lanes where `mask` is set and leaves the others' memory as it was.
    ///
    /// # Safety
    /// As [`Lane::store`], and no other thread may write those `WIDTH` values meanwhile.
    #[inline(always)]
    unsafe fn store_masked(self, mask: Self::Mask, dst: *mut f32) {
        Self::select(mask, self, Self::load(dst)).store(dst)
    }

    /// Per-lane `self < rhs`.
    fn lt(self, rhs: Self) -> Self::Mask;
    /// Per-lane `self <= rhs`.
    fn le(self, rhs: Self) -> Self::Mask;
    /// Per-lane `self > rhs`.
    fn gt(self, rhs: Self) -> Self::Mask;
    /// Per-lane `self >= rhs`.
    fn ge(self, rhs: Self) -> Self::Mask;
    /// Per-lane `self == rhs`.
    fn eq(self, rhs: Self) -> Self::Mask;
    /// Per-lane `if mask { if_true } else { if_false }`.
    fn select(mask: Self::Mask, if_true: Self, if_false: Self) -> Self;
    /// Absolute value (clears the sign bit).
    fn abs(self) -> Self;
    /// Correctly rounded square root.
    fn sqrt(self) -> Self;
    /// Converts integers below 2^24 exactly to `f32`.
    fn from_u32(v: Self::U32) -> Self;
    /// The IEEE bit patterns (a reinterpretation, no conversion).
    fn to_bits(self) -> Self::U32;
    /// Floats from IEEE bit patterns (a reinterpretation, no conversion).
    fn from_bits(v: Self::U32) -> Self;

    /// Whether the batch step queues the envs that start an episode and draws their first
    /// states `WIDTH` at a time, instead of drawing a whole group's whenever one of its lanes
    /// resets (`kernel::start_queued`). Worth it where a group is wide and
    /// [`Mask::compress_indices`] is a few instructions: the AVX2 and AVX-512 pairs.
    const QUEUES_RESETS: bool = false;

    /// `if self < rhs { self } else { rhs }`, the same bits on every lane type.
    #[inline(always)]
    fn min(self, rhs: Self) -> Self {
        Self::select(self.lt(rhs), self, rhs)
    }
    /// `if self > rhs { self } else { rhs }`, the same bits on every lane type.
    #[inline(always)]
    fn max(self, rhs: Self) -> Self {
        Self::select(self.gt(rhs), self, rhs)
    }
    /// `self.max(lo).min(hi)`, as `numpy.clip` for finite values.
    #[inline(always)]
    fn clamp(self, lo: Self, hi: Self) -> Self {
        self.max(lo).min(hi)
    }
}

/// One boolean per lane.
pub trait Mask: Copy + BitAnd<Output = Self> + BitOr<Output = Self> + Not<Output = Self> {
    /// Lanes per mask.
    const WIDTH: usize;
    /// True if any lane is set. Used for vector-level branches (e.g. "does any env reset?").
    fn any(self) -> bool;
    /// Bit `k` set iff lane `k` is set.
    fn bitmask(self) -> u32;
    /// Writes `base + k` for every set lane `k`, in lane order, to `dst[0..]` and returns how
    /// many; `dst[count..WIDTH]` may be overwritten with anything. No branch on the mask.
    ///
    /// # Safety
    /// `dst` must be valid for writing `WIDTH` `u32`s.
    #[inline(always)]
    unsafe fn compress_indices(self, base: u32, dst: *mut u32) -> usize {
        let bits = self.bitmask();
        let mut count = 0;
        let mut k = 0;
        while k < Self::WIDTH {
            *dst.add(count) = base.wrapping_add(k as u32);
            count += ((bits >> k) & 1) as usize;
            k += 1;
        }
        count
    }
    /// Writes one byte per lane (1 = set, 0 = clear).
    ///
    /// # Safety
    /// `dst` must be valid for writing `WIDTH` bytes.
    unsafe fn store_bytes(self, dst: *mut u8);
}

/// `WIDTH` unsigned 32-bit integers with wrapping arithmetic (WGSL `u32` semantics).
pub trait U32Lane: Copy + Send + Sync + 'static {
    /// The mask type shared with the matching float lane.
    type Mask: Mask;
    /// All lanes set to `v`.
    fn splat(v: u32) -> Self;
    /// `[0, 1, .., WIDTH-1]`: lane offsets within a vector.
    fn iota() -> Self;
    /// Loads `WIDTH` consecutive values.
    ///
    /// # Safety
    /// `src` must be valid for reading `WIDTH` `u32`s.
    unsafe fn load(src: *const u32) -> Self;
    /// Stores `WIDTH` consecutive values.
    ///
    /// # Safety
    /// `dst` must be valid for writing `WIDTH` `u32`s.
    unsafe fn store(self, dst: *mut u32);
    /// Wrapping addition.
    fn add(self, rhs: Self) -> Self;
    /// Wrapping multiplication (low 32 bits).
    fn mul(self, rhs: Self) -> Self;
    /// Bitwise exclusive or.
    fn xor(self, rhs: Self) -> Self;
    /// Bitwise and.
    fn and(self, rhs: Self) -> Self;
    /// Logical shift right by a constant `0 < n < 32`.
    fn shr(self, n: u32) -> Self;
    /// Shift left by a constant `0 < n < 32`.
    fn shl(self, n: u32) -> Self;
    /// Per-lane equality.
    fn eq(self, rhs: Self) -> Self::Mask;
    /// Per-lane `if mask { if_true } else { if_false }`.
    fn select(mask: Self::Mask, if_true: Self, if_false: Self) -> Self;
}

/// Writes bit `k` of `bits` as byte `k` (0 or 1) for `k < W`, with one store.
///
/// # Safety
/// `dst` must be valid for writing `W` bytes; `W` is 1, 4 or 8.
#[inline(always)]
pub(crate) unsafe fn spread_bits<const W: usize>(bits: u32, dst: *mut u8) {
    // Multiplying by a constant with one set bit every 7 places moves bit k to bit 8k; with at
    // most 7 input bits no two partial products overlap, so nothing carries.
    match W {
        8 => {
            let b = bits as u64;
            let low7 = ((b & 0x7f) * 0x0002_0408_1020_4081) & 0x0101_0101_0101_0101;
            let v = low7 | ((b & 0x80) << 49);
            core::ptr::write_unaligned(dst as *mut u64, v.to_le());
        }
        4 => {
            let v = ((bits & 0xf) * 0x0020_4081) & 0x0101_0101;
            core::ptr::write_unaligned(dst as *mut u32, v.to_le());
        }
        _ => {
            let mut k = 0;
            while k < W {
                *dst.add(k) = ((bits >> k) & 1) as u8;
                k += 1;
            }
        }
    }
}
