//! The one benchmark body every env file calls: `step` with host-supplied actions, on scalar,
//! SIMD (one thread) and SIMD on all threads, at 1,024 and 65,536 envs. Throughput is reported
//! in env-steps per second (criterion's "elements").

use criterion::{BenchmarkId, Criterion, Throughput};
use fusegym::{make, ActionSpace, Actions, Executor, Serial, SimdPath, Threads};

/// Benchmarks env `id`.
pub fn bench_env(c: &mut Criterion, id: &str) {
    let pool = Threads::new(0).expect("thread pool");
    let mut group = c.benchmark_group(id);
    for n in [1_024usize, 65_536] {
        group.throughput(Throughput::Elements(n as u64));
        let backends: [(&str, SimdPath, &dyn Executor); 3] =
            [("scalar", SimdPath::Scalar, &Serial), ("simd", SimdPath::best(), &Serial), ("threads", SimdPath::best(), &pool)];
        for (name, path, exec) in backends {
            let mut env = make(id, n, 0).expect("env");
            env.set_simd_path(path).expect("path");
            let (disc, cont) = actions(env.action_space(), n);
            group.bench_function(BenchmarkId::new(format!("{name}-{}", path.name()), n), |b| {
                b.iter(|| {
                    let acts = if disc.is_empty() { Actions::Continuous(&cont) } else { Actions::Discrete(&disc) };
                    env.step_with(acts, exec).expect("step").reward[0]
                })
            });
        }
    }
    group.finish();
}

/// A fixed batch of in-range actions (alternating, so both branches of the dynamics run).
fn actions(space: ActionSpace, n: usize) -> (Vec<u32>, Vec<f32>) {
    match space {
        ActionSpace::Discrete { n: k } => ((0..n as u32).map(|i| (i * 7 + i / 3) % k).collect(), vec![]),
        ActionSpace::Box { dim, low, high } => {
            (vec![], (0..dim * n).map(|j| low[j / n] + (high[j / n] - low[j / n]) * ((j * 37 % 101) as f32 / 100.0)).collect())
        }
    }
}
