//! The `fusegym` command line: `bench`, `validate`, `info`.
//!
//! Exit codes shared by every command: 0 ok, 1 a check failed, 2 bad input.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fusegym: {e}");
            ExitCode::from(2)
        }
    }
}
