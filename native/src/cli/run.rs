//! `fusegym run`: plays episodes of one env (a batch of `--envs`), prints each episode's return
//! and length, and optionally records every step as JSON lines (`--record`, schema in
//! docs/cli.md).

use super::config::{config, describe_params, parse_policy, Owned};
use super::episodes::{Episodes, Recorder};
use super::BackendArg;
use fusegym::{make_with, Autoreset, Executor, Policy, Serial, SimdPath, Threads};
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
        return super::gpu::run(&a.env, &cfg, policy, a.steps, episodes, a.record.as_deref());
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
    let mut out = a.record.as_deref().map(Recorder::create).transpose()?;
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
    let mut episodes_so_far = Episodes::new(a.envs, cfg.autoreset);
    let mut t = 0usize;
    loop {
        if a.steps.is_some_and(|s| t >= s) || episodes.is_some_and(|k| episodes_so_far.done >= k) {
            break;
        }
        if episodes.is_some() && episodes_so_far.all_finished() {
            println!("every env has finished (autoreset disabled)");
            break;
        }
        env.rollout_with(1, policy, None, exec).map_err(|e| e.to_string())?;
        let v = env.view();
        if let Some(r) = out.as_mut() {
            let finals = (cfg.autoreset == Autoreset::SameStep).then(|| v.final_obs.iter().collect());
            r.write(t, v.obs, v.reward, v.terminated, v.truncated, finals)?;
        }
        episodes_so_far.add(v.reward, v.terminated, v.truncated, &env.elapsed());
        t += 1;
    }
    if let Some(r) = out {
        r.finish()?;
    }
    println!("{}", episodes_so_far.summary(t));
    Ok(ExitCode::SUCCESS)
}
