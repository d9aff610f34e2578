//! A step's actions into the core's buffers in one pass: discrete values checked against
//! `0..n` and narrowed to `u32`, continuous ones converted to `f32` and laid out feature-major
//! (`[action_dim][num_envs]`), as the core takes them. The values convert as numpy's unsafe
//! casts do (`np.copyto(..., casting="unsafe")`, the general path in `fusegym/vector.py`), so
//! both paths step the same actions and raise the same errors.

use crate::ndarray::{Array, Dtype};
use std::marker::PhantomData;

/// Integers as numpy casts them to `int64` (`uint64` above `i64::MAX` wraps, as in C).
pub trait Int: Copy {
    fn int(self) -> i64;
}

/// Floats as numpy casts them to `float32` (rounded to nearest; beyond its range, infinite).
trait Real: Copy {
    fn real(self) -> f32;
}

macro_rules! int {
    ($($t:ty),*) => {$(impl Int for $t { fn int(self) -> i64 { self as i64 } })*};
}
int!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Real for f32 {
    fn real(self) -> f32 {
        self
    }
}
impl Real for f64 {
    fn real(self) -> f32 {
        self as f32
    }
}

/// `len` values of `T` from `base`, `stride` bytes apart.
#[derive(Clone, Copy)]
struct Strided<T> {
    base: *const u8,
    stride: isize,
    len: usize,
    elem: PhantomData<T>,
}

impl<T: Copy> Strided<T> {
    /// The values as a slice when they are contiguous and aligned (the common case, which the
    /// loops below vectorise).
    ///
    /// SAFETY (also of `get`): the `len` values are readable, and not written, while the
    /// result is used.
    unsafe fn as_slice<'a>(self) -> Option<&'a [T]> {
        let contiguous = self.stride == std::mem::size_of::<T>() as isize || self.len <= 1;
        (contiguous && (self.base as usize).is_multiple_of(std::mem::align_of::<T>()))
            .then(|| std::slice::from_raw_parts(self.base as *const T, self.len))
    }

    unsafe fn get(self, i: usize) -> T {
        std::ptr::read_unaligned(self.base.offset(i as isize * self.stride) as *const T)
    }
}

/// Narrows `src` into `out`; on a value outside `u32` (negative included), the index and value
/// of the first one outside `0..count`. Values in `u32` are left to the core's check, which finds
/// any at or above `count` and names it with the same value (the step's one range check).
pub fn narrow<T: Int>(src: &[T], out: &mut [u32], count: u32) -> Result<(), (usize, i64)> {
    // The high halves ORed together: a shift and an OR per value, which vectorise on any x86-64
    // (a 64-bit comparison per value does not before SSE4.2, and doubled this pass's time).
    let mut high = 0u64;
    for (o, &v) in out.iter_mut().zip(src) {
        let w = v.int();
        high |= w as u64 >> 32;
        *o = w as u32;
    }
    if high != 0 {
        let index = src.iter().position(|v| v.int() as u64 >= count as u64).unwrap_or(0);
        return Err((index, src[index].int()));
    }
    Ok(())
}

/// SAFETY: as `Strided::as_slice`.
unsafe fn narrow_strided<T: Int>(src: Strided<T>, out: &mut [u32], count: u32) -> Result<(), (usize, i64)> {
    if let Some(s) = src.as_slice() {
        return narrow(s, out, count);
    }
    for (i, o) in out.iter_mut().enumerate() {
        let w = src.get(i).int();
        // The first value outside `0..count` is the one `narrow` reports, in or outside `u32`.
        if w as u64 >= count as u64 {
            return Err((i, w));
        }
        *o = w as u32;
    }
    Ok(())
}

/// SAFETY: as `Strided::as_slice`.
unsafe fn convert_strided<T: Real>(src: Strided<T>, out: &mut [f32]) {
    if let Some(s) = src.as_slice() {
        for (o, &v) in out.iter_mut().zip(s) {
            *o = v.real();
        }
        return;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = src.get(i).real();
    }
}

/// Whether `a` lies apart from `out` (a caller could pass a view of the staging buffer).
fn apart<T>(a: &Array<'_>, out: &[T]) -> bool {
    let (lo, hi) = a.span();
    let (olo, ohi) = (out.as_ptr() as usize, out.as_ptr() as usize + std::mem::size_of_val(out));
    hi <= olo || ohi <= lo
}

/// `a` into `out` (`n` discrete actions) when it is `(n,)` of an integer dtype apart from
/// `out`; `None` otherwise (the caller stages it through numpy). Otherwise the range check's
/// result, as `narrow`'s.
pub fn discrete(a: &Array<'_>, out: &mut [u32], count: u32) -> Option<Result<(), (usize, i64)>> {
    let n = out.len();
    if a.shape != [n as isize] || !apart(a, out) {
        return None;
    }
    let stride = a.strides[0];
    // SAFETY: numpy's description of the array's memory (`ndarray::read`): n values, `stride`
    // apart; the caller holds the GIL and runs no Python code meanwhile, so nothing writes them.
    unsafe {
        Some(match a.dtype {
            Dtype::I8 => narrow_strided(Strided::<i8> { base: a.data, stride, len: n, elem: PhantomData }, out, count),
            Dtype::I16 => narrow_strided(Strided::<i16> { base: a.data, stride, len: n, elem: PhantomData }, out, count),
            Dtype::I32 => narrow_strided(Strided::<i32> { base: a.data, stride, len: n, elem: PhantomData }, out, count),
            Dtype::I64 => narrow_strided(Strided::<i64> { base: a.data, stride, len: n, elem: PhantomData }, out, count),
            Dtype::U8 => narrow_strided(Strided::<u8> { base: a.data, stride, len: n, elem: PhantomData }, out, count),
            Dtype::U16 => narrow_strided(Strided::<u16> { base: a.data, stride, len: n, elem: PhantomData }, out, count),
            Dtype::U32 => narrow_strided(Strided::<u32> { base: a.data, stride, len: n, elem: PhantomData }, out, count),
            Dtype::U64 => narrow_strided(Strided::<u64> { base: a.data, stride, len: n, elem: PhantomData }, out, count),
            Dtype::F32 | Dtype::F64 | Dtype::Bool => return None,
        })
    }
}

/// `a` into `out` (`[dim][n]`) when it is `(n, dim)` of float32 or float64 apart from `out`;
/// false otherwise (the caller stages it through numpy). The core checks the values.
pub fn continuous(a: &Array<'_>, out: &mut [f32], n: usize, dim: usize) -> bool {
    if !matches!(a.dtype, Dtype::F32 | Dtype::F64) || a.shape != [n as isize, dim as isize] || !apart(a, out) {
        return false;
    }
    let (s0, s1) = (a.strides[0], a.strides[1]);
    for (k, col) in out.chunks_exact_mut(n.max(1)).enumerate().take(dim) {
        let base = a.data.wrapping_offset(k as isize * s1) as *const u8;
        // SAFETY: column k of the array numpy describes (`ndarray::read`), under the GIL.
        unsafe {
            match a.dtype {
                Dtype::F32 => convert_strided(Strided::<f32> { base, stride: s0, len: n, elem: PhantomData }, col),
                _ => convert_strided(Strided::<f64> { base, stride: s0, len: n, elem: PhantomData }, col),
            }
        }
    }
    true
}
