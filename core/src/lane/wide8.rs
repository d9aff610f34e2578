//! `wide::f32x8`: the portable 8-wide lane (two SSE2 halves on a default x86_64 build).
super::wide_impl::impl_wide_lane!(f32x8, u32x8, 8, [0, 1, 2, 3, 4, 5, 6, 7], from_i32x8);
