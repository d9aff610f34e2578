//! `fusegym soak`: a long run (default 10^10 steps per env) on all threads with the random
//! policy inside the fused rollout, checking every recorded observation and reward for NaN and
//! inf, counting steps and episodes in counters that cannot overflow, and printing steps/s per
//! time window so a drift shows.
//!
//! Method: `rollout_with(--chunk, Policy::Random, trajectory, threads)` repeatedly; after each
//! call the recorded observations (the one each action was chosen from, resets included) and
//! rewards of the chunk are scanned on the same threads. The rate therefore includes recording
//! the trajectory and scanning it: it is a soak figure, not a benchmark (`fusegym bench` is).

use fusegym::{make_with, EnvConfig, Executor, Policy, Threads, Trajectory};
use serde::Serialize;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct SoakArgs {
    /// Environment id (repeatable; default: CartPole-v1 and Acrobot-v1).
    #[arg(long = "env")]
    envs: Vec<String>,
    /// Steps per env id, in total over the batch (e.g. 1e10); rounded up to whole chunks.
    #[arg(long, default_value = "1e10")]
    steps: String,
    /// Envs per batch.
    #[arg(long = "envs", default_value_t = 65_536)]
    num_envs: usize,
    /// Steps per rollout call (the trajectory buffer holds one chunk).
    #[arg(long, default_value_t = 16)]
    chunk: usize,
    /// Seconds per steps/s window.
    #[arg(long, default_value_t = 10.0)]
    window: f64,
    /// Threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object per env at the end instead of the summary lines.
    #[arg(long)]
    json: bool,
}

/// The result of soaking one env.
#[derive(Serialize)]
struct Soak {
    env: String,
    num_envs: usize,
    threads: usize,
    steps: u64,
    seconds: f64,
    episodes: u64,
    /// Non-finite recorded observation components and rewards (must be 0).
    non_finite_obs: u64,
    non_finite_rewards: u64,
    /// Largest per-env episode counter at the end (core keeps it in a `u32`).
    max_env_episode: u32,
    /// M steps/s of every full window, in order.
    windows_m_steps_per_s: Vec<f64>,
    /// Mean of the last third of the windows over the mean of the first third, minus 1.
    drift: f64,
}

/// `1e10` or `10000000000`: a whole number of steps in `1..=2^63`.
fn parse_steps(s: &str) -> Result<u64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("--steps {s:?}: not a number"))?;
    if !(v >= 1.0 && v <= 2f64.powi(63)) || v.fract() != 0.0 {
        return Err(format!("--steps {s:?}: must be a whole number of steps in [1, 2^63]"));
    }
    Ok(v as u64)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn soak(id: &str, a: &SoakArgs, total: u64, pool: &Threads) -> Result<Soak, String> {
    let n = a.num_envs;
    let mut env = make_with(id, &EnvConfig::new(n, a.seed)).map_err(|e| e.to_string())?;
    let (od, ad) = (env.obs_dim(), env.action_dim());
    let k = a.chunk;
    let len = |components: usize| -> Result<usize, String> {
        k.checked_mul(components)
            .and_then(|x| x.checked_mul(n))
            .filter(|&x| x <= 1 << 32)
            .ok_or_else(|| format!("--chunk {k} x {components} x --envs {n}: trajectory buffer too large (at most 2^32 values)"))
    };
    let (mut obs, mut actions, mut rewards) = (vec![0f32; len(od)?], vec![0f32; len(ad)?], vec![0f32; len(1)?]);
    let (mut terminated, mut truncated) = (vec![0u8; len(1)?], vec![0u8; len(1)?]);
    let per_call = (k as u64).checked_mul(n as u64).ok_or("--chunk x --envs overflows")?;
    let calls = total.div_ceil(per_call);
    let (bad_obs, bad_rewards) = (AtomicU64::new(0), AtomicU64::new(0));
    let (mut steps, mut episodes) = (0u64, 0u64);
    let start = Instant::now();
    let (mut window_start, mut window_steps) = (start, 0u64);
    let mut windows = vec![];
    for _ in 0..calls {
        let record = Trajectory {
            obs: &mut obs,
            actions: &mut actions,
            rewards: &mut rewards,
            terminated: &mut terminated,
            truncated: &mut truncated,
        };
        let stats = env.rollout_with(k, Policy::Random, Some(record), pool).map_err(|e| e.to_string())?;
        episodes = stats.episodes.iter().fold(episodes, |s, &e| s.checked_add(e).expect("u64 episode total"));
        // Scan the chunk on every thread: each takes a range of envs over all k steps.
        let (o, r) = (&obs, &rewards);
        pool.run(n, &|s, e| {
            let mut bo = 0u64;
            let mut br = 0u64;
            for t in 0..k {
                for c in 0..od {
                    let row = &o[(t * od + c) * n..][s..e];
                    bo += row.iter().filter(|v| !v.is_finite()).count() as u64;
                }
                br += r[t * n..][s..e].iter().filter(|v| !v.is_finite()).count() as u64;
            }
            if bo > 0 {
                bad_obs.fetch_add(bo, Ordering::Relaxed);
            }
            if br > 0 {
                bad_rewards.fetch_add(br, Ordering::Relaxed);
            }
        });
        steps = steps.checked_add(per_call).expect("u64 step total");
        window_steps += per_call;
        let elapsed = window_start.elapsed().as_secs_f64();
        if elapsed >= a.window {
            let rate = window_steps as f64 / elapsed / 1e6;
            windows.push(rate);
            if !a.json {
                eprintln!(
                    "  {id}: window {:>3} at {:>6.0} s: {rate:>8.1} M steps/s  ({:.3e} steps, {} non-finite)",
                    windows.len(),
                    start.elapsed().as_secs_f64(),
                    steps as f64,
                    bad_obs.load(Ordering::Relaxed) + bad_rewards.load(Ordering::Relaxed)
                );
            }
            window_start = Instant::now();
            window_steps = 0;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let third = windows.len() / 3;
    let drift = if third > 0 { mean(&windows[windows.len() - third..]) / mean(&windows[..third]) - 1.0 } else { 0.0 };
    Ok(Soak {
        env: id.to_string(),
        num_envs: n,
        threads: pool.threads(),
        steps,
        seconds,
        episodes,
        non_finite_obs: bad_obs.into_inner(),
        non_finite_rewards: bad_rewards.into_inner(),
        max_env_episode: env.episodes().iter().copied().max().unwrap_or(0),
        windows_m_steps_per_s: windows,
        drift,
    })
}

pub fn run(a: SoakArgs) -> Result<ExitCode, String> {
    let total = parse_steps(&a.steps)?;
    if a.num_envs == 0 || a.num_envs > u32::MAX as usize {
        return Err(format!("--envs {}: must be in 1..=4294967295", a.num_envs));
    }
    if a.chunk == 0 {
        return Err("--chunk must be at least 1".into());
    }
    if !(a.window.is_finite() && a.window > 0.0) {
        return Err(format!("--window {}: must be a positive number of seconds", a.window));
    }
    let ids = if a.envs.is_empty() { vec!["CartPole-v1".to_string(), "Acrobot-v1".to_string()] } else { a.envs.clone() };
    for id in &ids {
        fusegym::info(id).map_err(|e| e.to_string())?;
    }
    let pool = Threads::new(a.threads.unwrap_or(0)).map_err(|e| e.to_string())?;
    let mut failed = false;
    for id in &ids {
        if !a.json {
            eprintln!("soak {id}: {total:.3e} steps, {} envs, {} threads, chunks of {}", a.num_envs, pool.threads(), a.chunk);
        }
        let s = soak(id, &a, total, &pool)?;
        failed |= s.non_finite_obs > 0 || s.non_finite_rewards > 0;
        if a.json {
            println!("{}", serde_json::to_string(&s).map_err(|e| e.to_string())?);
        } else {
            let w = &s.windows_m_steps_per_s;
            let (lo, hi) = w.iter().fold((f64::INFINITY, 0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            println!(
                "{}: {} steps in {:.1} s ({:.1} M steps/s), {} episodes, non-finite obs {} rewards {}, largest env episode counter {} (u32)",
                s.env,
                s.steps,
                s.seconds,
                s.steps as f64 / s.seconds / 1e6,
                s.episodes,
                s.non_finite_obs,
                s.non_finite_rewards,
                s.max_env_episode
            );
            println!(
                "{}: {} windows of {} s: min {:.1}, mean {:.1}, max {:.1} M steps/s; last third / first third - 1 = {:+.1} %",
                s.env,
                w.len(),
                a.window,
                if w.is_empty() { 0.0 } else { lo },
                mean(w),
                hi,
                100.0 * s.drift
            );
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
