//! `fusegym validate [--backend scalar|simd] FILE...`: one line per file, exit 0 when all pass,
//! 1 on a mismatch, 2 when a file is unreadable or malformed (with what and where).

use fusegym::golden;
use fusegym::{Backend, SimdPath};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Lane implementation to replay with.
    #[arg(long, value_enum, default_value = "simd")]
    backend: Which,
    /// Golden files (schema in tests/golden/README.md).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Which {
    Scalar,
    Simd,
}

pub fn run(args: ValidateArgs) -> Result<ExitCode, String> {
    let path: SimdPath = match args.backend {
        Which::Scalar => Backend::Scalar.path(),
        Which::Simd => Backend::Simd.path(),
    };
    let mut malformed = false;
    let mut failed = false;
    for file in &args.files {
        match golden::validate_file(file, path) {
            Err(e) => {
                eprintln!("{e}");
                println!("{}  ERROR (see stderr)", file.display());
                malformed = true;
            }
            Ok(r) => {
                let o = &r.outcome;
                println!(
                    "{:<26} {:<26} path={} episodes={} steps={} max_abs_err={:.3e} max_err={:.1}eps*M (limit {}) free_running={}/{} {}",
                    file.display().to_string(),
                    r.env_id,
                    path,
                    r.episodes,
                    o.steps,
                    o.worst.abs,
                    o.worst.ulps,
                    golden::TEACHER_ULPS,
                    o.free_matched,
                    o.free_required,
                    if r.passed() { "PASS" } else { "FAIL" }
                );
                for f in &o.failures {
                    println!("    {f}");
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
