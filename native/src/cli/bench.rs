//! `fusegym bench`: steps/s of every environment on every backend, each backend validated
//! against the scalar reference before it is timed.
//!
//! Method: build the batch, validate (a short trajectory compared bit for bit with scalar),
//! warm up while calibrating the step count so one repeat takes about `--seconds`, then time
//! `--repeats` repeats and report median, min and max. Actions are generated before timing
//! (a small ring of random batches) so the host's RNG is not measured.

use super::BackendArg;
use fusegym::hardware::Hardware;
use fusegym::{make, ActionSpace, Actions, DynVecEnv, Executor, Policy, Serial, SimdPath, Threads, ENV_IDS};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Environment id (repeatable; default: all).
    #[arg(long = "env")]
    envs: Vec<String>,
    /// Backend (repeatable; default: all available).
    #[arg(long = "backend", value_enum)]
    backends: Vec<BackendArg>,
    /// What is timed (repeatable; default both): `step` (host supplies actions each step, every
    /// output written) or `rollout` (many steps per call, on-device random policy).
    #[arg(long = "mode", value_enum)]
    modes: Vec<Mode>,
    /// Envs per batch.
    #[arg(long = "envs", default_value_t = 65_536)]
    num_envs: usize,
    /// Steps per timed repeat (default: calibrated to about --seconds per repeat).
    #[arg(long)]
    steps: Option<usize>,
    /// Threads for the `threads` backend (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Timed repeats.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Target seconds per repeat when --steps is not given.
    #[arg(long, default_value_t = 0.25)]
    seconds: f64,
    /// Fewer, shorter repeats (about 15 s for everything).
    #[arg(long)]
    quick: bool,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Step,
    Rollout,
}

#[derive(Serialize)]
struct Row {
    env: String,
    backend: &'static str,
    mode: Mode,
    simd_path: &'static str,
    num_envs: usize,
    threads: usize,
    steps: usize,
    sps_median: Option<f64>,
    sps_min: Option<f64>,
    sps_max: Option<f64>,
    validated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct Doc {
    hardware: Hardware,
    results: Vec<Row>,
}

/// A ring of pre-generated random action batches.
struct ActionRing {
    space: ActionSpace,
    disc: Vec<Vec<u32>>,
    cont: Vec<Vec<f32>>,
}

impl ActionRing {
    const LEN: usize = 8;
    fn new(space: ActionSpace, n: usize, seed: u64) -> Self {
        let mut s = seed | 1;
        let mut next = move || {
            // xorshift64*: host-side test actions, independent of the library's RNG.
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            (s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as u32
        };
        let mut ring = ActionRing { space, disc: vec![], cont: vec![] };
        for _ in 0..Self::LEN {
            match space {
                ActionSpace::Discrete { n: k } => ring.disc.push((0..n).map(|_| next() % k).collect()),
                ActionSpace::Box { dim, low, high } => ring.cont.push(
                    (0..dim * n).map(|j| low[j / n] + (high[j / n] - low[j / n]) * (next() as f32 / 16_777_216.0)).collect(),
                ),
            }
        }
        ring
    }
    fn get(&self, t: usize) -> Actions<'_> {
        match self.space {
            ActionSpace::Discrete { .. } => Actions::Discrete(&self.disc[t % Self::LEN]),
            ActionSpace::Box { .. } => Actions::Continuous(&self.cont[t % Self::LEN]),
        }
    }
}

fn outputs(env: &dyn DynVecEnv) -> Vec<u32> {
    let v = env.view();
    let mut out: Vec<u32> = v.obs.iter().chain(v.reward).map(|x| x.to_bits()).collect();
    out.extend(v.terminated.iter().chain(v.truncated).map(|&b| b as u32));
    out.extend(env.state().iter().map(|x| x.to_bits()));
    out
}

/// Envs and steps of the pre-timing check (a ragged tail for every lane width).
const VALIDATION_ENVS: usize = 1_003;
const VALIDATION_STEPS: usize = 300;

/// The same batch twice: on the scalar reference and on `path`.
fn twins(id: &str, path: SimdPath) -> Result<(Box<dyn DynVecEnv>, Box<dyn DynVecEnv>), String> {
    let mut reference = make(id, VALIDATION_ENVS, 1).map_err(|e| e.to_string())?;
    reference.set_simd_path(SimdPath::Scalar).map_err(|e| e.to_string())?;
    let mut candidate = make(id, VALIDATION_ENVS, 1).map_err(|e| e.to_string())?;
    candidate.set_simd_path(path).map_err(|e| e.to_string())?;
    Ok((reference, candidate))
}

/// Runs a short rollout on `path`/`exec` and on scalar; Err describes the difference.
fn validate_rollout(id: &str, path: SimdPath, exec: &dyn Executor) -> Result<(), String> {
    let (mut reference, mut candidate) = twins(id, path)?;
    let a = reference.rollout_with(VALIDATION_STEPS, Policy::Random, None, &Serial).map_err(|e| e.to_string())?.reward_sum.to_vec();
    let b = candidate.rollout_with(VALIDATION_STEPS, Policy::Random, None, exec).map_err(|e| e.to_string())?.reward_sum.to_vec();
    if a.iter().map(|x| x.to_bits()).ne(b.iter().map(|x| x.to_bits())) || outputs(reference.as_ref()) != outputs(candidate.as_ref()) {
        return Err("rollout differs from the scalar reference".into());
    }
    Ok(())
}

/// Runs a short trajectory on `path`/`exec` and on scalar; Err describes the first difference.
fn validate(id: &str, path: SimdPath, exec: &dyn Executor) -> Result<(), String> {
    let (mut reference, mut candidate) = twins(id, path)?;
    let ring = ActionRing::new(reference.action_space(), VALIDATION_ENVS, 3);
    for t in 0..VALIDATION_STEPS {
        reference.step(ring.get(t)).map_err(|e| e.to_string())?;
        candidate.step_with(ring.get(t), exec).map_err(|e| e.to_string())?;
        if outputs(reference.as_ref()) != outputs(candidate.as_ref()) {
            return Err(format!("outputs differ from the scalar reference at step {t}"));
        }
    }
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

struct Plan {
    id: String,
    backend: BackendArg,
    mode: Mode,
}

pub fn run(mut a: BenchArgs) -> Result<ExitCode, String> {
    if a.quick {
        a.repeats = a.repeats.min(3);
        a.seconds = a.seconds.min(0.08);
    }
    if a.num_envs == 0 || a.repeats == 0 {
        return Err("--envs and --repeats must be at least 1".into());
    }
    let ids: Vec<String> = if a.envs.is_empty() { ENV_IDS.iter().map(|s| s.to_string()).collect() } else { a.envs.clone() };
    for id in &ids {
        make(id, 1, 0).map_err(|e| e.to_string())?;
    }
    let backends = if a.backends.is_empty() { vec![BackendArg::Scalar, BackendArg::Simd, BackendArg::Threads] } else { a.backends.clone() };
    let threads = Threads::new(a.threads.unwrap_or(0)).map_err(|e| e.to_string())?;
    let hw = Hardware::detect();
    let modes = if a.modes.is_empty() { vec![Mode::Step, Mode::Rollout] } else { a.modes.clone() };
    let mut plans = vec![];
    for id in &ids {
        for &mode in &modes {
            for &backend in &backends {
                plans.push(Plan { id: id.clone(), backend, mode });
            }
        }
    }

    let bar = ProgressBar::new(plans.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").unwrap());
    let mut rows = vec![];
    for plan in &plans {
        bar.set_message(format!("{} {:?} {:?}", plan.id, plan.backend, plan.mode));
        rows.push(measure(&a, plan, &threads));
        bar.inc(1);
    }
    bar.finish_and_clear();

    let failed = rows.iter().any(|r| !r.validated);
    if a.json {
        let doc = Doc { hardware: hw, results: rows };
        println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
    } else {
        print_table(&hw, &a, &rows);
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn measure(a: &BenchArgs, plan: &Plan, threads: &Threads) -> Row {
    let (path, exec, backend_name): (SimdPath, &dyn Executor, &'static str) = match plan.backend {
        BackendArg::Scalar => (SimdPath::Scalar, &Serial, "scalar"),
        BackendArg::Simd => (SimdPath::best(), &Serial, "simd"),
        BackendArg::Threads => (SimdPath::best(), threads, "threads"),
    };
    let mut row = Row {
        env: plan.id.clone(),
        backend: backend_name,
        mode: plan.mode,
        simd_path: path.name(),
        num_envs: a.num_envs,
        threads: exec.threads(),
        steps: 0,
        sps_median: None,
        sps_min: None,
        sps_max: None,
        validated: false,
        error: None,
    };
    let check = match plan.mode {
        Mode::Step => validate(&plan.id, path, exec),
        Mode::Rollout => validate_rollout(&plan.id, path, exec),
    };
    if let Err(e) = check {
        row.error = Some(format!("FAILED VALIDATION: {e}"));
        return row;
    }
    row.validated = true;
    let result = (|| -> Result<(), String> {
        let mut env = make(&plan.id, a.num_envs, 42).map_err(|e| e.to_string())?;
        env.set_simd_path(path).map_err(|e| e.to_string())?;
        let ring = ActionRing::new(env.action_space(), a.num_envs, 7);
        let mut t = 0usize;
        // `count` steps of the timed operation.
        let mut run = |count: usize| -> Result<(), String> {
            match plan.mode {
                Mode::Step => {
                    for _ in 0..count {
                        env.step_with(ring.get(t), exec).map_err(|e| e.to_string())?;
                        t += 1;
                    }
                }
                Mode::Rollout => {
                    env.rollout_with(count, Policy::Random, None, exec).map_err(|e| e.to_string())?;
                }
            }
            Ok(())
        };
        // Warm-up, also calibrating how many steps one repeat takes.
        let warm = Instant::now();
        let mut warm_steps = 0usize;
        while warm.elapsed().as_secs_f64() < a.seconds.min(0.2) || warm_steps < 3 {
            run(4)?;
            warm_steps += 4;
        }
        let per_step = warm.elapsed().as_secs_f64() / warm_steps as f64;
        let steps = a.steps.unwrap_or(((a.seconds / per_step).ceil() as usize).max(3));
        let mut sps = Vec::with_capacity(a.repeats);
        for _ in 0..a.repeats {
            let start = Instant::now();
            run(steps)?;
            sps.push((a.num_envs * steps) as f64 / start.elapsed().as_secs_f64());
        }
        std::hint::black_box(env.view().obs);
        row.steps = steps;
        row.sps_min = sps.iter().copied().reduce(f64::min);
        row.sps_max = sps.iter().copied().reduce(f64::max);
        row.sps_median = Some(median(&mut sps));
        Ok(())
    })();
    if let Err(e) = result {
        row.error = Some(e);
    }
    row
}

fn print_table(hw: &Hardware, a: &BenchArgs, rows: &[Row]) {
    println!("fusegym {} bench  envs={}  repeats={}", hw.fusegym_version, a.num_envs, a.repeats);
    println!("CPU: {}  ({} cores, {} {})", hw.cpu, hw.cores, hw.arch, hw.os);
    println!("SIMD: {} (available: {}); build: {}", hw.simd_path, hw.simd_available.join(", "), if hw.optimized { "release" } else { "DEBUG (numbers meaningless)" });
    println!("GPU: not part of this build");
    println!();
    println!("{:<26} {:<8} {:<8} {:<11} {:>7} {:>9} {:>12} {:>12} {:>12}", "env", "mode", "backend", "path", "threads", "steps", "median M/s", "min M/s", "max M/s");
    for r in rows {
        match (&r.error, r.sps_median) {
            (None, Some(m)) => println!(
                "{:<26} {:<8} {:<8} {:<11} {:>7} {:>9} {:>12.1} {:>12.1} {:>12.1}",
                r.env,
                format!("{:?}", r.mode).to_lowercase(),
                r.backend,
                r.simd_path,
                r.threads,
                r.steps,
                m / 1e6,
                r.sps_min.unwrap_or(0.0) / 1e6,
                r.sps_max.unwrap_or(0.0) / 1e6
            ),
            (e, _) => println!(
                "{:<26} {:<8} {:<8} {:<11} {:>7}   {}",
                r.env,
                format!("{:?}", r.mode).to_lowercase(),
                r.backend,
                r.simd_path,
                r.threads,
                e.clone().unwrap_or_default()
            ),
        }
    }
}
