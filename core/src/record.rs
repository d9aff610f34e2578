//! Named groups of lanes (an env's state, observation, action) that the shared kernel can load
//! from and store to the structure-of-arrays buffers without knowing their fields.

use crate::lane::Lane;

/// A fixed set of named `L` values, stored as `LEN` columns of a batch buffer.
pub trait Record<L>: Copy {
    /// Field names in storage order (column `k` of the buffer is field `NAMES[k]`).
    const NAMES: &'static [&'static str];
    /// Number of fields.
    const LEN: usize = Self::NAMES.len();
    /// Builds the record from column values.
    fn from_fn(f: impl FnMut(usize) -> L) -> Self;
    /// Visits every field with its column.
    fn for_each(&self, f: impl FnMut(usize, L));
}

/// Loads column `k` of every field from `base[k * stride + i ..]`.
///
/// # Safety
/// Every column must be readable for `L::WIDTH` values at that offset.
#[inline(always)]
pub(crate) unsafe fn load<L: Lane, R: Record<L>>(base: *const f32, stride: usize, i: usize) -> R {
    R::from_fn(|k| L::load(base.add(k * stride + i)))
}

/// Stores every field to `base[k * stride + i ..]`.
///
/// # Safety
/// Every column must be writable for `L::WIDTH` values at that offset.
#[inline(always)]
pub(crate) unsafe fn store<L: Lane, R: Record<L>>(r: &R, base: *mut f32, stride: usize, i: usize) {
    r.for_each(|k, v| v.store(base.add(k * stride + i)))
}

/// Per-lane `if mask { a } else { b }` for every field.
#[inline(always)]
pub fn select<L: Lane, R: Record<L>>(mask: L::Mask, a: &R, b: &R) -> R {
    let mut av = [L::splat(0.0); 16];
    a.for_each(|k, v| av[k] = v);
    let mut out_b = [L::splat(0.0); 16];
    b.for_each(|k, v| out_b[k] = v);
    R::from_fn(|k| L::select(mask, av[k], out_b[k]))
}

/// Declares a record struct generic over its lane type, e.g.
/// `record! { pub struct CartPoleState { x, x_dot, theta, theta_dot } }`.
#[macro_export]
macro_rules! record {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* $field:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $name<L> {
            $($(#[$fmeta])* pub $field: L,)+
        }
        impl<L: Copy> $crate::record::Record<L> for $name<L> {
            const NAMES: &'static [&'static str] = &[$(stringify!($field)),+];
            #[inline(always)]
            #[allow(unused_assignments)]
            fn from_fn(mut f: impl FnMut(usize) -> L) -> Self {
                let mut k = 0;
                $(let $field = f(k); k += 1;)+
                $name { $($field),+ }
            }
            #[inline(always)]
            #[allow(unused_assignments)]
            fn for_each(&self, mut f: impl FnMut(usize, L)) {
                let mut k = 0;
                $(f(k, self.$field); k += 1;)+
            }
        }
    };
}
