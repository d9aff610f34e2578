//! How a batch is split across threads. The core runs everything on the caller's thread
//! ([`Serial`]); `fusegym` (native) supplies a persistent thread pool. Results do not depend on
//! the split: every env is computed by the same lane code whatever chunk it falls in.

/// Runs `job(start, end)` over disjoint ranges that cover `0..len`.
pub trait Executor: Sync {
    /// Number of threads the executor uses (for reports).
    fn threads(&self) -> usize;
    /// Calls `job` on disjoint ranges covering `0..len`, possibly in parallel, and returns when
    /// all have finished.
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync));
}

/// Everything on the calling thread, in one call.
#[derive(Clone, Copy, Debug, Default)]
pub struct Serial;

impl Executor for Serial {
    fn threads(&self) -> usize {
        1
    }
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        job(0, len)
    }
}

/// Chunk boundaries are multiples of this many envs, so no two threads write the same
/// 64-byte cache line of any buffer (flags are one byte per env).
pub const CHUNK_ALIGN: usize = 64;

/// Splits `0..len` into `parts` ranges whose inner boundaries are multiples of [`CHUNK_ALIGN`].
pub fn split(len: usize, parts: usize, k: usize) -> (usize, usize) {
    let blocks = len.div_ceil(CHUNK_ALIGN);
    let parts = parts.max(1);
    let bound = |p: usize| ((blocks * p / parts) * CHUNK_ALIGN).min(len);
    (bound(k), bound(k + 1))
}
