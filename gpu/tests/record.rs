//! A recorded device rollout against the CPU's recorded rollout (scalar path) from the same seed
//! with the Random policy: per step, identical terminated/truncated flags, and every observation
//! and reward within the GPU tolerance of docs/parity.md ("GPU") scaled by the step's largest
//! magnitude. Free-running (no teacher forcing), so the envs whose steps are bit-identical on
//! llvmpipe or nearly so; a chunked batch records the same trajectory as an unchunked one.

mod support;

use fusegym_core::{make_with, Autoreset, EnvConfig, Policy, SimdPath, Trajectory};
use fusegym_gpu::GpuVecEnv;
use support::*;

const N: usize = 1000;
const STEPS: usize = 120;

#[test]
fn recorded_rollouts_match_the_cpu_recording() {
    let Some(ctx) = support::context() else { return };
    for id in ["CartPole-v1", "Pendulum-v1", "MountainCarContinuous-v0"] {
        for mode in Autoreset::ALL {
            let what = format!("{id} {mode:?}");
            let config = EnvConfig { autoreset: mode, max_episode_steps: Some(50), ..EnvConfig::new(N, 9) };
            let mut cpu = make_with(id, &config).unwrap();
            cpu.set_simd_path(SimdPath::Scalar).unwrap();
            let (od, ad) = (cpu.obs_dim(), cpu.action_dim());
            let mut obs = vec![0.0; STEPS * od * N];
            let mut actions = vec![0.0; STEPS * ad * N];
            let mut rewards = vec![0.0; STEPS * N];
            let (mut term, mut trunc) = (vec![0u8; STEPS * N], vec![0u8; STEPS * N]);
            let record =
                Trajectory { obs: &mut obs, actions: &mut actions, rewards: &mut rewards, terminated: &mut term, truncated: &mut trunc };
            let c = cpu.rollout_with(STEPS, Policy::Random, Some(record), &fusegym_core::Serial).unwrap();
            let (c_episodes, c_lengths) = (c.episodes.to_vec(), c.length_sum.to_vec());

            let mut gpu = GpuVecEnv::new(&ctx, id, &config).unwrap();
            let (stats, g) = gpu.rollout_recorded(STEPS, Policy::Random).unwrap();
            assert_eq!(g.terminated, term, "{what}: terminated flags");
            assert_eq!(g.truncated, trunc, "{what}: truncated flags");
            assert_eq!(stats.episodes, c_episodes, "{what}: episodes");
            assert_eq!(stats.length_sum, c_lengths, "{what}: length sums");
            assert!(term.iter().chain(&trunc).any(|&f| f == 1), "{what}: the window must contain finished episodes");
            let (mut identical, mut worst) = (0usize, 0f64);
            for t in 0..STEPS {
                for i in 0..N {
                    let at = |k: usize| (t * od + k) * N + i;
                    let m = (0..od).fold(1f64.max(rewards[t * N + i].abs() as f64), |m, k| m.max(obs[at(k)].abs() as f64));
                    let mut pairs: Vec<(f32, f32)> = (0..od).map(|k| (g.obs[at(k)], obs[at(k)])).collect();
                    pairs.push((g.rewards[t * N + i], rewards[t * N + i]));
                    let mut same = true;
                    for (x, y) in pairs {
                        same &= x.to_bits() == y.to_bits();
                        let err = (x as f64 - y as f64).abs() / (EPS * m);
                        worst = worst.max(err);
                        assert!(err <= GPU_TOLERANCE, "{what}: step {t} env {i}: gpu {x} cpu {y} ({err:.1} eps*M)");
                    }
                    identical += same as usize;
                }
            }
            eprintln!("{what}: {identical}/{} env-steps bit-identical, worst {worst:.2} eps*M", STEPS * N);
        }
    }
}

#[test]
fn a_chunked_batch_records_the_same_trajectory() {
    let Some(whole) = support::context() else { return };
    let small = whole.with_limits(|l| l.max_storage_buffer_binding_size = 16 << 10).unwrap();
    let config = EnvConfig { autoreset: Autoreset::NextStep, max_episode_steps: Some(40), ..EnvConfig::new(N, 4) };
    let mut a = GpuVecEnv::new(&whole, "Acrobot-v1", &config).unwrap();
    let mut b = GpuVecEnv::new(&small, "Acrobot-v1", &config).unwrap();
    assert!(b.chunks().len() > 1);
    let (_, x) = a.rollout_recorded(90, Policy::Random).unwrap();
    let (_, y) = b.rollout_recorded(90, Policy::Random).unwrap();
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<u32>>();
    assert_eq!(bits(&x.obs), bits(&y.obs));
    assert_eq!(bits(&x.rewards), bits(&y.rewards));
    assert_eq!((x.terminated, x.truncated), (y.terminated, y.truncated));
}

#[test]
fn a_trajectory_past_the_buffer_limit_is_a_typed_error() {
    let Some(whole) = support::context() else { return };
    let small = whole.with_limits(|l| l.max_buffer_size = 1 << 20).unwrap();
    let mut env = GpuVecEnv::new(&small, "CartPole-v1", &EnvConfig::new(N, 4)).unwrap();
    // 1,000 steps x 6 rows x 1,000 envs x 4 bytes = 24 MB > 1 MiB.
    match env.rollout_recorded(1000, Policy::Random) {
        Err(fusegym_gpu::GpuError::TooLarge { limit_name: "max_buffer_size", .. }) => {}
        other => panic!("expected TooLarge, got {:?}", other.map(|_| ())),
    }
}
