//! Many threads give exactly what one thread gives, for every env and thread count.
//!
//! Most tests set `with_min_envs_per_thread(1)`, so that their small batches are split across
//! every thread instead of running on the caller alone (the default for small batches).

use fusegym::{make, ActionSpace, Actions, Threads, ENV_IDS};

fn bits(v: &fusegym::StepView<'_>) -> Vec<u32> {
    let mut out: Vec<u32> = v.obs.iter().chain(v.reward).map(|x| x.to_bits()).collect();
    out.extend(v.terminated.iter().chain(v.truncated).map(|&b| b as u32));
    out
}

#[test]
fn threads_match_one_thread_bit_for_bit() {
    let n = 5_000; // several 64-env chunks per thread, and a ragged tail
    for threads in [2, 3, 4] {
        let pool = Threads::new(threads).unwrap().with_min_envs_per_thread(1);
        for id in ENV_IDS {
            let mut one = make(id, n, 11).unwrap();
            let mut many = make(id, n, 11).unwrap();
            let space = one.action_space();
            let mut s = 12345u32;
            for t in 0..1_500 {
                let mut next = || {
                    s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    s >> 8
                };
                let (disc, cont): (Vec<u32>, Vec<f32>) = match space {
                    ActionSpace::Discrete { n: k } => ((0..n).map(|_| next() % k).collect(), vec![]),
                    ActionSpace::Box { dim, low, high } => {
                        (vec![], (0..dim * n).map(|j| low[j / n] + (high[j / n] - low[j / n]) * (next() as f32 / 16_777_216.0)).collect())
                    }
                };
                let acts = if space.is_discrete() { Actions::Discrete(&disc) } else { Actions::Continuous(&cont) };
                let a = bits(&one.step(acts).unwrap());
                let b = bits(&many.step_with(acts, &pool).unwrap());
                assert!(a == b, "{id}: {threads} threads differ from one at step {t}");
            }
            assert_eq!(one.state(), many.state(), "{id}");
        }
    }
}

#[test]
fn every_env_is_stepped_exactly_once_per_call_for_any_size() {
    use fusegym::Executor;
    use std::sync::atomic::{AtomicU32, Ordering};
    let pool = Threads::new(3).unwrap().with_min_envs_per_thread(1);
    for len in [1usize, 63, 64, 65, 200, 4_097] {
        let hits: Vec<AtomicU32> = (0..len).map(|_| AtomicU32::new(0)).collect();
        for _ in 0..50 {
            pool.run(len, &|a, b| {
                for h in &hits[a..b] {
                    h.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 50), "len {len}");
    }
}

#[test]
fn a_panic_in_a_worker_reaches_the_caller_and_the_pool_keeps_working() {
    use fusegym::Executor;
    let pool = Threads::new(2).unwrap().with_min_envs_per_thread(1);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.run(1_000, &|a, _| {
            if a > 0 {
                panic!("boom in the worker's chunk");
            }
        })
    }));
    assert!(r.is_err(), "the worker's panic was swallowed");
    let mut env = make("CartPole-v1", 1_000, 1).unwrap();
    env.step_with(Actions::Discrete(&vec![0; 1_000]), &pool).unwrap();
}

#[test]
fn a_bad_action_in_any_threads_range_is_reported_and_nothing_is_stepped() {
    // The action check runs on the pool's threads, each over its own range: a bad value in the
    // last thread's range must still stop the whole step before any env moves.
    let n = 4_096;
    let pool = Threads::new(3).unwrap().with_min_envs_per_thread(1);
    for (id, bad_at) in [("CartPole-v1", n - 1), ("Acrobot-v1", n / 2), ("Pendulum-v1", n - 7), ("Reach3D-v1", 70)] {
        let mut env = make(id, n, 5).unwrap();
        let before = env.state().to_vec();
        let space = env.action_space();
        let result = if space.is_discrete() {
            let mut a = vec![0u32; n];
            a[bad_at] = 9;
            env.step_with(Actions::Discrete(&a), &pool).map(|_| ()).unwrap_err()
        } else {
            // The last component's slice, so the check covers every component of every range.
            let mut a = vec![0.0f32; space.dim() * n];
            a[(space.dim() - 1) * n + bad_at] = f32::NAN;
            env.step_with(Actions::Continuous(&a), &pool).map(|_| ()).unwrap_err()
        };
        let text = result.to_string();
        assert!(text.contains(&bad_at.to_string()) || text.contains(&((space.dim() - 1) * n + bad_at).to_string()), "{id}: {text}");
        assert_eq!(env.state(), before, "{id}: envs moved despite the error");
    }
}

#[test]
fn a_panic_in_the_callers_chunk_waits_for_every_worker_before_unwinding() {
    // Chunk 0 runs on the calling thread. If it panics while a worker is still inside the job,
    // `run` must not unwind (which frees the closure and whatever it borrows) before that
    // worker has returned; afterwards the pool must still work.
    use fusegym::Executor;
    use std::sync::atomic::{AtomicBool, Ordering};
    let pool = Threads::new(2).unwrap();
    // Enough envs that any pool splits them.
    let len = 1 << 20;
    // Both live in this frame; the worker writes `written` long after the caller panicked.
    let (started, written) = (AtomicBool::new(false), AtomicBool::new(false));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.run(len, &|a, _| {
            if a == 0 {
                while !started.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                panic!("boom in the caller's chunk");
            }
            started.store(true, Ordering::Release);
            std::thread::sleep(std::time::Duration::from_millis(300));
            written.store(true, Ordering::Release);
        })
    }));
    assert!(r.is_err(), "the caller's panic was swallowed");
    assert!(written.load(Ordering::Acquire), "run unwound while a worker was still running the job");
    let hits: Vec<std::sync::atomic::AtomicU32> = (0..len).map(|_| Default::default()).collect();
    pool.run(len, &|a, b| hits[a..b].iter().for_each(|h| _ = h.fetch_add(1, Ordering::Relaxed)));
    assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1), "the pool is broken after the panic");
}

#[test]
fn steps_after_idle_pauses_longer_than_the_spin_are_complete() {
    // Between these steps the workers stop spinning and sleep on the condvar (the pause is
    // longer than their 2 ms spin), so every step has to wake them.
    use fusegym::Executor;
    use std::sync::atomic::{AtomicU32, Ordering};
    let pool = Threads::new(3).unwrap();
    let len = 1 << 16;
    let hits: Vec<AtomicU32> = (0..len).map(|_| AtomicU32::new(0)).collect();
    for round in 1..=20 {
        std::thread::sleep(std::time::Duration::from_millis(if round % 2 == 0 { 3 } else { 6 }));
        pool.run(len, &|a, b| hits[a..b].iter().for_each(|h| _ = h.fetch_add(1, Ordering::Relaxed)));
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == round), "round {round}");
    }
}

#[test]
fn small_batches_use_fewer_threads_and_the_smallest_run_on_the_caller_alone() {
    use fusegym::threads::MIN_ENVS_PER_THREAD as M;
    use fusegym::Executor;
    use std::sync::Mutex;
    let pool = Threads::new(4).unwrap();
    assert_eq!(pool.threads(), 4, "threads() is the pool's size");
    let used: Vec<usize> = [0, 1, 2 * M - 1, 2 * M, 3 * M - 1, 3 * M, 4 * M, 100 * M].iter().map(|&len| pool.threads_for(len)).collect();
    assert_eq!(used, [1, 1, 1, 2, 2, 3, 4, 4]);
    // Ranges and the thread each ran on, for one call.
    let calls = |len: usize| {
        let seen = Mutex::new(vec![]);
        pool.run(len, &|a, b| seen.lock().unwrap().push((a, b, std::thread::current().id())));
        let mut seen = seen.into_inner().unwrap();
        seen.sort_by_key(|c| c.0);
        seen
    };
    let me = std::thread::current().id();
    assert_eq!(calls(2 * M - 1), [(0, 2 * M - 1, me)]);
    let two = calls(2 * M);
    assert_eq!(two.len(), 2);
    assert_eq!((two[0].0, two[0].1, two[1].1), (0, M, 2 * M));
    assert_eq!(two[0].2, me, "chunk 0 runs on the caller");
    assert_ne!(two[1].2, me, "chunk 1 runs on a worker");
    // One thread per 64-env block at most, whatever the minimum.
    let eager = Threads::new(4).unwrap().with_min_envs_per_thread(1);
    let used: Vec<usize> = [1, 64, 65, 128, 129, 1000].iter().map(|&len| eager.threads_for(len)).collect();
    assert_eq!(used, [1, 1, 2, 2, 3, 4]);
}

#[test]
fn when_both_the_caller_and_a_worker_panic_the_callers_panic_is_resumed() {
    use fusegym::Executor;
    let pool = Threads::new(2).unwrap().with_min_envs_per_thread(1);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.run(1_000, &|a, _| {
            if a == 0 {
                std::panic::panic_any("the caller's");
            }
            panic!("the worker's");
        })
    }));
    let payload = r.expect_err("no panic reached the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"the caller's"));
    // The worker's flag was cleared with it: the next call does not panic.
    pool.run(1_000, &|_, _| {});
}

#[test]
fn several_threads_may_share_one_pool() {
    // `run` calls from different threads take turns; each sees its own job done exactly once.
    use fusegym::Executor;
    use std::sync::atomic::{AtomicU32, Ordering};
    let pool = Threads::new(3).unwrap().with_min_envs_per_thread(1);
    let len = 4_096;
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                let hits: Vec<AtomicU32> = (0..len).map(|_| AtomicU32::new(0)).collect();
                for round in 1..=200 {
                    pool.run(len, &|a, b| hits[a..b].iter().for_each(|h| _ = h.fetch_add(1, Ordering::Relaxed)));
                    assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == round));
                }
            });
        }
    });
}

#[test]
fn zero_threads_means_one_per_core_and_one_thread_runs_everything_inline() {
    use fusegym::Executor;
    assert_eq!(Threads::new(0).unwrap().threads(), fusegym::threads::available());
    let one = Threads::new(1).unwrap().with_min_envs_per_thread(1);
    assert_eq!(one.threads_for(1 << 20), 1);
    let me = std::thread::current().id();
    let calls = std::sync::Mutex::new(vec![]);
    one.run(1 << 20, &|a, b| calls.lock().unwrap().push((a, b, std::thread::current().id())));
    assert_eq!(calls.into_inner().unwrap(), [(0, 1 << 20, me)]);
}

#[test]
fn rollouts_use_every_thread_and_match_one_thread() {
    // A small batch steps on the caller alone (not worth a hand-off), but a rollout of many
    // steps is long enough to split; either way the result is the same bits.
    let n = 1_024;
    let pool = Threads::new(2).unwrap();
    assert_eq!(pool.threads_for(n), 1);
    let mut one = make("CartPole-v1", n, 3).unwrap();
    let mut many = make("CartPole-v1", n, 3).unwrap();
    let a = one.rollout(300, fusegym::Policy::Random, None).unwrap().reward_sum.to_vec();
    let b = many.rollout_with(300, fusegym::Policy::Random, None, &pool).unwrap().reward_sum.to_vec();
    assert_eq!(a, b);
    assert_eq!(one.state(), many.state());
}
