//! Transcendentals as explicit polynomials, shared by every lane type and mirrored in
//! `shaders/math.wgsl`.
//!
//! Built-in `sin`/`cos` differ between libm, `wide`, and GPU drivers (WGSL leaves their
//! precision to the implementation), so the step never calls them. These functions use only
//! `+ - *`, compares and selects, which are exact IEEE operations on every backend, so scalar
//! and SIMD agree bit for bit and a shader that evaluates the same expressions stays within a
//! few ulp.
//!
//! Accuracy (checked against `f64` in the tests): `sin`/`cos` within 2 ulp of the correctly
//! rounded result plus 6e-8 absolute for |x| <= 1e4; the argument reduction loses accuracy
//! beyond |x| ~ 1e5, far outside what any environment reaches.

// The polynomial constants keep the digits of their sources (Cephes); f32 rounds them to the
// same values either way.
#![allow(clippy::excessive_precision)]

use crate::lane::{Lane, Mask, U32Lane};

/// 1.5 * 2^23: adding and subtracting it rounds an `f32` with |x| < 2^22 to the nearest
/// integer, ties to even, using two exact IEEE additions.
const ROUND_MAGIC: f32 = 12_582_912.0;

/// Round to nearest integer, ties to even. Exact for |x| < 2^22.
#[inline(always)]
pub fn round<L: Lane>(x: L) -> L {
    (x + L::splat(ROUND_MAGIC)) - L::splat(ROUND_MAGIC)
}

/// Largest integer not greater than `x`. Exact for |x| < 2^22.
#[inline(always)]
pub fn floor<L: Lane>(x: L) -> L {
    let r = round(x);
    r - L::select(r.gt(x), L::splat(1.0), L::splat(0.0))
}

// Cody-Waite split of pi/2: PIO2_1 has 8 significant bits and PIO2_2 11, so `j * PIO2_1` and
// `j * PIO2_2` are exact for the quadrant counts the environments produce.
const PIO2_1: f32 = 1.570_312_5;
const PIO2_2: f32 = 4.837_512_969_970_703e-4;
const PIO2_3: f32 = 7.549_789_954_891_882e-8;

// Minimax polynomials on [-pi/4, pi/4] (Cephes `sinf`/`cosf` coefficients).
const SIN_C1: f32 = -1.666_665_461_1e-1;
const SIN_C2: f32 = 8.332_160_873_6e-3;
const SIN_C3: f32 = -1.951_529_589_1e-4;
const COS_C1: f32 = 4.166_664_568_298_827e-2;
const COS_C2: f32 = -1.388_731_625_493_765e-3;
const COS_C3: f32 = 2.443_315_711_809_948e-5;

/// `(sin x, cos x)` sharing one argument reduction.
#[inline(always)]
pub fn sin_cos<L: Lane>(x: L) -> (L, L) {
    // Rounding by the magic constant leaves the quadrant count j in the low mantissa bits of
    // `shifted` (two's complement, exact for |j| < 2^22), so the quadrant is two integer ops
    // away; the bits are the same IEEE result on every backend for any input.
    let shifted = x * L::splat(core::f32::consts::FRAC_2_PI) + L::splat(ROUND_MAGIC);
    let j = shifted - L::splat(ROUND_MAGIC);
    let r = ((x - j * L::splat(PIO2_1)) - j * L::splat(PIO2_2)) - j * L::splat(PIO2_3);
    let (s, c) = polynomials(r);
    // Quadrant q = j mod 4: sin x = [s, c, -s, -c][q], cos x = [c, -s, -c, s][q]. Odd q swaps
    // s and c; bit 1 of q gives sin's sign and bit 1 of q + 1 cos's, moved to the sign bit.
    let q = shifted.to_bits();
    let one = L::U32::splat(1);
    let odd = q.and(one).eq(one);
    let sin_r = L::select(odd, c, s);
    let cos_r = L::select(odd, s, c);
    let sign = L::U32::splat(2);
    let sin_sign = q.and(sign).shl(30);
    let cos_sign = q.add(one).and(sign).shl(30);
    (L::from_bits(sin_r.to_bits().xor(sin_sign)), L::from_bits(cos_r.to_bits().xor(cos_sign)))
}

/// Below this, `round(x * 2/pi)` is 0 (`0.78 * 2/pi < 0.4966`), so `sin_cos` needs no
/// argument reduction.
const NO_REDUCTION_BOUND: f32 = 0.78;

/// [`sin_cos`] for arguments that are usually small (CartPole's pole angle stays within ±0.21
/// rad): when every lane has `|x| < 0.78` it evaluates the polynomials on `x` directly. That is
/// exactly what `sin_cos` computes there (quadrant 0: `x - 0 * PIO2_k` is `x`, no swap, no sign
/// change), so the bits are the same; other vectors take the full path. One vector-wide branch.
#[inline(always)]
pub fn sin_cos_near_zero<L: Lane>(x: L) -> (L, L) {
    if (!x.abs().lt(L::splat(NO_REDUCTION_BOUND))).any() {
        return sin_cos(x);
    }
    polynomials(x)
}

/// The minimax polynomials for `sin r` and `cos r`, `|r| <= pi/4`.
#[inline(always)]
fn polynomials<L: Lane>(r: L) -> (L, L) {
    let z = r * r;
    let s = r + r * z * (L::splat(SIN_C1) + z * (L::splat(SIN_C2) + z * L::splat(SIN_C3)));
    let c = (L::splat(1.0) - L::splat(0.5) * z) + z * z * (L::splat(COS_C1) + z * (L::splat(COS_C2) + z * L::splat(COS_C3)));
    (s, c)
}

/// `sin x`.
#[inline(always)]
pub fn sin<L: Lane>(x: L) -> L {
    sin_cos(x).0
}

/// `cos x`.
#[inline(always)]
pub fn cos<L: Lane>(x: L) -> L {
    sin_cos(x).1
}

/// Python's float `x % m` for `m > 0`: the result has the sign of `m` (in `[0, m)`).
#[inline(always)]
pub fn py_mod<L: Lane>(x: L, m: f32) -> L {
    x - L::splat(m) * floor(x / L::splat(m))
}

/// Gymnasium's `angle_normalize`: `((x + pi) % (2 pi)) - pi`, into `[-pi, pi)`.
#[inline(always)]
pub fn angle_normalize<L: Lane>(x: L) -> L {
    use core::f32::consts::PI;
    py_mod(x + L::splat(PI), 2.0 * PI) - L::splat(PI)
}
