// Mirrors core/src/math.rs: sin/cos as Cody-Waite reduction plus the Cephes minimax
// polynomials, floor, Python's %, angle_normalize. Built-in sin/cos are left alone: WGSL leaves
// their precision to the implementation (llvmpipe and SwiftShader differ in the 6th digit).
//
// The CPU rounds with the (x + 1.5*2^23) - 1.5*2^23 trick; a GPU compiler may contract or
// reassociate that, so this file uses WGSL's exact round() (ties to even, the trick's result)
// and floor(), and reads the quadrant from the rounded integer instead of mantissa bits.

const FRAC_2_PI: f32 = 0.63661977236758134308;
const PIO2_1: f32 = 1.5703125;
const PIO2_2: f32 = 4.837512969970703e-4;
const PIO2_3: f32 = 7.549789954891882e-8;
const SIN_C1: f32 = -1.6666654611e-1;
const SIN_C2: f32 = 8.3321608736e-3;
const SIN_C3: f32 = -1.9515295891e-4;
const COS_C1: f32 = 4.166664568298827e-2;
const COS_C2: f32 = -1.388731625493765e-3;
const COS_C3: f32 = 2.443315711809948e-5;
const PI: f32 = 3.14159265358979323846;

// The minimax polynomials for sin r and cos r, |r| <= pi/4.
fn polynomials(r: f32) -> vec2<f32> {
    let z = r * r;
    let s = r + r * z * (SIN_C1 + z * (SIN_C2 + z * SIN_C3));
    let c = (1.0 - 0.5 * z) + z * z * (COS_C1 + z * (COS_C2 + z * COS_C3));
    return vec2<f32>(s, c);
}

// (sin x, cos x) sharing one argument reduction.
fn sin_cos(x: f32) -> vec2<f32> {
    let j = round(x * FRAC_2_PI);
    let r = ((x - j * PIO2_1) - j * PIO2_2) - j * PIO2_3;
    let sc = polynomials(r);
    // Quadrant q = j mod 4 (two's complement of the integer j): odd q swaps s and c, bit 1 of
    // q gives sin's sign and bit 1 of q + 1 cos's.
    let q = bitcast<u32>(i32(j));
    let odd = (q & 1u) == 1u;
    let sin_r = select(sc.x, sc.y, odd);
    let cos_r = select(sc.y, sc.x, odd);
    let sin_sign = (q & 2u) << 30u;
    let cos_sign = ((q + 1u) & 2u) << 30u;
    return vec2<f32>(bitcast<f32>(bitcast<u32>(sin_r) ^ sin_sign), bitcast<f32>(bitcast<u32>(cos_r) ^ cos_sign));
}

// The CPU's sin_cos_near_zero skips the reduction when a whole vector is below 0.78 rad with
// the same bits; one invocation is one lane, so the full path is the same function here.
fn sin_cos_near_zero(x: f32) -> vec2<f32> {
    return sin_cos(x);
}

fn sin_(x: f32) -> f32 {
    return sin_cos(x).x;
}

fn cos_(x: f32) -> f32 {
    return sin_cos(x).y;
}

// Python's float x % m for m > 0.
fn py_mod(x: f32, m: f32) -> f32 {
    return x - m * floor(x / m);
}

// Gymnasium's angle_normalize: ((x + pi) % (2 pi)) - pi.
fn angle_normalize(x: f32) -> f32 {
    return py_mod(x + PI, 2.0 * PI) - PI;
}

// Lane::clamp: max then min as compare + select (NaN and signed-zero rules as the CPU's).
fn clamp_(x: f32, lo: f32, hi: f32) -> f32 {
    let m = select(lo, x, x > lo);
    return select(hi, m, m < hi);
}

fn max_(a: f32, b: f32) -> f32 {
    return select(b, a, a > b);
}

fn min_(a: f32, b: f32) -> f32 {
    return select(b, a, a < b);
}
