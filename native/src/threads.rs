//! Many threads stepping one batch: a persistent rayon pool that splits the batch into
//! cache-line-aligned chunks. Results are bit-identical to one thread because every env is
//! computed by the same lane code wherever its chunk boundary falls.

use fusegym_core::exec::{split, Executor};
use rayon::prelude::*;

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
    /// A pool of `threads` workers (`0` = one per available core).
    pub fn new(threads: usize) -> Result<Self, ThreadsError> {
        let threads = if threads == 0 { available() } else { threads };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
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
        self.pool.install(|| {
            (0..parts).into_par_iter().for_each(|k| {
                let (start, end) = split(len, parts, k);
                if start < end {
                    job(start, end);
                }
            })
        });
    }
}
