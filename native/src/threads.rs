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
//! Everything a worker needs to know about a step (the job, how many threads take part, stop)
//! is in [`Post`], behind one mutex, and every change to it bumps `epoch` *while that mutex is
//! held*. A worker waits for `epoch` to move: first by spinning on the atomic, then by sleeping
//! on the condvar after checking `epoch` under the mutex. Because the check and the bump
//! exclude each other and the condvar's wait releases the mutex atomically, a post either is
//! seen by the check or finds the worker registered as a sleeper and wakes it: no wake-up is
//! lost (`tests/loom.rs` checks this, and the rest of the protocol, under every interleaving).
//! The caller counts the workers down with `pending` and returns, or resumes a panic, only when
//! it reaches 0.

use fusegym_core::exec::{split, Executor};
use std::time::Duration;
use sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use sync::{thread, Arc, Condvar, JoinHandle, Mutex, MutexGuard, SpinBudget};

/// The primitives the protocol is written with: `std`'s, or `loom`'s when `tests/loom.rs`
/// compiles this file into its model checker (`--cfg loom`, test builds only).
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

/// What the workers read after `epoch` moves; written only with `Shared::post` locked, and
/// every write bumps `epoch` under the same lock.
struct Post {
    /// The job and `len`; the pointer is valid while the posting `run` waits (`pending > 0`).
    job: Option<(*const Job, usize)>,
    /// Threads taking part in this step, the caller included: workers `1..parts` run a chunk.
    parts: usize,
    /// Workers waiting on `wake` (so `run` only calls the OS when someone sleeps).
    sleepers: usize,
    stop: bool,
}

struct Shared {
    /// Incremented for every post (and once more to stop), always with `post` locked.
    epoch: AtomicU64,
    post: Mutex<Post>,
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
    /// Called by a worker that is about to sleep, with `post` locked (tests widen the window
    /// between the check and the wait with it).
    #[cfg(test)]
    before_sleep: Option<Box<dyn Fn() + Send + Sync>>,
}

// SAFETY: the job pointer is only dereferenced while the posting `run` call waits for it.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

/// Locks, ignoring poison: a job that panicked holds no lock, so the data is consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A pool of `threads - 1` persistent workers plus the calling thread.
pub struct Threads {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    threads: usize,
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

    fn build(
        threads: usize,
        spin: Duration,
        #[cfg(test)] before_sleep: Option<Box<dyn Fn() + Send + Sync>>,
    ) -> Result<Self, ThreadsError> {
        let threads = if threads == 0 { available() } else { threads };
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            post: Mutex::new(Post {
                job: None,
                parts: 0,
                sleepers: 0,
                stop: false,
            }),
            wake: Condvar::new(),
            pending: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            spin,
            late_wakeups: AtomicUsize::new(0),
            #[cfg(test)]
            before_sleep,
        });
        let mut pool = Threads {
            shared,
            workers: Vec::new(),
            threads,
            posting: Mutex::new(()),
        };
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

    /// Publishes a change to the post and wakes the workers: `change` runs with the mutex
    /// held, and `epoch` is bumped before it is released.
    fn publish(&self, change: impl FnOnce(&mut Post)) {
        let s = &*self.shared;
        let sleepers = {
            let mut post = lock(&s.post);
            change(&mut post);
            // Only ever written under this lock, so load + store is an increment.
            s.epoch
                .store(s.epoch.load(Ordering::Relaxed) + 1, Ordering::Release);
            post.sleepers
        };
        if sleepers > 0 {
            s.wake.notify_all();
        }
    }
}

fn worker(s: &Shared, k: usize) {
    let mut seen = 0u64;
    loop {
        // Wait for a new epoch: spin first, then sleep on the condvar.
        let mut budget = SpinBudget::new(s.spin);
        let mut spins = 0u32;
        while s.epoch.load(Ordering::Acquire) == seen && budget.left() {
            relax(&mut spins);
        }
        let (job, parts, stop) = {
            let mut post = lock(&s.post);
            // `epoch` only changes under this lock: no post can slip between this check and
            // the wait, which releases the lock atomically.
            while s.epoch.load(Ordering::Relaxed) == seen {
                #[cfg(test)]
                if let Some(hook) = &s.before_sleep {
                    hook();
                }
                post.sleepers += 1;
                let (guard, timeout) = s
                    .wake
                    .wait_timeout(post, SAFETY_NET)
                    .unwrap_or_else(|e| e.into_inner());
                post = guard;
                post.sleepers -= 1;
                if timeout.timed_out() && s.epoch.load(Ordering::Relaxed) != seen {
                    s.late_wakeups.fetch_add(1, Ordering::Relaxed);
                }
            }
            seen = s.epoch.load(Ordering::Relaxed);
            (post.job, post.parts, post.stop)
        };
        if stop {
            return;
        }
        let Some((job, len)) = job else { continue };
        if k >= parts {
            continue; // not needed for this step
        }
        let (start, end) = split(len, parts, k);
        if start < end {
            // SAFETY: `run` keeps the job alive until `pending` reaches 0, and this worker is
            // one of the `parts - 1` it waits for.
            let job = unsafe { &*job };
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
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

// SAFETY: ranges come from `split` (aligned, disjoint, covering); `run` waits for every worker,
// also when the caller's own chunk panics (the panic is resumed after the wait).
unsafe impl Executor for Threads {
    fn threads(&self) -> usize {
        self.threads
    }
    fn run(&self, len: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        let parts = self.threads;
        if parts == 1 {
            return job(0, len);
        }
        let one_at_a_time = lock(&self.posting);
        let s = &*self.shared;
        // SAFETY (lifetime): the pointer is erased to 'static for storage, and this function
        // does not return or unwind before every worker has finished with it (`pending == 0`);
        // workers not taking part (`k >= parts`) never dereference it.
        let erased: *const Job = unsafe {
            std::mem::transmute::<*const (dyn Fn(usize, usize) + Sync + '_), *const Job>(
                job as *const _,
            )
        };
        self.publish(|post| {
            post.job = Some((erased, len));
            post.parts = parts;
            // Read by the workers after they lock `post`, so Relaxed is enough.
            s.pending.store(parts - 1, Ordering::Relaxed);
        });
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
        self.publish(|post| post.stop = true);
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
        pool.run(len, &|a, b| {
            hits[a..b]
                .iter()
                .for_each(|h| _ = h.fetch_add(1, Ordering::Relaxed))
        });
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
        assert_eq!(
            pool.shared.late_wakeups.load(Ordering::Relaxed),
            0,
            "the worker missed the post's notification and woke by its timeout"
        );
    }
}
