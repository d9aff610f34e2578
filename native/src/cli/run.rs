//! `fusegym run`: plays episodes of one env (a batch of `--envs`), prints each episode's return
//! and length, and optionally records every step as JSON lines (`--record`, schema in
//! docs/cli.md).

use super::config::{config, describe_params, parse_policy, Owned};
use super::episodes::{Episodes, RecordOpts, Recorder, EPISODE_BYTES_PER_ENV};
use super::memory;
use super::BackendArg;
use fusegym::{make_with, Autoreset, EnvConfig, Executor, Policy, Serial, SimdPath, Threads};
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
    /// Largest file --record writes, in GiB: a recording estimated past it (or past the free
    /// space of the file's filesystem) is refused before it starts, and one that reaches it
    /// stops with exit 2.
    #[arg(long, default_value_t = 10.0, requires = "record")]
    record_limit_gib: f64,
    /// Backend.
    #[arg(long, value_enum, default_value = "simd")]
    backend: BackendArg,
    /// Threads for the `threads` backend (default: all cores; an error with another backend).
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
    if a.threads.is_some() && a.backend != BackendArg::Threads {
        return Err(format!("--threads applies to --backend threads only, and --backend is {}", super::backend_name(a.backend)));
    }
    let limit = a.record_limit_gib;
    if !(limit.is_finite() && limit > 0.0) {
        return Err(format!("--record-limit-gib {limit}: must be a positive number of GiB"));
    }
    let record = a.record.clone().map(|path| RecordOpts { path, limit: (limit * (1u64 << 30) as f64).min(u64::MAX as f64) as u64 });
    let episodes = if a.steps.is_some() { None } else { Some(a.episodes.unwrap_or(5)) };
    let cfg = config(&a.env, a.envs, a.seed, &a.autoreset, &a.params, a.redraw)?;
    let owned = parse_policy(&a.policy)?;
    let policy = match &owned {
        Owned::Random => Policy::Random,
        Owned::Constant(v) => Policy::Constant(v),
        Owned::Linear(w, b) => Policy::Linear { weights: w, bias: b },
    };
    // The configuration first (names, values, batch size: no buffer yet), then the memory the
    // batch needs against what the machine has, then the batch, allocated fallibly.
    let info = fusegym::info(&a.env).map_err(|e| e.to_string())?;
    (info.check_config)(&cfg).map_err(|e| e.to_string())?;
    if a.backend == BackendArg::Gpu {
        // Checks the memory itself, once it knows the adapter.
        return super::gpu::run(&a.env, &cfg, &a.policy, policy, a.steps, episodes, record.as_ref());
    }
    memory::check(&a.env, a.envs, memory::batch_bytes(info, a.envs, EPISODE_BYTES_PER_ENV + 4))?;
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
    let mut episodes_so_far = Episodes::new(a.envs, cfg.autoreset)?;
    let mut elapsed = memory::try_vec("step counts", a.envs, 0u32)?;
    let v = env.view();
    let mut out = record.as_ref().map(|r| Recorder::create(r, (v.obs, v.reward, v.terminated, v.truncated), a.steps)).transpose()?;
    let on = match a.backend {
        BackendArg::Threads => format!("{} on {} threads", env.simd_path(), exec.threads()),
        _ => format!("{} on 1 thread", env.simd_path()),
    };
    println!("{}", header(&a.env, &cfg, &a.policy, &on));
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
        env.elapsed_into(&mut elapsed).map_err(|e| e.to_string())?;
        episodes_so_far.add(v.reward, v.terminated, v.truncated, &elapsed);
        t += 1;
    }
    if let Some(r) = out {
        r.finish()?;
    }
    println!("{}", episodes_so_far.summary(t));
    Ok(ExitCode::SUCCESS)
}

/// The first line of `run` on every backend: env, batch size, policy, where it runs (`on`),
/// autoreset mode, parameters (shared overrides with their values, per-env fields) and seed.
pub fn header(id: &str, cfg: &EnvConfig, policy: &str, on: &str) -> String {
    format!(
        "{id} x {} with policy {policy} on {on}, autoreset {}, params {} (seed {})",
        cfg.num_envs,
        cfg.autoreset.name(),
        describe_params(cfg),
        cfg.seed
    )
}
