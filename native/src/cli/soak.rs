//! `fusegym soak`: a long run (default 10^10 steps per env) on all threads with the random
//! policy inside the fused rollout, checking every recorded observation and reward for NaN and
//! inf, counting steps and episodes in counters that cannot overflow, and printing steps/s per
//! time window so a drift shows.
//!
//! Method: `rollout_with(--chunk, Policy::Random, trajectory, threads)` repeatedly; after each
//! call the recorded observations (the one each action was chosen from, resets included) and
//! rewards of the chunk are scanned on the same threads. The rate therefore includes recording
//! the trajectory and scanning it: it is a soak figure, not a benchmark (`fusegym bench` is).

use super::memory::try_vec;
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
    /// Steps per env id, in total over the batch (e.g. 1e10); rounded up to whole steps of the
    /// batch (a multiple of --envs), and the header says so when it rounds.
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
    /// Mean of the last third of the windows over the mean of the first third, minus 1; null
    /// with fewer than three full windows.
    drift: Option<f64>,
}

/// `1e10` or `10000000000`: a whole number of steps in `1..=2^63`.
fn parse_steps(s: &str) -> Result<u64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("--steps {s:?}: not a number"))?;
    if !(v >= 1.0 && v <= 2f64.powi(63)) || v.fract() != 0.0 {
        return Err(format!("--steps {s:?}: must be a whole number of steps in [1, 2^63]"));
    }
    Ok(v as u64)
}

/// Mean of a non-empty slice.
fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// What a soak of `total` steps over `n` envs runs: whole steps of the batch, `total` rounded
/// up to a multiple of `n`; returns (steps per env, steps in all).
fn planned(total: u64, n: usize) -> Result<(u64, u64), String> {
    let per_env = total.div_ceil(n as u64);
    let all =
        per_env.checked_mul(n as u64).ok_or_else(|| format!("--steps {total} rounded up to whole steps of {n} envs overflows u64"))?;
    Ok((per_env, all))
}

fn soak(id: &str, a: &SoakArgs, total: u64, pool: &Threads) -> Result<Soak, String> {
    let n = a.num_envs;
    let (per_env, _) = planned(total, n)?;
    let mut env = make_with(id, &EnvConfig::new(n, a.seed)).map_err(|e| e.to_string())?;
    let (od, ad) = (env.obs_dim(), env.action_dim());
    // A chunk is never longer than the run.
    let k = a.chunk.min(per_env.min(usize::MAX as u64) as usize);
    let len = |components: usize| -> Result<usize, String> {
        k.checked_mul(components)
            .and_then(|x| x.checked_mul(n))
            .filter(|&x| x <= 1 << 32)
            .ok_or_else(|| format!("--chunk {k} x {components} x --envs {n}: trajectory buffer too large (at most 2^32 values)"))
    };
    let what = "soak trajectory buffer";
    let (mut obs, mut actions, mut rewards) =
        (try_vec(what, len(od)?, 0f32)?, try_vec(what, len(ad)?, 0f32)?, try_vec(what, len(1)?, 0f32)?);
    let (mut terminated, mut truncated) = (try_vec(what, len(1)?, 0u8)?, try_vec(what, len(1)?, 0u8)?);
    let (bad_obs, bad_rewards) = (AtomicU64::new(0), AtomicU64::new(0));
    let (mut steps, mut episodes) = (0u64, 0u64);
    let start = Instant::now();
    let (mut window_start, mut window_steps) = (start, 0u64);
    let mut windows = vec![];
    let mut left = per_env;
    while left > 0 {
        // Whole chunks, then what is left of `per_env` (the trajectory buffers' first part).
        let k = (k as u64).min(left) as usize;
        left -= k as u64;
        let per_call = (k as u64) * n as u64;
        let record = Trajectory {
            obs: &mut obs[..k * od * n],
            actions: &mut actions[..k * ad * n],
            rewards: &mut rewards[..k * n],
            terminated: &mut terminated[..k * n],
            truncated: &mut truncated[..k * n],
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
    let drift = (third > 0).then(|| mean(&windows[windows.len() - third..]) / mean(&windows[..third]) - 1.0);
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
            let (per_env, all) = planned(total, a.num_envs)?;
            let rounded =
                if all == total { String::new() } else { format!(" (--steps {} rounded up to whole steps of the batch)", a.steps.trim()) };
            eprintln!(
                "soak {id}: {all} steps ({per_env} per env){rounded}, {} envs, {} threads, chunks of {}",
                a.num_envs,
                pool.threads(),
                a.chunk.min(per_env.min(usize::MAX as u64) as usize)
            );
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
            if w.is_empty() {
                println!(
                    "{}: no full window of {} s (the run took {:.1} s): the rate above is the whole run's",
                    s.env, a.window, s.seconds
                );
            } else {
                let drift = match s.drift {
                    Some(d) => format!("{:+.1} %", 100.0 * d),
                    None => "n/a (fewer than 3 windows)".into(),
                };
                println!(
                    "{}: {} windows of {} s: min {lo:.1}, mean {:.1}, max {hi:.1} M steps/s; last third / first third - 1 = {drift}",
                    s.env,
                    w.len(),
                    a.window,
                    mean(w),
                );
            }
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
