//! `fusegym run`: plays episodes of one env (a batch of `--envs`), prints each episode's return
//! and length, and optionally records every step as JSON lines (`--record`, schema in
//! docs/cli.md).

use super::config::{config, describe_params, parse_policy, Owned};
use super::BackendArg;
use fusegym::{make_with, Autoreset, Executor, Policy, Serial, SimdPath, Threads};
use serde_json::{json, Value};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Environment id.
    #[arg(long)]
    env: String,
    /// Envs in the batch.
    #[arg(long, default_value_t = 1)]
    envs: usize,
    /// Play until this many episodes have finished, over all envs (default 5 unless --steps).
    #[arg(long, conflicts_with = "steps")]
    episodes: Option<usize>,
    /// Play exactly this many steps of every env.
    #[arg(long)]
    steps: Option<usize>,
    /// `random`, `constant:V[,V...]`, or `linear:FILE` (JSON `{"weights": [...], "bias": [...]}`,
    /// layout as `Policy::Linear`).
    #[arg(long, default_value = "random")]
    policy: String,
    /// What happens when an episode ends: same-step, next-step or disabled.
    #[arg(long, default_value = "same-step")]
    autoreset: String,
    /// `NAME=VALUE` sets a parameter for every env; `NAME=LO..HI` draws it per env from [LO, HI)
    /// (repeatable; `fusegym info --env ID` lists the names and valid ranges).
    #[arg(long = "param")]
    params: Vec<String>,
    /// Draw ranged parameters again at every reset.
    #[arg(long)]
    redraw: bool,
    /// Write one JSON object per step to this file (JSON lines).
    #[arg(long)]
    record: Option<String>,
    /// Backend.
    #[arg(long, value_enum, default_value = "simd")]
    backend: BackendArg,
    /// Threads for the `threads` backend (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Per-env running return and length of the current episode.
struct Tally {
    ret: Vec<f64>,
    len: Vec<u64>,
    /// Disabled mode: the env finished and is frozen (counted once).
    frozen: Vec<bool>,
    done: usize,
    returns: f64,
    lengths: f64,
}

pub fn run(a: RunArgs) -> Result<ExitCode, String> {
    if a.envs == 0 {
        return Err("--envs must be at least 1".into());
    }
    if a.episodes == Some(0) || a.steps == Some(0) {
        return Err("--episodes and --steps must be at least 1".into());
    }
    let episodes = if a.steps.is_some() { None } else { Some(a.episodes.unwrap_or(5)) };
    let cfg = config(&a.env, a.envs, a.seed, &a.autoreset, &a.params, a.redraw)?;
    let owned = parse_policy(&a.policy)?;
    let policy = match &owned {
        Owned::Random => Policy::Random,
        Owned::Constant(v) => Policy::Constant(v),
        Owned::Linear(w, b) => Policy::Linear { weights: w, bias: b },
    };
    if a.backend == BackendArg::Gpu {
        if a.record.is_some() {
            return Err("--record is not supported with --backend gpu yet".into());
        }
        return super::gpu::run(&a.env, &cfg, policy, a.steps, episodes);
    }
    let mut env = make_with(&a.env, &cfg).map_err(|e| e.to_string())?;
    let threads;
    let exec: &dyn Executor = match a.backend {
        BackendArg::Scalar => {
            env.set_simd_path(SimdPath::Scalar).map_err(|e| e.to_string())?;
            &Serial
        }
        BackendArg::Simd => &Serial,
        BackendArg::Threads => {
            threads = Threads::new(a.threads.unwrap_or(0)).map_err(|e| e.to_string())?;
            &threads
        }
        BackendArg::Gpu => return Err("--backend gpu is handled above".into()),
    };
    // Checks the policy against the env before anything is printed (a zero-step rollout).
    env.rollout_with(0, policy, None, exec).map_err(|e| e.to_string())?;
    let mut out = match &a.record {
        Some(path) => Some(BufWriter::new(File::create(path).map_err(|e| format!("--record {path}: {e}"))?)),
        None => None,
    };
    let on = match a.backend {
        BackendArg::Threads => format!("{} on {} threads", env.simd_path(), exec.threads()),
        _ => format!("{} on 1 thread", env.simd_path()),
    };
    println!(
        "{} x {} with policy {} on {on}, autoreset {}, params {} (seed {})",
        a.env,
        a.envs,
        a.policy,
        cfg.autoreset.name(),
        describe_params(&cfg),
        a.seed
    );
    let n = a.envs;
    let mut tally = Tally { ret: vec![0.0; n], len: vec![0; n], frozen: vec![false; n], done: 0, returns: 0.0, lengths: 0.0 };
    let mut t = 0usize;
    loop {
        if a.steps.is_some_and(|s| t >= s) || episodes.is_some_and(|k| tally.done >= k) {
            break;
        }
        if episodes.is_some() && cfg.autoreset == Autoreset::Disabled && tally.frozen.iter().all(|&f| f) {
            println!("every env has finished (autoreset disabled)");
            break;
        }
        env.rollout_with(1, policy, None, exec).map_err(|e| e.to_string())?;
        let v = env.view();
        if let Some(w) = out.as_mut() {
            let od = env.obs_dim();
            let obs: Vec<Vec<f32>> = (0..n).map(|i| (0..od).map(|k| v.obs[k * n + i]).collect()).collect();
            let mut line = json!({
                "step": t,
                "obs": obs,
                "reward": v.reward,
                "terminated": v.terminated,
                "truncated": v.truncated,
            });
            if cfg.autoreset == Autoreset::SameStep {
                let finals: Vec<Value> = v.final_obs.iter().map(|(i, o)| json!({"env": i, "obs": o})).collect();
                line["final_obs"] = Value::from(finals);
            }
            serde_json::to_writer(&mut *w, &line).map_err(|e| format!("--record: {e}"))?;
            w.write_all(b"\n").map_err(|e| format!("--record: {e}"))?;
        }
        let elapsed = env.elapsed();
        for (i, &steps_so_far) in elapsed.iter().enumerate() {
            if tally.frozen[i] {
                continue;
            }
            tally.ret[i] += v.reward[i] as f64;
            let (term, trunc) = (v.terminated[i], v.truncated[i]);
            // Next-step mode: the step after a done step starts the episode; it is not one of
            // the episode's steps (reward 0, no flags).
            let reset_step = cfg.autoreset == Autoreset::NextStep && steps_so_far == 0 && !term && !trunc;
            if !reset_step {
                tally.len[i] += 1;
            }
            if term || trunc {
                let how = if term { "terminated" } else { "truncated" };
                println!("env {i:>5} episode {:>4}: return {:>10.3}  length {:>6}  {how}", tally.done, tally.ret[i], tally.len[i]);
                tally.done += 1;
                tally.returns += tally.ret[i];
                tally.lengths += tally.len[i] as f64;
                tally.ret[i] = 0.0;
                tally.len[i] = 0;
                tally.frozen[i] = cfg.autoreset == Autoreset::Disabled;
            }
        }
        t += 1;
    }
    if let Some(mut w) = out {
        w.flush().map_err(|e| format!("--record: {e}"))?;
    }
    if tally.done > 0 {
        let k = tally.done as f64;
        println!("mean over {} episodes: return {:.3}, length {:.1} ({t} steps)", tally.done, tally.returns / k, tally.lengths / k);
    } else {
        println!("no episode finished in {t} steps");
    }
    Ok(ExitCode::SUCCESS)
}
