//! `fusegym info`: versions, environments with their spaces, SIMD paths.

use fusegym::hardware::Hardware;
use fusegym::{make, ActionSpace, ENV_IDS};
use std::process::ExitCode;

pub fn run() -> Result<ExitCode, String> {
    let hw = Hardware::detect();
    println!("fusegym {}  ({} {}, {} cores, {})", hw.fusegym_version, hw.arch, hw.os, hw.cores, hw.cpu);
    println!("SIMD paths available: {}  (default: {})", hw.simd_available.join(", "), hw.simd_path);
    println!("GPU backend: not built into this version");
    println!();
    println!("{:<26} {:<40} {:<28} {}", "env", "observation", "action", "time limit");
    for id in ENV_IDS {
        let env = make(id, 1, 0).map_err(|e| e.to_string())?;
        let obs = format!("Box({}): {}", env.obs_dim(), env.obs_names().join(", "));
        let act = match env.action_space() {
            ActionSpace::Discrete { n } => format!("Discrete({n})"),
            ActionSpace::Box { dim, low, high } => format!("Box({dim}) in [{}, {}]", low[0], high[0]),
        };
        let limit = match env.max_episode_steps() {
            0 => "none".to_string(),
            n => n.to_string(),
        };
        println!("{id:<26} {obs:<40} {act:<28} {limit}");
    }
    Ok(ExitCode::SUCCESS)
}
