//! Many threads stepping one batch: persistent workers that wait for each step by spinning on
//! an atomic counter, then sleep if no step comes for a while.
//!
//! A step of 65,536 envs takes ~100-200 µs, and waking a sleeping thread through the OS takes
//! tens of µs; with a general-purpose pool (rayon) the workers were often asleep when a step
//! arrived and two threads were sometimes slower than one. Here the caller posts the step,
//! works chunk 0 itself, and waits for the others; workers spin between steps, so consecutive
//! steps never pay for a wake-up. Chunks start at multiples of 64 envs, so no two threads
//! share a cache line of any buffer, and the result never depends on the split.
//!
//! # Protocol
//! A post is one atomic word, `epoch << 16 | parts` (how many threads take part), stored with
//! Release after the job pointer and the `pending` count, so a worker that sees the epoch move
//! reads the step's size with it and needs no lock. A worker waits for the epoch to move:
//! first by spinning on the word, then by sleeping on the condvar after checking the word with
//! the `sleepers` mutex held. The word is only ever stored with that mutex held, and the
//! condvar's wait releases it atomically, so a post either is seen by the check or finds the
//! worker counted as a sleeper and wakes it: no wake-up is lost (`native/tests/loom.rs`
//! checks this, and the rest of the protocol, under every interleaving). Spinning workers
//! never take the mutex, and the poster calls the OS only when a worker sleeps. The caller
//! counts the workers that take part down with `pending` and returns, or resumes a panic,
//! only at 0. Each call uses [`Threads::threads_for`] threads, one per
//! [`MIN_ENVS_PER_THREAD`] envs: a small batch runs on the caller alone.

use fusegym_core::exec::{split, Executor, CHUNK_ALIGN};
use std::time::Duration;
use sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use sync::{thread, Arc, Condvar, JoinHandle, Mutex, MutexGuard, SpinBudget};

/// The primitives the protocol is written with: `std`'s, or `loom`'s when
/// `native/tests/loom.rs` compiles this file into its model checker (`--cfg loom`, test
/// builds only).
#[cfg(not(all(loom, test)))]
mod sync {
    pub use std::hint::spin_loop;
    pub use std::sync::{atomic, Arc, Condvar, Mutex, MutexGuard};
    pub use std::thread::{self, JoinHandle};
    use std::time::{Duration, Instant};

    /// How long an idle worker may still spin.
    pub struct SpinBudget(Instant, Duration);
    impl SpinBudget {
        pub fn new(spin: Duration) -> Self {
            SpinBudget(Instant::now(), spin)
        }
        pub fn left(&mut self) -> bool {
            self.0.elapsed() < self.1
        }
    }
}

#[cfg(all(loom, test))]
mod sync {
    pub use loom::hint::spin_loop;
    pub use loom::sync::{atomic, Arc, Condvar, Mutex, MutexGuard};
    pub use loom::thread::{self, JoinHandle};
    use std::time::Duration;

    /// Loom has no clock: a worker with a spin budget spins one round, then sleeps.
    pub struct SpinBudget(bool);
    impl SpinBudget {
        pub fn new(spin: Duration) -> Self {
            SpinBudget(!spin.is_zero())
        }
        pub fn left(&mut self) -> bool {
            std::mem::replace(&mut self.0, false)
        }
    }
}

/// How long an idle worker spins before it sleeps: longer than the gap between two steps of a
/// training loop that steps back to back, short enough not to burn a core when nothing comes.
const SPIN: Duration = Duration::from_millis(2);

/// A sleeping worker also wakes after this long without a notification. The protocol never
/// needs it (no wake-up is lost); it bounds the damage should that ever be wrong, and every
/// such wake-up that finds a step waiting is counted in `late_wakeups`.
const SAFETY_NET: Duration = Duration::from_secs(1);

type Job = dyn Fn(usize, usize) + Sync;

/// The posted job, on the posting `run`'s stack; valid while that call waits (`pending > 0`).
struct Posted {
    job: *const Job,
    len: usize,
}

/// Bits of `Shared::word` that hold the number of threads taking part in the current step
/// (the rest is the epoch). One word, so a worker reads a step's epoch and size together.
const PARTS_BITS: u32 = 16;
const PARTS_MASK: u64 = (1 << PARTS_BITS) - 1;
/// The most threads a pool may have (the width of the parts field, less one).
const MAX_THREADS: usize = PARTS_MASK as usize;

fn epoch_of(word: u64) -> u64 {
    word >> PARTS_BITS
}

fn parts_of(word: u64) -> usize {
    (word & PARTS_MASK) as usize
}

struct Shared {
    /// `epoch << PARTS_BITS | parts`: the epoch moves for every post (and once more to stop),
    /// always stored with `sleepers` locked; `parts` threads, the caller included, take part
    /// (workers `1..parts` run a chunk).
    word: AtomicU64,
    /// The current step's job, stored before `word` moves (read by the taking-part workers).
    job: AtomicPtr<Posted>,
    /// Set before the last post; the workers return when they see it.
    stop: AtomicBool,
    /// Workers waiting on `wake` (so `run` only calls the OS when someone sleeps).
    sleepers: Mutex<usize>,
    wake: Condvar,
    /// Workers of the current step that have not finished their chunk.
    pending: AtomicUsize,
    /// Set by a worker whose chunk panicked; reported by `run`.
    panicked: AtomicBool,
    /// How long an idle worker spins before it sleeps.
    spin: Duration,
    /// Sleeps that ended by [`SAFETY_NET`] with a step already posted (a lost wake-up, or a post
    /// that came in the very instant of the timeout).
    late_wakeups: AtomicUsize,
    /// Called by a worker that is about to sleep, with `sleepers` locked (tests widen the
    /// window between the check and the wait with it).
    #[cfg(test)]
    before_sleep: Option<Box<dyn Fn() + Send + Sync>>,
}

// SAFETY: the job pointer is only dereferenced by the workers taking part in a step, while the
// posting `run` call waits for them.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

/// Locks, ignoring poison: a job that panicked holds no lock, so the data is consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Fewest envs per thread for which `run` uses another thread: a call over `len` envs uses
/// `len / MIN_ENVS_PER_THREAD` threads (at most the pool's), so below twice this many envs it
/// runs on the calling thread alone (no post, no wake-up).
///
/// Measured with `fusegym bench --mode step --backend simd --backend threads` on 2 threads of
/// an Intel Xeon (KVM, 2 vCPUs, AVX-512 path), release build, quiet machine, M steps/s, one
/// thread vs two (every thread used at every size), 2-3 runs each:
/// - CartPole-v1: 2,048 envs 355-453 vs 315-413 (two slower); 3,072 400 vs 385-430 (even);
///   4,096 289-360 vs 399-463 (two 1.2-1.4x faster); 65,536 309-355 vs 632-646.
/// - MountainCar-v0 (cheaper per env than CartPole): 3,072 899-1,082 vs 671-846; 4,096
///   888-1,078 vs 872-1,100 (even); 6,144 894-1,088 vs 890-1,240.
/// - MountainCarContinuous-v0: 4,096 867-954 vs 826-851 (two slower); 6,144 767-866 vs
///   901-1,009 (two 1.16x faster).
///
/// So two threads from 6,144 envs, where every env gains; CartPole alone would gain from
/// 4,096. `docs/benchmarks.md` has the tables.
pub const MIN_ENVS_PER_THREAD: usize = 3_072;

/// A pool of `threads - 1` persistent workers plus the calling thread.
///
/// Each [`Executor::run`] call uses [`Threads::threads_for`]`(len)` of them: all for big
/// batches, fewer for small ones (see [`MIN_ENVS_PER_THREAD`]).
pub struct Threads {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    threads: usize,
    min_per_thread: usize,
    /// Serialises `run` calls from different threads.
    posting: Mutex<()>,
}

/// The workers could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {threads} worker threads: {source}")]
pub struct ThreadsError {
    threads: usize,
    #[source]
    source: std::io::Error,
}

impl Threads {
    /// `threads` threads in all (`0` = one per available core): the caller plus `threads - 1`
    /// workers.
    pub fn new(threads: usize) -> Result<Self, ThreadsError> {
        Self::build(
            threads,
            SPIN,
            #[cfg(test)]
            None,
        )
    }

    fn build(threads: usize, spin: Duration, #[cfg(test)] before_sleep: Option<Box<dyn Fn() + Send + Sync>>) -> Result<Self, ThreadsError> {
        let threads = if threads == 0 { available() } else { threads };
        let threads = threads.min(MAX_THREADS);
        let shared = Arc::new(Shared {
            word: AtomicU64::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            stop: AtomicBool::new(false),
            sleepers: Mutex::new(0),
            wake: Condvar::new(),
            pending: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            spin,
            late_wakeups: AtomicUsize::new(0),
            #[cfg(test)]
            before_sleep,
        });
        let mut pool = Threads { shared, workers: Vec::new(), threads, min_per_thread: MIN_ENVS_PER_THREAD, posting: Mutex::new(()) };
        for k in 1..threads {
            let s = Arc::clone(&pool.shared);
            let handle = thread::Builder::new()
                .name(format!("fusegym-{k}"))
                .spawn(move || worker(&s, k))
                .map_err(|source| ThreadsError { threads, source })?;
            // (On error, dropping `pool` stops the workers started so far.)
            pool.workers.push(handle);
        }
        Ok(pool)
    }

    /// Sets the fewest envs per thread (default [`MIN_ENVS_PER_THREAD`]); `1` uses every
    /// thread whenever each gets at least one 64-env block. Calls whose `len` is small but whose
    /// jobs are long (a rollout of many steps) may want a lower value than the step default.
    pub fn with_min_envs_per_thread(mut self, envs: usize) -> Self {
        self.min_per_thread = envs.max(1);
        self
    }

    /// How many threads (the caller included) a `run` over `len` envs uses: at most
    /// [`Executor::threads`], at most one per 64-env block, and at most one per
    /// `min_envs_per_thread` envs; at least 1.
    pub fn threads_for(&self, len: usize) -> usize {
        (len / self.min_per_thread).min(len.div_ceil(CHUNK_ALIGN)).clamp(1, self.threads)
    }

    /// Starts epoch `+1` with `parts` threads taking part, and wakes the sleeping workers.
    /// The epoch moves with `sleepers` locked: a worker checks it under the same lock before
    /// it waits, so it either sees this post or is counted and notified.
    fn publish(&self, parts: usize) {
        let s = &*self.shared;
        let sleepers = {
            let sleepers = lock(&s.sleepers);
            // Only ever stored under this lock, so load + store is an increment.
            let epoch = epoch_of(s.word.load(Ordering::Relaxed)) + 1;
            s.word.store(epoch << PARTS_BITS | parts as u64, Ordering::Release);
            *sleepers
        };
        if sleepers > 0 {
            s.wake.notify_all();
        }
    }
}

fn worker(s: &Shared, k: usize) {
    let mut seen = 0u64;
    loop {
        // Wait for a new epoch: spin first (no lock: a spinning worker never slows the poster
        // down), then sleep on the condvar.
        let mut budget = SpinBudget::new(s.spin);
        let mut spins = 0u32;
        let mut word = s.word.load(Ordering::Acquire);
        while epoch_of(word) == seen && budget.left() {
            relax(&mut spins);
            word = s.word.load(Ordering::Acquire);
        }
        if epoch_of(word) == seen {
            let mut sleepers = lock(&s.sleepers);
            // `word` only moves under this lock: no post can slip between this load and the
            // wait, which releases the lock atomically.
            word = s.word.load(Ordering::Acquire);
            while epoch_of(word) == seen {
                #[cfg(test)]
                if let Some(hook) = &s.before_sleep {
                    hook();
                }
                *sleepers += 1;
                let (guard, timeout) = s.wake.wait_timeout(sleepers, SAFETY_NET).unwrap_or_else(|e| e.into_inner());
                sleepers = guard;
                *sleepers -= 1;
                word = s.word.load(Ordering::Acquire);
                if timeout.timed_out() && epoch_of(word) != seen {
                    s.late_wakeups.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        seen = epoch_of(word);
        if s.stop.load(Ordering::Relaxed) {
            return;
        }
        let parts = parts_of(word);
        if k >= parts {
            continue; // not needed for this step, and not waited for
        }
        // SAFETY: stored before `word` moved (we read `word` with Acquire); `run` keeps it
        // alive, and stores no other, until `pending` reaches 0, and this worker is one of the
        // `parts - 1` it waits for.
        let posted = unsafe { &*s.job.load(Ordering::Relaxed) };
        let (start, end) = split(posted.len, parts, k);
        if start < end {
            // SAFETY: as above; the job outlives `posted`.
            let job = unsafe { &*posted.job };
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(start, end))).is_err() {
                s.panicked.store(true, Ordering::Relaxed);
            }
        }
        // Release: the chunk's writes (and `panicked`) happen before `run` sees 0.
        s.pending.fetch_sub(1, Ordering::Release);
    }
}

/// One round of a wait loop: a CPU pause at first, then `yield_now`, so that with more
/// threads than cores the waiting ones hand their core to the ones with work.
fn relax(spins: &mut u32) {
    if *spins < 128 {
        *spins += 1;
        sync::spin_loop();
    } else {
        thread::yield_now();
    }
}

/// Cores available to this process.
pub fn available() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

// SAFETY: ranges come from `split` (aligned, disjoint, covering); `run` waits for every worker,
// also when the caller's own chunk panics (the panic is resumed after the wait).
unsafe impl Executor for Threads {
    /// The pool's size; a given call may use fewer ([`Threads::threads_for`]).
    fn threads(&self) -> usize {
        self.threads
    }
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        self.run_on(len, self.threads_for(len), job)
    }
    /// Long jobs (rollouts of many steps) use every thread the batch has blocks for: their
    /// per-env work dwarfs the cost of handing it out, whatever the batch size.
    fn run_long(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        self.run_on(len, len.div_ceil(CHUNK_ALIGN).clamp(1, self.threads), job)
    }
}

impl Threads {
    /// [`Executor::run`] on `parts` threads (`1 <= parts <= self.threads`).
    fn run_on(&self, len: usize, parts: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        if parts == 1 {
            return job(0, len);
        }
        let one_at_a_time = lock(&self.posting);
        let s = &*self.shared;
        // SAFETY (lifetime): the pointer is erased to 'static for storage, and this function
        // does not return or unwind before every worker has finished with it (`pending == 0`);
        // workers not taking part (`k >= parts`) never dereference it.
        let erased: *const Job = unsafe { std::mem::transmute::<*const (dyn Fn(usize, usize) + Sync + '_), *const Job>(job as *const _) };
        let posted = Posted { job: erased, len };
        // Both published by the Release store in `publish`.
        s.job.store(&posted as *const Posted as *mut Posted, Ordering::Relaxed);
        s.pending.store(parts - 1, Ordering::Relaxed);
        self.publish(parts);
        let (start, end) = split(len, parts, 0);
        // The caller's own chunk may panic too: catch it, so that the workers, which still
        // hold the job, finish before the panic leaves this function (and frees the job).
        let mine = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if start < end {
                job(start, end);
            }
        }));
        let mut spins = 0u32;
        while s.pending.load(Ordering::Acquire) != 0 {
            relax(&mut spins);
        }
        let theirs = s.panicked.swap(false, Ordering::Relaxed);
        // Released before any panic leaves, so the lock is not poisoned.
        drop(one_at_a_time);
        if let Err(payload) = mine {
            std::panic::resume_unwind(payload);
        }
        if theirs {
            panic!("a fusegym worker thread panicked");
        }
    }
}

impl Drop for Threads {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.publish(0);
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_step_posted_while_a_worker_is_going_to_sleep_wakes_it() {
        // The worker goes to sleep at once (no spinning) and, the first time, stops for 200 ms
        // between its last look at `epoch` and the wait: a step posted then must still wake
        // it through the condvar, not through the safety-net timeout.
        let in_window = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&in_window);
        let hook = move || {
            if !flag.swap(true, Ordering::AcqRel) {
                std::thread::sleep(Duration::from_millis(200));
            }
        };
        let pool = Threads::build(2, Duration::ZERO, Some(Box::new(hook))).unwrap();
        while !in_window.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
        let len = 1 << 16;
        let hits: Vec<AtomicUsize> = (0..len).map(|_| AtomicUsize::new(0)).collect();
        pool.run(len, &|a, b| hits[a..b].iter().for_each(|h| _ = h.fetch_add(1, Ordering::Relaxed)));
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
        assert_eq!(
            pool.shared.late_wakeups.load(Ordering::Relaxed),
            0,
            "the worker missed the post's notification and woke by its timeout"
        );
    }
}
