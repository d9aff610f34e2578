//! Device rollouts against the CPU's `rollout` (scalar path) from the same seed: every env, the
//! Random, Constant and Linear (shared and per-env) policies, 600 steps (three flush windows and
//! a partial one). Episode counts and length sums must be equal; reward sums within the GPU
//! tolerance scaled by the sum of |reward| bounds (docs/parity.md, "GPU"), and the batch must
//! be left where the CPU's is (step counters, episodes; observations within tolerance).

mod support;

use fusegym_core::policy::linear_outputs;
use fusegym_core::{make_with, Autoreset, EnvConfig, Policy, SimdPath, ENVS};
use fusegym_gpu::GpuVecEnv;
use support::*;

const N: usize = 2048;
const STEPS: usize = 600;

fn weights(outputs: usize, obs_dim: usize, per_env: usize) -> (Vec<f32>, Vec<f32>) {
    let w = (0..outputs * obs_dim * per_env).map(|j| ((hash(j, 1, 2) >> 8) as f32 / 16_777_216.0 - 0.5) * 2.0).collect();
    let b = (0..outputs * per_env).map(|j| ((hash(j, 3, 4) >> 8) as f32 / 16_777_216.0 - 0.5) * 0.2).collect();
    (w, b)
}

#[test]
fn rollouts_match_the_cpu() {
    let Some(ctx) = support::context() else { return };
    for info in ENVS {
        let space = (info.action_space)();
        let obs_dim = info.obs_names.len();
        let outputs = linear_outputs(space);
        let (ws, bs) = weights(outputs, obs_dim, 1);
        let (wp, bp) = weights(outputs, obs_dim, N);
        let constant: Vec<f32> = match space {
            fusegym_core::ActionSpace::Discrete { n } => vec![(n - 1) as f32],
            fusegym_core::ActionSpace::Box { dim, high, .. } => high[..dim].to_vec(),
        };
        let policies: [(&str, Policy<'_>); 4] = [
            ("random", Policy::Random),
            ("constant", Policy::Constant(&constant)),
            ("linear shared", Policy::Linear { weights: &ws, bias: &bs }),
            ("linear per env", Policy::Linear { weights: &wp, bias: &bp }),
        ];
        for mode in [Autoreset::SameStep, Autoreset::NextStep] {
            for (name, policy) in policies {
                let config = EnvConfig { autoreset: mode, max_episode_steps: Some(150), ..EnvConfig::new(N, 5) };
                let what = format!("{} {mode:?} {name}", info.id);
                let mut cpu = make_with(info.id, &config).unwrap();
                cpu.set_simd_path(SimdPath::Scalar).unwrap();
                let mut gpu = GpuVecEnv::new(&ctx, info.id, &config).unwrap();
                let g = gpu.rollout(STEPS, policy).unwrap();
                let c = cpu.rollout(STEPS, policy, None).unwrap();
                assert_eq!(g.episodes, c.episodes, "{what}: episodes");
                assert_eq!(g.length_sum, c.length_sum, "{what}: length sums");
                let mut identical = 0;
                for i in 0..N {
                    // Each step's reward is within the tolerance of its own scale; the sum's error
                    // is at most the sum of those, plus f32 rounding of 256-step partial sums.
                    let scale = c.reward_sum[i].abs().max(STEPS as f64);
                    let err = (g.reward_sum[i] - c.reward_sum[i]).abs() / (EPS * scale);
                    assert!(err <= GPU_TOLERANCE, "{what}: env {i} reward sum gpu {} cpu {} ({err:.1})", g.reward_sum[i], c.reward_sum[i]);
                    identical += (g.reward_sum[i] == c.reward_sum[i]) as usize;
                }
                assert_eq!(gpu.episodes().unwrap(), cpu.episodes(), "{what}: episode counters");
                assert_eq!(gpu.elapsed().unwrap(), cpu.elapsed(), "{what}: step counters");
                let (go, co) = (gpu.view().obs.clone(), cpu.view().obs.to_vec());
                for (j, (x, y)) in go.iter().zip(&co).enumerate() {
                    let err = (x - y).abs() as f64 / (EPS * 1f64.max(y.abs() as f64));
                    assert!(err <= 1e3 * GPU_TOLERANCE, "{what}: obs {j}: gpu {x} cpu {y}");
                }
                assert_eq!(gpu.view().terminated, cpu.view().terminated.to_vec(), "{what}: last step terminated");
                eprintln!("{what}: reward sums bit-identical in {identical}/{N} envs");
            }
        }
    }
}
