//! Many threads stepping one batch: a persistent rayon pool that splits the batch into
//! cache-line-aligned chunks. Results are bit-identical to one thread because every env is
//! computed by the same lane code wherever its chunk boundary falls.

use fusegym_core::exec::{split, Executor};

/// A pool of worker threads kept alive between steps.
pub struct Threads {
    pool: rayon::ThreadPool,
    threads: usize,
}

/// The pool could not be created.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {threads} worker threads: {source}")]
pub struct ThreadsError {
    threads: usize,
    #[source]
    source: rayon::ThreadPoolBuildError,
}

impl Threads {
    /// `threads` threads in all (`0` = one per available core): the caller's thread plus
    /// `threads - 1` pool workers.
    pub fn new(threads: usize) -> Result<Self, ThreadsError> {
        let threads = if threads == 0 { available() } else { threads };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.saturating_sub(1).max(1))
            .thread_name(|k| format!("fusegym-{k}"))
            .build()
            .map_err(|source| ThreadsError { threads, source })?;
        Ok(Threads { pool, threads })
    }
}

/// Cores available to this process.
pub fn available() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

impl Executor for Threads {
    fn threads(&self) -> usize {
        self.threads
    }
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        let parts = self.threads;
        if parts == 1 {
            return job(0, len);
        }
        // The calling thread takes chunk 0 itself instead of sleeping while the pool works:
        // one thread fewer to wake per step, and no core left idle.
        self.pool.in_place_scope(|scope| {
            for k in 1..parts {
                scope.spawn(move |_| {
                    let (start, end) = split(len, parts, k);
                    if start < end {
                        job(start, end);
                    }
                });
            }
            let (start, end) = split(len, parts, 0);
            job(start, end);
        });
    }
}
