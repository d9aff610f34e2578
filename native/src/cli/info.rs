//! `fusegym info`: versions, environments with their spaces, SIMD paths; `--env ID` adds the
//! env's parameters (name, default, valid range, doc), read from its declaration.

use fusegym::hardware::Hardware;
use fusegym::{info, ActionSpace, EnvInfo, ENVS};
use serde_json::json;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    /// Show one environment in full: spaces, time limit and every parameter.
    #[arg(long)]
    env: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn action_text(space: ActionSpace) -> String {
    match space {
        ActionSpace::Discrete { n } => format!("Discrete({n})"),
        ActionSpace::Box { dim, low, high } => format!("Box({dim}) in [{}, {}]", low[0], high[0]),
    }
}

fn limit_text(steps: u32) -> String {
    match steps {
        0 => "none".to_string(),
        n => format!("{n} steps"),
    }
}

fn env_json(e: &EnvInfo) -> serde_json::Value {
    let space = (e.action_space)();
    let action = match space {
        ActionSpace::Discrete { n } => json!({"kind": "discrete", "n": n}),
        ActionSpace::Box { dim, low, high } => json!({"kind": "box", "shape": [dim], "low": &low[..dim], "high": &high[..dim]}),
    };
    let params: Vec<_> = e
        .params
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "default": f.default,
                "valid": f.valid.describe(),
                "doc": f.doc.trim(),
                "in_reference": f.in_reference,
            })
        })
        .collect();
    let order: Vec<String> = e.order.iter().map(|o| format!("{} {} {}", e.params[o.low].name, o.symbol(), e.params[o.high].name)).collect();
    json!({
        "id": e.id,
        "reference": e.reference,
        "observation": {"shape": [e.obs_names.len()], "names": e.obs_names},
        "state": {"names": e.state_names},
        "action": action,
        "max_episode_steps": (e.max_episode_steps)(),
        "params": params,
        "param_constraints": order,
    })
}

fn print_env(e: &EnvInfo) {
    println!("{}  ({})", e.id, e.reference);
    println!("  observation: Box({}): {}", e.obs_names.len(), e.obs_names.join(", "));
    println!("  state:       {}", e.state_names.join(", "));
    println!("  action:      {}", action_text((e.action_space)()));
    println!("  time limit:  {} (max_episode_steps; 0 = none)", limit_text((e.max_episode_steps)()));
    println!("  parameters (set with --param NAME=VALUE, or NAME=LO..HI per env):");
    let w = e.params.iter().map(|f| f.name.len()).max().unwrap_or(4);
    for f in e.params {
        println!("    {:<w$}  {:>12}  {:<16} {}", f.name, format!("{}", f.default), f.valid.describe(), f.doc.trim());
    }
    if !e.order.is_empty() {
        let order: Vec<String> = e.order.iter().map(|o| format!("{} {} {}", e.params[o.low].name, o.symbol(), e.params[o.high].name)).collect();
        println!("  constraints: {}", order.join(", "));
    }
}

pub fn run(a: InfoArgs) -> Result<ExitCode, String> {
    let hw = Hardware::detect();
    if let Some(id) = &a.env {
        let e = info(id).map_err(|e| e.to_string())?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&env_json(e)).map_err(|e| e.to_string())?);
        } else {
            print_env(e);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.json {
        let doc = json!({"hardware": hw, "gpu": null, "envs": ENVS.iter().map(env_json).collect::<Vec<_>>()});
        println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("fusegym {}  ({} {}, {} cores, {})", hw.fusegym_version, hw.arch, hw.os, hw.cores, hw.cpu);
    println!("SIMD paths available: {}  (default: {})", hw.simd_available.join(", "), hw.simd_path);
    println!("GPU backend: not built into this version");
    println!();
    println!("{:<26} {:<24} {:<22} {:>10}  {}", "env", "action", "time limit", "params", "observation");
    for e in ENVS {
        let obs = format!("Box({}): {}", e.obs_names.len(), e.obs_names.join(", "));
        println!("{:<26} {:<24} {:<22} {:>10}  {obs}", e.id, action_text((e.action_space)()), limit_text((e.max_episode_steps)()), e.params.len());
    }
    println!();
    println!("`fusegym info --env ID` lists an env's parameters, their defaults and valid ranges.");
    Ok(ExitCode::SUCCESS)
}
