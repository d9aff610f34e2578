//! Many threads stepping one batch: persistent workers that wait for each step by spinning on
//! an atomic counter, then sleep if no step comes for a while.
//!
//! A step of 65,536 envs takes ~100-200 µs, and waking a sleeping thread through the OS takes
//! tens of µs; with a general-purpose pool (rayon) the workers were often asleep when a step
//! arrived and two threads were sometimes slower than one. Here the caller posts the step,
//! works chunk 0 itself, and waits for the others; workers spin between steps, so consecutive
//! steps never pay for a wake-up. Chunks start at multiples of 64 envs, so no two threads
//! share a cache line of any buffer, and the result never depends on the split.

use fusegym_core::exec::{split, Executor};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an idle worker spins before it sleeps: longer than the gap between two steps of a
/// training loop that steps back to back, short enough not to burn a core when nothing comes.
const SPIN: Duration = Duration::from_millis(2);

type Job = dyn Fn(usize, usize) + Sync;

struct Shared {
    /// Incremented for every posted step (and once more to stop).
    epoch: AtomicU64,
    /// The posted job; valid while `pending > 0` (see `run`).
    job: Mutex<Option<(*const Job, usize)>>,
    pending: AtomicUsize,
    panicked: AtomicBool,
    stop: AtomicBool,
    sleep: Mutex<()>,
    wake: Condvar,
}

// SAFETY: the job pointer is only dereferenced while the posting `run` call waits for it.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

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
        let threads = if threads == 0 { available() } else { threads };
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            job: Mutex::new(None),
            pending: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            sleep: Mutex::new(()),
            wake: Condvar::new(),
        });
        let mut workers = Vec::new();
        for k in 1..threads {
            let s = Arc::clone(&shared);
            let handle = std::thread::Builder::new()
                .name(format!("fusegym-{k}"))
                .spawn(move || worker(&s, k, threads))
                .map_err(|source| ThreadsError { threads, source })?;
            workers.push(handle);
        }
        Ok(Threads {
            shared,
            workers,
            threads,
            posting: Mutex::new(()),
        })
    }
}

fn worker(s: &Shared, k: usize, parts: usize) {
    let mut seen = 0u64;
    loop {
        // Wait for a new epoch: spin first, then sleep on the condvar.
        let started = Instant::now();
        let mut spins = 0u32;
        while s.epoch.load(Ordering::Acquire) == seen {
            if started.elapsed() < SPIN {
                relax(&mut spins);
            } else {
                let guard = s.sleep.lock().unwrap_or_else(|e| e.into_inner());
                if s.epoch.load(Ordering::Acquire) == seen {
                    let _unused = s.wake.wait_timeout(guard, Duration::from_millis(50));
                }
            }
        }
        seen = s.epoch.load(Ordering::Acquire);
        if s.stop.load(Ordering::Acquire) {
            return;
        }
        let posted = *s.job.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((job, len)) = posted {
            let (start, end) = split(len, parts, k);
            if start < end {
                // SAFETY: `run` keeps the job alive until `pending` reaches 0.
                let job = unsafe { &*job };
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(start, end)))
                    .is_err()
                {
                    s.panicked.store(true, Ordering::Release);
                }
            }
            s.pending.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// One round of a wait loop: a CPU pause at first, then `yield_now`, so that with more
/// threads than cores the waiting ones hand their core to the ones with work.
fn relax(spins: &mut u32) {
    if *spins < 128 {
        *spins += 1;
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
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
        if self.threads == 1 {
            return job(0, len);
        }
        let _one_at_a_time = self.posting.lock().unwrap_or_else(|e| e.into_inner());
        let s = &self.shared;
        // SAFETY (lifetime): the pointer is erased to 'static for storage, and this function
        // does not return before every worker has finished with it (`pending == 0`).
        let erased: *const Job = unsafe {
            std::mem::transmute::<*const (dyn Fn(usize, usize) + Sync + '_), *const Job>(
                job as *const _,
            )
        };
        *s.job.lock().unwrap_or_else(|e| e.into_inner()) = Some((erased, len));
        s.pending.store(self.threads - 1, Ordering::Release);
        s.epoch.fetch_add(1, Ordering::AcqRel);
        s.wake.notify_all();
        let (start, end) = split(len, self.threads, 0);
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
        *s.job.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let theirs = s.panicked.swap(false, Ordering::AcqRel);
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
        self.shared.stop.store(true, Ordering::Release);
        self.shared.epoch.fetch_add(1, Ordering::AcqRel);
        self.shared.wake.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}
