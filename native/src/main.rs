//! The `fusegym` command line: `bench`, `validate`, `info`.
//!
//! Exit codes shared by every command: 0 ok, 1 a check failed, 2 bad input.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fusegym: {e}");
            ExitCode::from(2)
        }
    }
}

/// A closed pipe ends the program quietly, for every command (`fusegym info | head -c 10`,
/// `fusegym run ... | head`): Rust ignores SIGPIPE, so a write to a closed pipe returns EPIPE
/// and `println!` panics with "failed printing to stdout". Restoring the signal's default
/// action makes the process end on the first such write, as `cat` or `grep` do (the shell
/// reports status 141, and nothing is printed).
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first in `main`, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
