//! `--backend gpu` for `validate`, `run` and `bench`, and the adapter list of `fusegym info`.
//! With no adapter every command fails with exit 2 and a message saying how to get one; nothing
//! falls back to the CPU.

use super::config::describe_params;
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

/// `run --backend gpu`: steps one at a time on the device (a one-step rollout with the policy)
/// and prints each finished episode's return and length.
pub fn run(id: &str, cfg: &EnvConfig, policy: Policy<'_>, steps: Option<usize>, episodes: Option<usize>) -> Result<ExitCode, String> {
    let ctx = context()?;
    let mut env = GpuVecEnv::new(&ctx, id, cfg).map_err(|e| e.to_string())?;
    env.rollout(0, policy).map_err(|e| e.to_string())?;
    println!(
        "{id} x {} on the GPU ({}), autoreset {}, params {} (seed {})",
        cfg.num_envs,
        describe(&ctx.info),
        cfg.autoreset.name(),
        describe_params(cfg),
        cfg.seed
    );
    let n = cfg.num_envs;
    let (mut ret, mut len, mut frozen) = (vec![0f64; n], vec![0usize; n], vec![false; n]);
    let (mut done, mut returns, mut lengths, mut t) = (0usize, 0f64, 0f64, 0usize);
    loop {
        if steps.is_some_and(|s| t >= s) || episodes.is_some_and(|k| done >= k) {
            break;
        }
        if episodes.is_some() && cfg.autoreset == Autoreset::Disabled && frozen.iter().all(|&f| f) {
            println!("every env has finished (autoreset disabled)");
            break;
        }
        env.rollout(1, policy).map_err(|e| e.to_string())?;
        let elapsed = env.elapsed().map_err(|e| e.to_string())?;
        let v = env.view();
        for i in 0..n {
            if frozen[i] {
                continue;
            }
            ret[i] += v.reward[i] as f64;
            let (term, trunc) = (v.terminated[i], v.truncated[i]);
            // Next-step mode: the reset step is not one of the episode's steps.
            let reset_step = cfg.autoreset == Autoreset::NextStep && elapsed[i] == 0 && !term && !trunc;
            if !reset_step {
                len[i] += 1;
            }
            if term || trunc {
                let how = if term { "terminated" } else { "truncated" };
                println!("env {i:>5} episode {done:>4}: return {:>10.3}  length {:>6}  {how}", ret[i], len[i]);
                done += 1;
                returns += ret[i];
                lengths += len[i] as f64;
                ret[i] = 0.0;
                len[i] = 0;
                frozen[i] = cfg.autoreset == Autoreset::Disabled;
            }
        }
        t += 1;
    }
    if done > 0 {
        println!("mean over {done} episodes: return {:.3}, length {:.1} ({t} steps)", returns / done as f64, lengths / done as f64);
    } else {
        println!("no episode finished in {t} steps");
    }
    Ok(ExitCode::SUCCESS)
}

/// What `bench --backend gpu` measures.
pub struct GpuBench {
    /// Env ids and their configurations.
    pub configs: Vec<(String, EnvConfig)>,
    /// Time `step` (device-resident actions) and/or `rollout` (Random policy).
    pub step: bool,
    /// See `step`.
    pub rollout: bool,
    /// Steps per timed repeat (default: calibrated to `seconds`).
    pub steps: Option<usize>,
    /// Target seconds per repeat.
    pub seconds: f64,
    /// Timed repeats.
    pub repeats: usize,
}

/// `bench --backend gpu`: wall-clock steps/s of `step` with actions resident on the GPU (no
/// host transfer per step) and of device `rollout`s, each run validated first against the
/// scalar CPU on a short batch (tests/parity in gpu/ does the full comparison). Times are
/// wall clock around a submission and a wait for the device.
pub fn bench(b: &GpuBench) -> Result<ExitCode, String> {
    let ctx = context()?;
    println!("GPU: {}  (timestamps {})", describe(&ctx.info), if ctx.timestamps { "offered" } else { "not offered" });
    println!(
        "{:<26} {:<8} {:<10} {:>10} {:>7} {:>12} {:>12} {:>12}  clock",
        "env", "mode", "autoreset", "envs", "steps", "median M/s", "min M/s", "max M/s"
    );
    let mut failed = false;
    for (id, cfg) in &b.configs {
        for (mode, on) in [("step", b.step), ("rollout", b.rollout)] {
            if !on {
                continue;
            }
            if let Err(e) = validate_short(&ctx, id, cfg) {
                println!("{id:<26} {mode:<8} FAILED VALIDATION: {e}");
                failed = true;
                continue;
            }
            let mut env = GpuVecEnv::new(&ctx, id, cfg).map_err(|e| e.to_string())?;
            // Actions on the device: the first random actions stay in the input buffer.
            let mut run = |count: usize| -> Result<(), String> {
                if mode == "step" {
                    env.step_device_many(count);
                } else {
                    env.submit_rollout(count, Policy::Random).map_err(|e| e.to_string())?;
                }
                env.context().wait().map_err(|e| e.to_string())
            };
            let warm = Instant::now();
            let mut warm_steps = 0usize;
            while warm.elapsed().as_secs_f64() < b.seconds.min(0.2) || warm_steps < 4 {
                run(4)?;
                warm_steps += 4;
            }
            let per = warm.elapsed().as_secs_f64() / warm_steps as f64;
            let steps = b.steps.unwrap_or(((b.seconds / per).ceil() as usize).max(4));
            let mut sps = vec![];
            for _ in 0..b.repeats {
                let t0 = Instant::now();
                run(steps)?;
                sps.push((cfg.num_envs * steps) as f64 / t0.elapsed().as_secs_f64() / 1e6);
            }
            sps.sort_by(|x, y| x.total_cmp(y));
            println!(
                "{id:<26} {mode:<8} {:<10} {:>10} {:>7} {:>12.1} {:>12.1} {:>12.1}  wall",
                cfg.autoreset.name(),
                cfg.num_envs,
                steps,
                sps[sps.len() / 2],
                sps[0],
                sps[sps.len() - 1]
            );
        }
    }
    println!();
    println!("M/s = millions of env-steps per second, wall clock around submit + wait (GPU time alone is not reported).");
    println!("step = one dispatch per step with actions already on the GPU; rollout = Random policy inside the shader.");
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// 256 envs, 64 random steps on the device and on the scalar CPU: equal episode counts and
/// step counters, reward sums within 1e-3 relative.
fn validate_short(ctx: &GpuContext, id: &str, cfg: &EnvConfig) -> Result<(), String> {
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
