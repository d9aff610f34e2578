//! `--backend gpu` for `validate`, `run` and `bench`, and the adapter list of `fusegym info`.
//! With no adapter every command fails with exit 2 and a message saying how to get one; nothing
//! falls back to the CPU.

use super::episodes::{Episodes, RecordOpts, Recorder, EPISODE_BYTES_PER_ENV};
use super::memory;
use fusegym::{Autoreset, EnvConfig, Policy};
use fusegym_gpu::{describe, GpuContext, GpuVecEnv};
use std::process::ExitCode;
use std::time::Instant;

/// The device, or the no-adapter message (the caller exits 2).
pub fn context() -> Result<GpuContext, String> {
    ensure_runtime_dir();
    GpuContext::new().map_err(|e| e.to_string())
}

/// One line per adapter wgpu sees, for `fusegym info`.
pub fn adapter_lines() -> Vec<String> {
    ensure_runtime_dir();
    fusegym_gpu::adapters().iter().map(describe).collect()
}

/// Whether `dir` is a usable `XDG_RUNTIME_DIR`: an absolute path to a directory owned by this
/// user with mode 0700 (what the XDG base directory specification asks for).
#[cfg(unix)]
fn valid_runtime_dir(dir: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    dir.is_absolute() && std::fs::metadata(dir).is_ok_and(|m| m.is_dir() && m.uid() == uid && m.mode() & 0o777 == 0o700)
}

/// Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid or not set in the environment" (to
/// stderr, from the window-system code they load with the instance) when the variable is unset
/// or names no private directory, as on a server or in a container. fusegym draws no window, so
/// where the variable is unset or invalid it points it at a private directory of its own
/// (`$TMPDIR/fusegym-runtime-UID`, mode 0700, made once and reused) before the first wgpu
/// instance; a valid one is left as it is.
fn ensure_runtime_dir() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            if std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| valid_runtime_dir(std::path::Path::new(&d))) {
                return;
            }
            use std::os::unix::fs::DirBuilderExt;
            // SAFETY: getuid has no preconditions.
            let uid = unsafe { libc::getuid() };
            let dir = std::env::temp_dir().join(format!("fusegym-runtime-{uid}"));
            // An existing directory is reused only when it is ours and private.
            let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
            if valid_runtime_dir(&dir) {
                // Called on the main thread before any wgpu (or other) thread reads the
                // environment: `context` and `adapter_lines` run before a command starts threads.
                std::env::set_var("XDG_RUNTIME_DIR", &dir);
            }
        });
    }
}

/// `run --backend gpu`: steps one at a time on the device (a one-step rollout with the policy),
/// reads each step back, prints each finished episode's return and length and, with `record`,
/// writes the step as a JSON line (the CPU's schema).
pub fn run(
    id: &str,
    cfg: &EnvConfig,
    policy_text: &str,
    policy: Policy<'_>,
    steps: Option<usize>,
    episodes: Option<usize>,
    record: Option<&RecordOpts>,
) -> Result<ExitCode, String> {
    let ctx = context()?;
    memory::check(id, cfg.num_envs, run_bytes(id, cfg, ctx.info.device_type == fusegym_gpu::wgpu::DeviceType::Cpu)?)?;
    let mut env = GpuVecEnv::new(&ctx, id, cfg).map_err(|e| e.to_string())?;
    env.rollout(0, policy).map_err(|e| e.to_string())?;
    let mut episodes_so_far = Episodes::new(cfg.num_envs, cfg.autoreset)?;
    // The outputs read back by the reset give the size of a recorded step.
    let v = env.view();
    let mut out = record.map(|r| Recorder::create(r, (&v.obs, &v.reward, &v.terminated, &v.truncated), steps)).transpose()?;
    println!("{}", super::run::header(id, cfg, policy_text, &format!("the GPU ({})", describe(&ctx.info))));
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

/// Host memory `run --backend gpu` needs, roughly (generous: a 100-million-env CartPole batch
/// on llvmpipe was seen above 23 GiB): each step's readback (the host's copy and the words it
/// is gathered from), the step counters read back with it, the episode counters, and on a
/// software adapter (`software`: llvmpipe, whose device memory is host memory) the device
/// buffers too (state, both observation rows, counters, reward, flags, per-env parameters,
/// input, statistics, two readback slots).
fn run_bytes(id: &str, cfg: &EnvConfig, software: bool) -> Result<u128, String> {
    let e = fusegym::info(id).map_err(|e| e.to_string())?;
    let (s, o, a) = (e.state_names.len() as u128, e.obs_names.len() as u128, e.action_names.len().max(1) as u128);
    let columns = cfg.params.iter().filter(|(_, v)| !matches!(v, fusegym::ParamValue::Shared(_))).count() as u128;
    let slot = 4 * (2 * o + 2);
    let host = slot * 2 + (4 * (2 * o + 1) + 3) + 28 + EPISODE_BYTES_PER_ENV;
    let device = 4 * (s + 2 * o + 2 + 1 + 1 + columns + a + fusegym_gpu::layout::STAT_ROWS as u128) + 2 * slot;
    Ok((host + if software { device } else { 0 }) * cfg.num_envs as u128)
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
