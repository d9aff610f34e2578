//! How a batch is split across threads. The core runs everything on the caller's thread
//! ([`Serial`]); `fusegym` (native) supplies a persistent thread pool. Results do not depend on
//! the split: every env is computed by the same lane code whatever chunk it falls in.

/// Runs `job(start, end)` over disjoint ranges that cover `0..len`.
///
/// # Safety
/// The kernels write through raw pointers into the ranges they are given, from as many threads
/// as the executor uses, so an implementation must guarantee, for every call of `run`:
/// - every range it passes has `start <= end <= len` and `start` a multiple of [`CHUNK_ALIGN`]
///   (the kernels pack per-block outputs, such as final observations, by blocks of that many
///   envs, and no two threads may share a block);
/// - the ranges are pairwise disjoint and together cover `0..len` exactly;
/// - `run` returns only after every `job` call has returned (it may run them on other threads);
/// - if a `job` call panics, `run` does not return normally before every other call has
///   returned (it may resume the panic after that).
///
/// The core also checks the first rule for every range (it is one compare) and reports a
/// violation as [`crate::Error::Executor`] instead of running the range, and adds up the
/// ranges' lengths (one add per range): a total other than `len` (a range skipped, or run
/// twice) is [`crate::Error::ExecutorCoverage`]. Overlaps whose lengths still add up to `len`
/// cannot be checked cheaply, hence the `unsafe`.
pub unsafe trait Executor: Sync {
    /// Number of threads the executor uses (for reports).
    fn threads(&self) -> usize;
    /// Calls `job` on disjoint ranges covering `0..len`, possibly in parallel, and returns when
    /// all have finished.
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync));
    /// As [`Executor::run`], for a job that does much more work per env than one step (a
    /// rollout of many steps), so an executor that sizes its split by the work (fewer threads
    /// for small batches) may use more threads. Same contract.
    fn run_long(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        self.run(len, job)
    }
}

/// Everything on the calling thread, in one call.
#[derive(Clone, Copy, Debug, Default)]
pub struct Serial;

// SAFETY: one range, `0..len`, on the calling thread.
unsafe impl Executor for Serial {
    fn threads(&self) -> usize {
        1
    }
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        job(0, len)
    }
}

/// Chunk boundaries are multiples of this many envs, so no two threads write the same
/// 64-byte cache line of any buffer (flags are one byte per env), and per-block outputs (the
/// packed final observations) have one writer per block.
pub const CHUNK_ALIGN: usize = 64;

/// Whether `(start, end)` is a range an [`Executor`] may hand out for a batch of `len` envs
/// (the part of the contract the core checks).
#[inline]
pub fn range_ok(start: usize, end: usize, len: usize) -> bool {
    start <= end && end <= len && start.is_multiple_of(CHUNK_ALIGN)
}

/// Splits `0..len` into `parts` ranges whose inner boundaries are multiples of [`CHUNK_ALIGN`].
pub fn split(len: usize, parts: usize, k: usize) -> (usize, usize) {
    let blocks = len.div_ceil(CHUNK_ALIGN);
    let parts = parts.max(1);
    let bound = |p: usize| ((blocks * p / parts) * CHUNK_ALIGN).min(len);
    (bound(k), bound(k + 1))
}
