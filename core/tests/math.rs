//! The shared polynomials against `f64` references, on every lane type.

use fusegym_core::math;
use fusegym_core::Lane;

fn ulp(x: f32) -> f32 {
    let x = x.abs().max(f32::MIN_POSITIVE);
    f32::from_bits(x.to_bits() + 1) - x
}

/// Sweeps `[-lim, lim]` and returns the worst error of `f` in units of the result's ulp plus
/// an absolute floor (near zeros of sin/cos the reduced argument's own rounding dominates).
fn worst(lim: f64, f: impl Fn(f32) -> (f32, f32)) -> f64 {
    let mut worst = 0f64;
    let steps = 200_000;
    for k in 0..=steps {
        let x = (-lim + 2.0 * lim * k as f64 / steps as f64) as f32;
        let (s, c) = f(x);
        let (es, ec) = ((x as f64).sin(), (x as f64).cos());
        for (got, want) in [(s, es), (c, ec)] {
            let err = (got as f64 - want).abs() - 6e-8;
            worst = worst.max(err / ulp(want as f32) as f64);
        }
    }
    worst
}

#[test]
fn sin_cos_within_two_ulp_plus_tiny_absolute_up_to_1e4() {
    for lim in [1.0, 10.0, 100.0, 1.0e4] {
        let w = worst(lim, math::sin_cos::<f32>);
        assert!(w <= 2.0, "sin/cos error {w} ulp on [-{lim}, {lim}]");
    }
}

#[test]
fn sin_cos_exact_at_quadrant_points() {
    let (s, c) = math::sin_cos::<f32>(0.0);
    assert_eq!((s, c), (0.0, 1.0));
    let (s, c) = math::sin_cos::<f32>(core::f32::consts::FRAC_PI_2);
    assert!((s - 1.0).abs() <= f32::EPSILON && c.abs() < 1e-7);
}

#[test]
fn round_and_floor_match_std() {
    for k in -40_000..40_000 {
        let x = k as f32 * 0.137 + 0.5 * (k % 3) as f32;
        assert_eq!(math::round::<f32>(x), x.round_ties_even(), "round({x})");
        assert_eq!(math::floor::<f32>(x), x.floor(), "floor({x})");
    }
}

#[test]
fn angle_normalize_matches_python_modulo() {
    let pi = std::f64::consts::PI;
    for k in -1000..1000 {
        let x = k as f32 * 0.0437;
        let want = ((x as f64 + pi).rem_euclid(2.0 * pi)) - pi;
        let got = math::angle_normalize::<f32>(x);
        assert!((got as f64 - want).abs() < 4e-6, "angle_normalize({x}) = {got}, want {want}");
    }
}

fn lanes<L: Lane>(xs: &[f32], f: impl Fn(L) -> L) -> Vec<f32> {
    let mut out = vec![0f32; xs.len()];
    for (i, chunk) in xs.chunks_exact(L::WIDTH).enumerate() {
        unsafe { f(L::load(chunk.as_ptr())).store(out.as_mut_ptr().add(i * L::WIDTH)) };
    }
    out
}

#[test]
fn polynomials_are_bit_identical_across_lane_types() {
    let xs: Vec<f32> = (0..80_000).map(|k| (k as f32 - 40_000.0) * 0.01234).collect();
    let reference = lanes::<f32>(&xs, |x| math::sin(x) + math::cos(x) * math::angle_normalize(x));
    let w4 = lanes::<wide::f32x4>(&xs, |x| math::sin(x) + math::cos(x) * math::angle_normalize(x));
    let w8 = lanes::<wide::f32x8>(&xs, |x| math::sin(x) + math::cos(x) * math::angle_normalize(x));
    for i in 0..xs.len() {
        assert_eq!(reference[i].to_bits(), w4[i].to_bits(), "f32x4 at x = {}", xs[i]);
        assert_eq!(reference[i].to_bits(), w8[i].to_bits(), "f32x8 at x = {}", xs[i]);
    }
}

#[test]
fn sin_cos_near_zero_gives_sin_cos_bits_for_every_input() {
    // Around the fast path's bound (0.78) in ulp steps, zeros, huge values, infinities and NaN,
    // in vectors that mix small and large arguments and vectors that are all small.
    let mut xs: Vec<f32> = vec![0.0, -0.0, 1e-30, -1e-30, 0.2, -0.21, 0.5, 1e3, -1e6, 3e38, f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
    let mut x = 0.77f32;
    while x < 0.80 {
        xs.extend([x, -x]);
        x = f32::from_bits(x.to_bits() + 97);
    }
    xs.extend((0..4_000).map(|k| (k as f32 - 2_000.0) * 4e-4));
    while !xs.len().is_multiple_of(8) {
        xs.push(0.1);
    }
    let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
    let both = |f: fn(wide::f32x8) -> (wide::f32x8, wide::f32x8)| {
        (bits(lanes::<wide::f32x8>(&xs, |x| f(x).0)), bits(lanes::<wide::f32x8>(&xs, |x| f(x).1)))
    };
    assert_eq!(both(math::sin_cos_near_zero), both(math::sin_cos));
    let scalar = |f: fn(f32) -> (f32, f32)| (bits(lanes::<f32>(&xs, |x| f(x).0)), bits(lanes::<f32>(&xs, |x| f(x).1)));
    assert_eq!(scalar(math::sin_cos_near_zero), scalar(math::sin_cos));
}
