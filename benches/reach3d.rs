//! Reach3D-v1: `step` on every backend at 1,024 and 65,536 envs.
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    fusegym_benches::bench_env(c, "Reach3D-v1");
}

criterion_group!(benches, bench);
criterion_main!(benches);
