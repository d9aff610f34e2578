//! `fusegym validate [--backend scalar|simd] [--episodes] FILE...`: one line per file, exit 0
//! when all pass, 1 on a mismatch, 2 when a file is unreadable or malformed (with what and
//! where).

use fusegym::golden::{self, num, FreeRunning, Report};
use fusegym::{Backend, SimdPath};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Lane implementation to replay with.
    #[arg(long, value_enum, default_value = "simd")]
    backend: Which,
    /// Also print each episode's free-running result.
    #[arg(long)]
    episodes: bool,
    /// Free-running criterion: twins per episode (studying the criterion only; the default is
    /// the criterion of docs/parity.md).
    #[arg(long, default_value_t = FreeRunning::default().twins, hide_short_help = true)]
    twins: usize,
    /// Free-running criterion: per-step noise of each twin, in units of eps * |x|.
    #[arg(long, default_value_t = FreeRunning::default().noise, hide_short_help = true)]
    noise: f64,
    /// Free-running criterion: quantile of the twins' horizons.
    #[arg(long, default_value_t = FreeRunning::default().quantile, hide_short_help = true)]
    quantile: f64,
    /// Free-running criterion: lowest bar, as a fraction of the episode's length.
    #[arg(long, default_value_t = FreeRunning::default().floor, hide_short_help = true)]
    floor: f64,
    /// Golden files (schema in tests/golden/README.md).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Which {
    Scalar,
    Simd,
    /// The GPU backend, with the CPU's tolerances (docs/parity.md, "GPU").
    Gpu,
}

/// Widest env id, so the columns after it line up.
const ENV_WIDTH: usize = 24;

pub fn run(args: ValidateArgs) -> Result<ExitCode, String> {
    let path: SimdPath = match args.backend {
        Which::Scalar => Backend::Scalar.path(),
        Which::Simd => Backend::Simd.path(),
        Which::Gpu => Backend::Scalar.path(),
    };
    let gpu = match args.backend {
        Which::Gpu => Some(super::gpu::context()?),
        _ => None,
    };
    let path_name = if gpu.is_some() { "gpu".to_string() } else { path.to_string() };
    let free = FreeRunning { twins: args.twins, noise: args.noise, quantile: args.quantile, floor: args.floor };
    if free.twins == 0 || !(0.0..=1.0).contains(&free.quantile) || !(free.noise >= 0.0 && (0.0..=1.0).contains(&free.floor)) {
        return Err("--twins must be at least 1, --quantile and --floor in [0, 1], --noise not negative".into());
    }
    let names: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let mut malformed = false;
    let mut failed = false;
    for (file, name) in args.files.iter().zip(&names) {
        let report = golden::load(file).map(|f| match &gpu {
            Some(ctx) => golden::gpu::check_gpu(&f, ctx, &free),
            None => golden::check_with(&f, path, &free),
        });
        match report {
            Err(e) => {
                eprintln!("{e}");
                println!("{name:<width$}  {:<ENV_WIDTH$}  ERROR (malformed or unreadable, see stderr)", "?");
                malformed = true;
            }
            Ok(r) => {
                println!("{name:<width$}  {}", line(&r, &path_name));
                if args.episodes {
                    for (e, f) in r.outcome.free.iter().enumerate() {
                        let h = &f.twin_horizons;
                        println!(
                            "    episode {e}: followed {} of {} steps (bar {}; twins' horizons min {}, median {}, max {})",
                            f.followed,
                            f.length,
                            f.bar,
                            h.first().unwrap_or(&0),
                            h.get(h.len() / 2).unwrap_or(&0),
                            h.last().unwrap_or(&0)
                        );
                    }
                }
                for f in &r.outcome.failures {
                    println!("    {f}");
                }
                if r.outcome.more_failures > 0 {
                    println!("    ... and {} more failures", r.outcome.more_failures);
                }
                failed |= !r.passed();
            }
        }
    }
    Ok(if malformed {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Everything after the file name: env, path, sizes, the two replays' figures, verdict.
fn line(r: &Report, path: &str) -> String {
    let o = &r.outcome;
    let worst = match &o.worst.non_finite {
        Some(at) => format!("worst error not finite ({at})"),
        None => format!(
            "worst {} eps*M (limit {}), max abs error {:.3e}",
            if o.worst.ulps < 1e6 { format!("{:.1}", o.worst.ulps) } else { num(o.worst.ulps) },
            golden::TEACHER_ULPS,
            o.worst.abs
        ),
    };
    format!(
        "{:<ENV_WIDTH$}  path={path} episodes={} steps={}  teacher-forced: {worst}  free-running: followed {} of {} steps (bar {})  {}",
        r.env_id,
        r.episodes,
        o.steps,
        o.free_followed(),
        o.free_length(),
        o.free_bar(),
        if r.passed() { "PASS" } else { "FAIL" }
    )
}
