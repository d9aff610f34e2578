//! `--backend gpu` for `validate`, `run` and `bench`, and the adapter list of `fusegym info`.
//! With no adapter every command fails with exit 2 and a message saying how to get one; nothing
//! falls back to the CPU.

use super::config::describe_params;
use super::episodes::{Episodes, Recorder};
use fusegym::{Autoreset, EnvConfig, Policy};
use fusegym_gpu::{describe, GpuContext, GpuVecEnv};
use std::process::ExitCode;
use std::time::Instant;

/// The device, or the no-adapter message (the caller exits 2).
pub fn context() -> Result<GpuContext, String> {
    GpuContext::new().map_err(|e| e.to_string())
}

/// One line per adapter wgpu sees, for `fusegym info`.
pub fn adapter_lines() -> Vec<String> {
    fusegym_gpu::adapters().iter().map(describe).collect()
}

/// `run --backend gpu`: steps one at a time on the device (a one-step rollout with the policy),
/// reads each step back, prints each finished episode's return and length and, with `record`,
/// writes the step as a JSON line (the CPU's schema).
pub fn run(
    id: &str,
    cfg: &EnvConfig,
    policy: Policy<'_>,
    steps: Option<usize>,
    episodes: Option<usize>,
    record: Option<&str>,
) -> Result<ExitCode, String> {
    let ctx = context()?;
    let mut env = GpuVecEnv::new(&ctx, id, cfg).map_err(|e| e.to_string())?;
    env.rollout(0, policy).map_err(|e| e.to_string())?;
    let mut out = record.map(Recorder::create).transpose()?;
    println!(
        "{id} x {} on the GPU ({}), autoreset {}, params {} (seed {})",
        cfg.num_envs,
        describe(&ctx.info),
        cfg.autoreset.name(),
        describe_params(cfg),
        cfg.seed
    );
    let mut episodes_so_far = Episodes::new(cfg.num_envs, cfg.autoreset);
    let mut t = 0usize;
    loop {
        if steps.is_some_and(|s| t >= s) || episodes.is_some_and(|k| episodes_so_far.done >= k) {
            break;
        }
        if episodes.is_some() && episodes_so_far.all_finished() {
            println!("every env has finished (autoreset disabled)");
            break;
        }
        env.rollout(1, policy).map_err(|e| e.to_string())?;
        let elapsed = env.elapsed().map_err(|e| e.to_string())?;
        let v = env.view();
        if let Some(r) = out.as_mut() {
            let finals = (cfg.autoreset == Autoreset::SameStep)
                .then(|| (0..cfg.num_envs).filter_map(|i| v.final_obs_of(i).map(|o| (i, o))).collect());
            r.write(t, &v.obs, &v.reward, &v.terminated, &v.truncated, finals)?;
        }
        episodes_so_far.add(&v.reward, &v.terminated, &v.truncated, &elapsed);
        t += 1;
    }
    if let Some(r) = out {
        r.finish()?;
    }
    println!("{}", episodes_so_far.summary(t));
    Ok(ExitCode::SUCCESS)
}

/// How a benchmark names the adapter: its name, backend and type, or "software adapter (...)"
/// when the adapter is a CPU implementation (llvmpipe, SwiftShader), whose figures say nothing
/// about a GPU.
pub fn adapter_label(info: &fusegym_gpu::wgpu::AdapterInfo) -> String {
    if info.device_type == fusegym_gpu::wgpu::DeviceType::Cpu {
        format!("software adapter ({}, {:?})", info.name, info.backend)
    } else {
        format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
    }
}

/// One GPU benchmark row's figures: env-steps/s of each timed repeat.
pub struct GpuFigures {
    /// Steps per repeat.
    pub steps: usize,
    /// Wall clock around the submission and the wait for the device.
    pub wall: Vec<f64>,
    /// GPU time between the first dispatch's start and the last one's end (timestamp queries),
    /// where the adapter offers them.
    pub device: Option<Vec<f64>>,
}

/// Times `step` (one dispatch per step, actions resident on the GPU: the first random actions
/// stay in the input buffer) or `rollout` (Random policy in the shader) of `cfg` on `ctx`:
/// warm-up calibrating the steps per repeat to about `seconds` (unless `steps`), then `repeats`
/// timed repeats.
pub fn measure(
    ctx: &GpuContext,
    id: &str,
    cfg: &EnvConfig,
    rollout: bool,
    steps: Option<usize>,
    seconds: f64,
    repeats: usize,
) -> Result<GpuFigures, String> {
    let mut env = GpuVecEnv::new(ctx, id, cfg).map_err(|e| e.to_string())?;
    let timed = env.enable_device_timing();
    let mut run = |count: usize| -> Result<Option<f64>, String> {
        if rollout {
            env.submit_rollout(count, Policy::Random).map_err(|e| e.to_string())?;
        } else {
            env.step_device_many(count);
        }
        env.context().wait().map_err(|e| e.to_string())?;
        if timed {
            env.last_device_time().map_err(|e| e.to_string())
        } else {
            Ok(None)
        }
    };
    let warm = Instant::now();
    let mut warm_steps = 0usize;
    while warm.elapsed().as_secs_f64() < seconds.min(0.2) || warm_steps < 4 {
        run(4)?;
        warm_steps += 4;
    }
    let per = warm.elapsed().as_secs_f64() / warm_steps as f64;
    let steps = steps.unwrap_or(((seconds / per).ceil() as usize).max(4));
    let (mut wall, mut device) = (vec![], timed.then(Vec::new));
    for _ in 0..repeats {
        let t0 = Instant::now();
        let gpu = run(steps)?;
        let env_steps = (cfg.num_envs * steps) as f64;
        wall.push(env_steps / t0.elapsed().as_secs_f64());
        if let (Some(d), Some(t)) = (device.as_mut(), gpu) {
            d.push(env_steps / t);
        }
    }
    // A device that reported no time for a repeat has no device figure at all.
    let device = device.filter(|d| d.len() == repeats);
    Ok(GpuFigures { steps, wall, device })
}

/// 256 envs, 64 random steps on the device and on the scalar CPU: equal episode counts and
/// step counters, reward sums within 1e-3 relative.
pub fn validate_short(ctx: &GpuContext, id: &str, cfg: &EnvConfig) -> Result<(), String> {
    let small = EnvConfig { num_envs: 256, ..cfg.clone() };
    let mut gpu = GpuVecEnv::new(ctx, id, &small).map_err(|e| e.to_string())?;
    let mut cpu = fusegym::make_with(id, &small).map_err(|e| e.to_string())?;
    cpu.set_simd_path(fusegym::SimdPath::Scalar).map_err(|e| e.to_string())?;
    let g = gpu.rollout(64, Policy::Random).map_err(|e| e.to_string())?;
    let c = cpu.rollout(64, Policy::Random, None).map_err(|e| e.to_string())?;
    let (episodes, reward_sum) = (c.episodes.to_vec(), c.reward_sum.to_vec());
    if g.episodes != episodes || gpu.elapsed().map_err(|e| e.to_string())? != cpu.elapsed() {
        return Err("episode or step counts differ from the scalar CPU".into());
    }
    for (x, y) in g.reward_sum.iter().zip(reward_sum) {
        if (x - y).abs() > 1e-3 * y.abs().max(1.0) {
            return Err(format!("reward sum {x} vs CPU {y}"));
        }
    }
    Ok(())
}

/// `fusegym info`'s GPU lines: every adapter wgpu sees, or how to get one.
pub fn print_adapters() {
    let lines = adapter_lines();
    if lines.is_empty() {
        println!("GPU adapters: none found (for a software adapter install mesa-vulkan-drivers libvulkan1)");
    }
    for (k, l) in lines.iter().enumerate() {
        println!("GPU adapter {k}: {l}");
    }
}
