//! `wide::f32x4`: the SIMD lane on wasm32 with simd128 (and a portable 4-wide path elsewhere).
super::wide_impl::impl_wide_lane!(f32x4, u32x4, 4, [0, 1, 2, 3], from_i32x4);
