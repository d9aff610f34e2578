//! GPU vs the scalar CPU path, from the same seed and actions: every env, every autoreset mode,
//! shared and per-env parameters (explicit columns, ranges drawn once, ranges redrawn at every
//! reset), 4,096 envs, 150 steps with a time limit of 60 so truncation happens in the window.
//!
//! Per step: terminated and truncated must be identical, and every observation component,
//! final observation and reward within `GPU_TOLERANCE * EPS * M` of the CPU's, with `M` the
//! largest magnitude (at least 1) among the env's CPU state before and after the step, its
//! observation and reward (docs/parity.md, "GPU"). Where a step is not bit-identical, the GPU's
//! state is set to the CPU's before the next step (teacher forcing), so a chaotic env's
//! rounding differences do not compound; the fraction of bit-identical env-steps is printed.

mod support;

use fusegym_core::{make_with, Autoreset, EnvConfig, EnvInfo, ParamValue, SimdPath, ENVS};
use fusegym_gpu::{GpuContext, GpuVecEnv};
use support::*;

const N: usize = 4096;
const STEPS: usize = 150;
const TIME_LIMIT: u32 = 60;

/// Per-env parameters for `info`: field 0 one value per env (within ±10% of its default),
/// field 1 drawn from ±10% of its default.
fn per_env(info: &EnvInfo) -> Vec<(String, ParamValue)> {
    let d0 = info.params[0].default;
    let d1 = info.params[1].default;
    let column: Vec<f32> = (0..N).map(|i| d0 * (0.9 + 0.2 * (hash(i, 999, 7) >> 8) as f32 / 16_777_216.0)).collect();
    let (lo, hi) = if d1 < 0.0 { (1.1 * d1, 0.9 * d1) } else { (0.9 * d1, 1.1 * d1) };
    vec![
        (info.params[0].name.to_string(), ParamValue::PerEnv(column)),
        (info.params[1].name.to_string(), ParamValue::Range { low: lo, high: hi }),
    ]
}

struct Tally {
    steps: usize,
    identical: usize,
    worst: f64,
}

fn compare(ctx: &GpuContext, info: &EnvInfo, config: &EnvConfig, tally: &mut Tally) {
    let mut cpu = make_with(info.id, config).unwrap();
    cpu.set_simd_path(SimdPath::Scalar).unwrap();
    let mut gpu = GpuVecEnv::new(ctx, info.id, config).unwrap();
    let what = format!("{} {:?} params={}", info.id, config.autoreset, config.params.len());
    assert_eq!(gpu.view().obs, cpu.view().obs, "{what}: first observations differ");
    for i in [0, N / 2, N - 1] {
        let c = cpu.env_params(i).unwrap();
        assert_eq!(gpu.env_params(i).unwrap(), c, "{what}: parameters of env {i}");
    }
    let (n, od) = (N, cpu.obs_dim());
    for t in 0..STEPS {
        let actions = HostActions::at(cpu.action_space(), n, t);
        let before = cpu.state().to_vec();
        let c = cpu.step(actions.as_actions()).unwrap();
        let (c_obs, c_rew, c_term, c_trunc) = (c.obs.to_vec(), c.reward.to_vec(), c.terminated.to_vec(), c.truncated.to_vec());
        let c_final = if config.autoreset == Autoreset::SameStep { Some(cpu.final_obs_dense().unwrap().to_vec()) } else { None };
        let after = cpu.state().to_vec();
        let g = gpu.step(actions.as_actions()).unwrap().clone();
        let mut all_identical = true;
        for i in 0..n {
            assert_eq!(g.terminated[i], c_term[i], "{what}: step {t} env {i} terminated");
            assert_eq!(g.truncated[i], c_trunc[i], "{what}: step {t} env {i} truncated");
            let sd = cpu.state_dim();
            let mut m = 1f64.max(c_rew[i].abs() as f64);
            for k in 0..sd {
                m = m.max(before[k * n + i].abs() as f64).max(after[k * n + i].abs() as f64);
            }
            for k in 0..od {
                m = m.max(c_obs[k * n + i].abs() as f64);
            }
            let mut pairs: Vec<(f32, f32)> = (0..od).map(|k| (g.obs[k * n + i], c_obs[k * n + i])).collect();
            pairs.push((g.reward[i], c_rew[i]));
            if let Some(f) = &c_final {
                let done = c_term[i] || c_trunc[i];
                assert_eq!(g.has_final[i], done, "{what}: step {t} env {i} final observation present");
                if done {
                    pairs.extend((0..od).map(|k| (g.final_obs[k * n + i], f[k * n + i])));
                }
            }
            let mut identical = true;
            for (x, y) in pairs {
                identical &= x.to_bits() == y.to_bits();
                let err = (x as f64 - y as f64).abs() / (EPS * m);
                tally.worst = tally.worst.max(err);
                assert!(err <= GPU_TOLERANCE, "{what}: step {t} env {i}: gpu {x} cpu {y} ({err:.1} eps*M, M = {m})");
            }
            tally.steps += 1;
            tally.identical += identical as usize;
            all_identical &= identical;
        }
        if !all_identical {
            // Teacher forcing: continue from the CPU's state.
            let sd = cpu.state_dim();
            let state = cpu.state().to_vec();
            gpu.queue().write_buffer(&gpu.buffers().state, 0, bytemuck::cast_slice(&state[..sd * n]));
        }
    }
    assert_eq!(gpu.episodes().unwrap(), cpu.episodes(), "{what}: episode counters after {STEPS} steps");
    assert_eq!(gpu.elapsed().unwrap(), cpu.elapsed(), "{what}: step counters after {STEPS} steps");
}

fn run_env(id: &str) {
    let Some(ctx) = support::context() else { return };
    let info = ENVS.iter().find(|e| e.id == id).unwrap();
    let mut tally = Tally { steps: 0, identical: 0, worst: 0.0 };
    for mode in Autoreset::ALL {
        let mut config = EnvConfig { autoreset: mode, max_episode_steps: Some(TIME_LIMIT), ..EnvConfig::new(N, 11) };
        compare(&ctx, info, &config, &mut tally);
        config.params = per_env(info);
        compare(&ctx, info, &config, &mut tally);
        config.redraw_each_episode = true;
        compare(&ctx, info, &config, &mut tally);
    }
    eprintln!(
        "{id}: {} env-steps, {:.4} bit-identical, worst {:.2} eps*M (tolerance {GPU_TOLERANCE})",
        tally.steps,
        tally.identical as f64 / tally.steps as f64,
        tally.worst
    );
}

#[test]
fn cartpole() {
    run_env("CartPole-v1");
}
#[test]
fn mountain_car() {
    run_env("MountainCar-v0");
}
#[test]
fn mountain_car_continuous() {
    run_env("MountainCarContinuous-v0");
}
#[test]
fn pendulum() {
    run_env("Pendulum-v1");
}
#[test]
fn acrobot() {
    run_env("Acrobot-v1");
}
#[test]
fn reach3d() {
    run_env("Reach3D-v1");
}
