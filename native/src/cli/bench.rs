//! `fusegym bench`: steps/s of every environment on every backend, each backend validated
//! against the scalar reference before it is timed.
//!
//! Method: build the batch, validate (a short trajectory compared bit for bit with scalar),
//! warm up while calibrating the step count so one repeat takes about `--seconds`, then time
//! `--repeats` repeats and report median, min and max. Actions are generated before timing
//! (a small ring of random batches) so the host's RNG is not measured.

use super::config::{config, describe_params, parse_autoreset};
use super::memory;
use super::{backend_name, BackendArg};
use fusegym::hardware::Hardware;
use fusegym::{make_with, ActionSpace, Actions, DynVecEnv, EnvConfig, Executor, Policy, Serial, SimdPath, Threads, ENV_IDS};
use serde::Serialize;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Environment id (repeatable; default: all).
    #[arg(long = "env")]
    envs: Vec<String>,
    /// Backend (repeatable; default: every CPU backend, and the GPU when wgpu finds an adapter).
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
    #[arg(long, default_value_t = 0.25, allow_negative_numbers = true)]
    seconds: f64,
    /// Fewer, shorter repeats (about 15 s for everything).
    #[arg(long)]
    quick: bool,
    /// Autoreset mode (repeatable; default same-step): same-step, next-step, disabled.
    #[arg(long = "autoreset")]
    autoresets: Vec<String>,
    /// `NAME=VALUE` or `NAME=LO..HI` (per-env draws) for every measured batch (repeatable; use
    /// with one --env, since names are per env).
    #[arg(long = "param")]
    params: Vec<String>,
    /// Draw ranged parameters again at every reset.
    #[arg(long)]
    redraw: bool,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

/// Longest repeat `--seconds` may ask for: a benchmark that cannot finish is a typo.
const MAX_SECONDS: f64 = 600.0;

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
    autoreset: &'static str,
    params: String,
    simd_path: &'static str,
    num_envs: usize,
    threads: usize,
    steps: usize,
    sps_median: Option<f64>,
    sps_min: Option<f64>,
    sps_max: Option<f64>,
    validated: bool,
    /// What `sps_*` were timed with: always "wall" (elapsed time around the work, on the host).
    clock: &'static str,
    /// GPU rows: the adapter, e.g. "software adapter (llvmpipe ...)".
    #[serde(skip_serializing_if = "Option::is_none")]
    adapter: Option<String>,
    /// GPU rows on adapters with timestamp queries: env-steps/s of device time alone (GPU
    /// timestamps around the timed dispatches), median, min and max over the same repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    device_sps_median: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_sps_min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_sps_max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Row {
    /// The row of `plan` before anything is measured: not validated, no figures.
    fn empty(a: &BenchArgs, plan: &Plan, simd_path: &'static str, threads: usize) -> Row {
        Row {
            env: plan.id.clone(),
            backend: backend_name(plan.backend),
            mode: plan.mode,
            autoreset: plan.cfg.autoreset.name(),
            params: describe_params(&plan.cfg),
            simd_path,
            num_envs: a.num_envs,
            threads,
            steps: 0,
            sps_median: None,
            sps_min: None,
            sps_max: None,
            validated: false,
            clock: "wall",
            adapter: None,
            device_sps_median: None,
            device_sps_min: None,
            device_sps_max: None,
            error: None,
        }
    }

    /// Median, min and max of the wall-clock rates (and of the device-time ones, if any).
    fn set_figures(&mut self, mut wall: Vec<f64>, device: Option<Vec<f64>>) {
        self.sps_min = wall.iter().copied().reduce(f64::min);
        self.sps_max = wall.iter().copied().reduce(f64::max);
        self.sps_median = Some(median(&mut wall));
        if let Some(mut d) = device {
            self.device_sps_min = d.iter().copied().reduce(f64::min);
            self.device_sps_max = d.iter().copied().reduce(f64::max);
            self.device_sps_median = Some(median(&mut d));
        }
    }
}

#[derive(Serialize)]
struct Doc {
    hardware: Hardware,
    /// The GPU measured (its adapter), or why it was not.
    gpu: String,
    results: Vec<Row>,
}

/// The GPU of a run: a device, or why there is none.
enum Gpu {
    Measured(Box<fusegym_gpu::GpuContext>),
    NotMeasured(String),
}

impl Gpu {
    fn describe(&self) -> String {
        match self {
            Gpu::Measured(ctx) => format!(
                "{}; timestamps {}",
                super::gpu::adapter_label(&ctx.info),
                if ctx.timestamps { "offered (device time reported as well)" } else { "not offered (wall clock only)" }
            ),
            Gpu::NotMeasured(why) => format!("not measured: {why}"),
        }
    }
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
                ActionSpace::Box { dim, low, high } => {
                    ring.cont.push((0..dim * n).map(|j| low[j / n] + (high[j / n] - low[j / n]) * (next() as f32 / 16_777_216.0)).collect())
                }
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
    for (i, o) in v.final_obs.iter() {
        out.push(i as u32);
        out.extend(o.iter().map(|x| x.to_bits()));
    }
    out.extend(env.state().iter().map(|x| x.to_bits()));
    out
}

/// Envs and steps of the pre-timing check (a ragged tail for every lane width).
const VALIDATION_ENVS: usize = 1_003;
const VALIDATION_STEPS: usize = 300;

/// The same batch twice: on the scalar reference and on `path`.
/// A reference batch and a candidate.
type Twins = (Box<dyn DynVecEnv>, Box<dyn DynVecEnv>);

fn twins(id: &str, cfg: &EnvConfig, path: SimdPath) -> Result<Twins, String> {
    let cfg = EnvConfig { num_envs: VALIDATION_ENVS, seed: 1, ..cfg.clone() };
    let mut reference = make_with(id, &cfg).map_err(|e| e.to_string())?;
    reference.set_simd_path(SimdPath::Scalar).map_err(|e| e.to_string())?;
    let mut candidate = make_with(id, &cfg).map_err(|e| e.to_string())?;
    candidate.set_simd_path(path).map_err(|e| e.to_string())?;
    Ok((reference, candidate))
}

/// Runs a short rollout on `path`/`exec` and on scalar; Err describes the difference.
fn validate_rollout(id: &str, cfg: &EnvConfig, path: SimdPath, exec: &dyn Executor) -> Result<(), String> {
    let (mut reference, mut candidate) = twins(id, cfg, path)?;
    let a = reference.rollout_with(VALIDATION_STEPS, Policy::Random, None, &Serial).map_err(|e| e.to_string())?.reward_sum.to_vec();
    let b = candidate.rollout_with(VALIDATION_STEPS, Policy::Random, None, exec).map_err(|e| e.to_string())?.reward_sum.to_vec();
    if a.iter().map(|x| x.to_bits()).ne(b.iter().map(|x| x.to_bits())) || outputs(reference.as_ref()) != outputs(candidate.as_ref()) {
        return Err("rollout differs from the scalar reference".into());
    }
    Ok(())
}

/// Runs a short trajectory on `path`/`exec` and on scalar; Err describes the first difference.
fn validate(id: &str, cfg: &EnvConfig, path: SimdPath, exec: &dyn Executor) -> Result<(), String> {
    let (mut reference, mut candidate) = twins(id, cfg, path)?;
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
    cfg: EnvConfig,
}

/// Rejects arguments that cannot give a meaningful run (exit 2) before anything is measured.
fn check_args(a: &BenchArgs, ids: &[String]) -> Result<(), String> {
    if !(a.seconds.is_finite() && a.seconds > 0.0 && a.seconds <= MAX_SECONDS) {
        return Err(format!("--seconds {}: must be a number of seconds in (0, {MAX_SECONDS}]", a.seconds));
    }
    if a.steps == Some(0) {
        return Err("--steps must be at least 1".into());
    }
    if a.num_envs == 0 || a.repeats == 0 {
        return Err("--envs and --repeats must be at least 1".into());
    }
    if a.threads.is_some() && !a.backends.is_empty() && !a.backends.contains(&BackendArg::Threads) {
        return Err("--threads applies to --backend threads only, and no --backend threads is asked for".into());
    }
    if a.num_envs > u32::MAX as usize {
        return Err(format!("--envs {}: at most {} envs per batch (env indices are 32-bit)", a.num_envs, u32::MAX));
    }
    for id in ids {
        let e = fusegym::info(id).map_err(|e| e.to_string())?;
        // The timed batch and its ring of action batches (the validation twins are small).
        let ring = 4 * (e.action_space)().dim() as u128 * ActionRing::LEN as u128;
        memory::check(id, a.num_envs, memory::batch_bytes(e, a.num_envs, ring))?;
    }
    if let Some(steps) = a.steps {
        if steps.checked_mul(a.num_envs).is_none() {
            return Err(format!("--steps {steps} x --envs {}: too many env-steps to count", a.num_envs));
        }
    }
    Ok(())
}

pub fn run(mut a: BenchArgs) -> Result<ExitCode, String> {
    let ids: Vec<String> = if a.envs.is_empty() { ENV_IDS.iter().map(|s| s.to_string()).collect() } else { a.envs.clone() };
    check_args(&a, &ids)?;
    if a.quick {
        a.repeats = a.repeats.min(3);
        a.seconds = a.seconds.min(0.08);
    }
    let autoresets = if a.autoresets.is_empty() { vec!["same-step".to_string()] } else { a.autoresets.clone() };
    for m in &autoresets {
        parse_autoreset(m)?;
    }
    let mut configs = vec![];
    for id in &ids {
        for m in &autoresets {
            let cfg = config(id, a.num_envs, 42, m, &a.params, a.redraw)?;
            // A one-env batch checks the configuration (names, ranges, orders) up front.
            make_with(id, &EnvConfig { num_envs: 1, ..cfg.clone() }).map_err(|e| e.to_string())?;
            configs.push((id.clone(), cfg));
        }
    }
    let mut backends =
        if a.backends.is_empty() { vec![BackendArg::Scalar, BackendArg::Simd, BackendArg::Threads] } else { a.backends.clone() };
    // Asked for: no adapter is exit 2. By default: measured when there is one, else the header
    // says it was not and why.
    let gpu = if a.backends.contains(&BackendArg::Gpu) {
        Gpu::Measured(Box::new(super::gpu::context()?))
    } else if a.backends.is_empty() {
        match super::gpu::context() {
            Ok(ctx) => {
                backends.push(BackendArg::Gpu);
                Gpu::Measured(Box::new(ctx))
            }
            Err(e) => Gpu::NotMeasured(e),
        }
    } else {
        Gpu::NotMeasured("not asked for (add --backend gpu)".into())
    };
    let threads = Threads::new(a.threads.unwrap_or(0)).map_err(|e| e.to_string())?;
    let hw = Hardware::detect();
    let modes = modes_of(&a);
    let mut plans = vec![];
    for (id, cfg) in &configs {
        for &mode in &modes {
            for &backend in &backends {
                plans.push(Plan { id: id.clone(), backend, mode, cfg: cfg.clone() });
            }
        }
    }

    if !a.json {
        print_header(&hw, &a, &gpu);
    }
    let mut rows = vec![];
    for (k, plan) in plans.iter().enumerate() {
        if a.json || !std::io::stdout().is_terminal() {
            eprintln!(
                "[{}/{}] {} {} {} {}",
                k + 1,
                plans.len(),
                plan.id,
                mode_name(plan.mode),
                backend_name(plan.backend),
                plan.cfg.autoreset.name()
            );
        }
        let row = match (&gpu, plan.backend) {
            (Gpu::Measured(ctx), BackendArg::Gpu) => measure_gpu(&a, plan, ctx),
            _ => measure(&a, plan, &threads),
        };
        if !a.json {
            print_row(&row);
        }
        rows.push(row);
    }

    let failed = rows.iter().any(|r| !r.validated || r.error.is_some());
    if a.json {
        let doc = Doc { hardware: hw, gpu: gpu.describe(), results: rows };
        println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
    } else {
        println!();
        println!("M/s = millions of env-steps per second (one env advancing one step); median, min and max over --repeats timed repeats.");
        println!("validated = this backend's outputs equal the scalar reference bit for bit on a short run before timing");
        println!("  (gpu: a 64-step rollout of 256 envs within the GPU tolerance of docs/parity.md).");
        println!("clock = wall: elapsed time on the host around the work (for the GPU: submit + wait);");
        println!("  device: GPU time alone from timestamp queries, where the adapter offers them.");
        println!("gpu step = one dispatch per step with actions already on the GPU; gpu rollout = Random policy in the shader.");
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Step => "step",
        Mode::Rollout => "rollout",
    }
}

fn measure(a: &BenchArgs, plan: &Plan, threads: &Threads) -> Row {
    let (path, exec): (SimdPath, &dyn Executor) = match plan.backend {
        BackendArg::Scalar => (SimdPath::Scalar, &Serial),
        BackendArg::Simd => (SimdPath::best(), &Serial),
        BackendArg::Threads => (SimdPath::best(), threads),
        // Never measured here: `run` hands GPU plans to `measure_gpu`.
        BackendArg::Gpu => (SimdPath::Scalar, &Serial),
    };
    let mut row = Row::empty(a, plan, path.name(), exec.threads());
    let check = match plan.mode {
        Mode::Step => validate(&plan.id, &plan.cfg, path, exec),
        Mode::Rollout => validate_rollout(&plan.id, &plan.cfg, path, exec),
    };
    if let Err(e) = check {
        row.error = Some(format!("FAILED VALIDATION: {e}"));
        return row;
    }
    row.validated = true;
    let result = (|| -> Result<(), String> {
        let mut env = make_with(&plan.id, &plan.cfg).map_err(|e| e.to_string())?;
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
        row.set_figures(sps, None);
        Ok(())
    })();
    if let Err(e) = result {
        row.error = Some(e);
    }
    row
}

fn print_header(hw: &Hardware, a: &BenchArgs, gpu: &Gpu) {
    println!("fusegym {} bench  envs={}  repeats={}", hw.fusegym_version, a.num_envs, a.repeats);
    println!("CPU: {}  ({} cores, {} {})", hw.cpu, hw.cores, hw.arch, hw.os);
    println!(
        "SIMD: {} (available: {}); build: {}",
        hw.simd_path,
        hw.simd_available.join(", "),
        if hw.optimized { "release" } else { "DEBUG (numbers meaningless)" }
    );
    println!("GPU: {}", gpu.describe());
    println!();
    println!(
        "{:<26} {:<8} {:<8} {:<10} {:<14} {:>7} {:>9} {:>10} {:>10} {:>10}  {:<6} {:<9} params",
        "env", "mode", "backend", "autoreset", "path", "threads", "steps", "median M/s", "min M/s", "max M/s", "clock", "validated"
    );
}

/// A rate in M/s with at least two significant digits (0.0 only for a true zero).
fn rate(sps: f64) -> String {
    let m = sps / 1e6;
    if m >= 10.0 {
        format!("{m:.1}")
    } else if m >= 0.1 {
        format!("{m:.2}")
    } else {
        format!("{m:.2e}")
    }
}

fn print_row(r: &Row) {
    let head = format!("{:<26} {:<8} {:<8} {:<10} {:<14} {:>7}", r.env, mode_name(r.mode), r.backend, r.autoreset, r.simd_path, r.threads);
    match (&r.error, r.sps_median) {
        (None, Some(m)) => {
            let figures = |med: f64, lo: Option<f64>, hi: Option<f64>, clock: &str| {
                println!(
                    "{head} {:>9} {:>10} {:>10} {:>10}  {clock:<6} {:<9} {}",
                    r.steps,
                    rate(med),
                    rate(lo.unwrap_or(0.0)),
                    rate(hi.unwrap_or(0.0)),
                    if r.validated { "yes" } else { "NO" },
                    r.params
                )
            };
            figures(m, r.sps_min, r.sps_max, r.clock);
            if let Some(d) = r.device_sps_median {
                figures(d, r.device_sps_min, r.device_sps_max, "device");
            }
        }
        (e, _) => println!("{head}   {}", e.clone().unwrap_or_default()),
    }
}

fn modes_of(a: &BenchArgs) -> Vec<Mode> {
    if a.modes.is_empty() {
        vec![Mode::Step, Mode::Rollout]
    } else {
        a.modes.clone()
    }
}

/// A GPU row: validated against the scalar CPU on a short rollout, then timed on `ctx`
/// (`cli/gpu.rs`); the `path` column says `wgsl`.
fn measure_gpu(a: &BenchArgs, plan: &Plan, ctx: &fusegym_gpu::GpuContext) -> Row {
    let mut row = Row { adapter: Some(super::gpu::adapter_label(&ctx.info)), ..Row::empty(a, plan, "wgsl", 1) };
    if let Err(e) = super::gpu::validate_short(ctx, &plan.id, &plan.cfg) {
        row.error = Some(format!("FAILED VALIDATION: {e}"));
        return row;
    }
    row.validated = true;
    let rollout = plan.mode == Mode::Rollout;
    match super::gpu::measure(ctx, &plan.id, &plan.cfg, rollout, a.steps, a.seconds, a.repeats) {
        Ok(f) => {
            row.steps = f.steps;
            row.set_figures(f.wall, f.device);
        }
        Err(e) => row.error = Some(e),
    }
    row
}
