//! The thread pool's protocol (post, wait, finish, panic, stop) under every interleaving loom
//! explores: `native/src/threads.rs` is compiled into this test with loom's atomics, mutex,
//! condvar and threads in place of `std`'s (its `sync` module). Run by `scripts/loom.sh`
//! (`RUSTFLAGS="--cfg loom"`); without `--cfg loom` this file is empty.
//!
//! Every model sets `with_min_envs_per_thread` so that its few 64-env blocks are split across
//! the threads (by default a batch this small runs on the caller alone).
//!
//! Loom's condvar never times out, so a lost wake-up shows here as a deadlock, not as a
//! worker that is late by the safety-net timeout. The jobs write through loom's `UnsafeCell`,
//! so loom also reports a data race if a chunk's writes were not ordered before `run`'s return.
#![cfg(loom)]

#[allow(dead_code)]
#[path = "../src/threads.rs"]
mod threads;

use fusegym_core::exec::{Executor, CHUNK_ALIGN};
use loom::cell::UnsafeCell;
use threads::Threads;

/// One counter per 64-env block, written by whichever thread runs that block.
struct Blocks(Vec<UnsafeCell<u32>>);
// SAFETY: each block is written by one chunk only (the pool's ranges are disjoint); loom checks
// the accesses.
unsafe impl Sync for Blocks {}

impl Blocks {
    fn new(n: usize) -> Self {
        Blocks((0..n).map(|_| UnsafeCell::new(0)).collect())
    }
    fn hit(&self, a: usize, b: usize) {
        for cell in &self.0[a / CHUNK_ALIGN..b.div_ceil(CHUNK_ALIGN)] {
            // SAFETY: ranges are disjoint, so no other thread touches this block now.
            cell.with_mut(|p| unsafe { *p += 1 });
        }
    }
    fn counts(&self) -> Vec<u32> {
        // SAFETY: read after `run` returned or unwound; loom checks the ordering.
        self.0.iter().map(|c| c.with(|p| unsafe { *p })).collect()
    }
}

/// The jobs' own panics are expected: only the others are printed.
fn quiet_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.payload().downcast_ref::<&str>().copied().unwrap_or("");
        if !matches!(text, "caller's chunk" | "worker's chunk" | "a fusegym worker thread panicked") {
            default(info);
        }
    }));
}

#[test]
fn a_step_on_three_threads_covers_every_block_once_then_stop_joins() {
    loom::model(|| {
        let pool = Threads::new(3).unwrap().with_min_envs_per_thread(1);
        let blocks = Blocks::new(3);
        pool.run(3 * CHUNK_ALIGN, &|a, b| blocks.hit(a, b));
        assert_eq!(blocks.counts(), [1, 1, 1]);
        drop(pool);
    });
}

#[test]
fn two_steps_in_a_row_each_cover_every_block_once() {
    loom::model(|| {
        let pool = Threads::new(2).unwrap().with_min_envs_per_thread(1);
        let blocks = Blocks::new(2);
        pool.run(2 * CHUNK_ALIGN, &|a, b| blocks.hit(a, b));
        pool.run(2 * CHUNK_ALIGN, &|a, b| blocks.hit(a, b));
        assert_eq!(blocks.counts(), [2, 2]);
    });
}

#[test]
fn a_panic_in_the_callers_chunk_unwinds_only_after_the_worker_finished() {
    quiet_panics();
    loom::model(|| {
        let pool = Threads::new(2).unwrap().with_min_envs_per_thread(1);
        let blocks = Blocks::new(2);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.run(2 * CHUNK_ALIGN, &|a, b| {
                if a == 0 {
                    panic!("caller's chunk");
                }
                blocks.hit(a, b);
            })
        }));
        assert!(r.is_err());
        // Read after the unwind: a race with the worker's write unless run waited for it.
        assert_eq!(blocks.counts(), [0, 1]);
    });
}

#[test]
fn a_panic_in_a_workers_chunk_reaches_the_caller_after_every_chunk_finished() {
    quiet_panics();
    loom::model(|| {
        let pool = Threads::new(2).unwrap().with_min_envs_per_thread(1);
        let blocks = Blocks::new(2);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.run(2 * CHUNK_ALIGN, &|a, b| {
                if a > 0 {
                    panic!("worker's chunk");
                }
                blocks.hit(a, b);
            })
        }));
        assert!(r.is_err());
        assert_eq!(blocks.counts(), [1, 0]);
        // The flag was cleared: the next step is an ordinary one.
        pool.run(2 * CHUNK_ALIGN, &|a, b| blocks.hit(a, b));
        assert_eq!(blocks.counts(), [2, 1]);
    });
}

#[test]
fn a_step_that_needs_fewer_threads_than_the_pool_leaves_the_others_out() {
    loom::model(|| {
        // Two of the three threads take part (two 64-env blocks per thread at least); the
        // third worker sees the posts, runs nothing and is not waited for.
        let pool = Threads::new(3).unwrap().with_min_envs_per_thread(2 * CHUNK_ALIGN);
        let blocks = Blocks::new(4);
        pool.run(4 * CHUNK_ALIGN, &|a, b| blocks.hit(a, b));
        pool.run(4 * CHUNK_ALIGN, &|a, b| blocks.hit(a, b));
        assert_eq!(blocks.counts(), [2, 2, 2, 2]);
    });
}
