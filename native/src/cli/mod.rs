//! Argument parsing and dispatch; each command lives in its own file.

mod bench;
mod config;
mod episodes;
mod gpu;
mod info;
mod memory;
mod run;
mod soak;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Vectorized RL environments with one fused SIMD step.
#[derive(Parser, Debug)]
#[command(name = "fusegym", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Benchmark every environment on every backend (validates each backend first).
    Bench(bench::BenchArgs),
    /// Play episodes of one environment and print their returns and lengths.
    Run(run::RunArgs),
    /// Replay Gymnasium golden trajectories and report how close our step comes.
    Validate(validate::ValidateArgs),
    /// Versions, environments and their spaces, SIMD paths available; `--env ID` for one env's
    /// parameters.
    Info(info::InfoArgs),
    /// Long run (default 10^10 steps of CartPole-v1 and Acrobot-v1) on all threads: every
    /// observation and reward checked finite, steps/s per time window.
    Soak(soak::SoakArgs),
}

/// Runs a command; `Err` is bad input (exit 2).
pub fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Bench(a) => bench::run(a),
        Command::Run(a) => run::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Info(a) => info::run(a),
        Command::Soak(a) => soak::run(a),
    }
}

/// The backends the CLI knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendArg {
    /// One env at a time, one thread.
    Scalar,
    /// Best SIMD path, one thread.
    Simd,
    /// Best SIMD path on all threads (or --threads).
    Threads,
    /// The GPU through wgpu (Vulkan, Metal, DX12); no adapter is an error, never a CPU fallback.
    Gpu,
}

/// The name `--backend` gives `b`.
pub fn backend_name(b: BackendArg) -> &'static str {
    match b {
        BackendArg::Scalar => "scalar",
        BackendArg::Simd => "simd",
        BackendArg::Threads => "threads",
        BackendArg::Gpu => "gpu",
    }
}
