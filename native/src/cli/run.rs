//! `fusegym run`: plays episodes of one env and prints each episode's return and length.

use super::BackendArg;
use fusegym::{make, Policy, Serial, SimdPath, Threads};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Environment id.
    #[arg(long)]
    env: String,
    /// Episodes to play.
    #[arg(long, default_value_t = 5)]
    episodes: usize,
    /// `random`, `constant:V[,V...]`, or `linear:FILE` (JSON `{"weights": [...], "bias": [...]}`,
    /// layout as `Policy::Linear`).
    #[arg(long, default_value = "random")]
    policy: String,
    /// Backend.
    #[arg(long, value_enum, default_value = "simd")]
    backend: BackendArg,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

enum Owned {
    Random,
    Constant(Vec<f32>),
    Linear(Vec<f32>, Vec<f32>),
}

fn parse_policy(spec: &str) -> Result<Owned, String> {
    if spec == "random" {
        return Ok(Owned::Random);
    }
    if let Some(v) = spec.strip_prefix("constant:") {
        let vals: Result<Vec<f32>, _> = v.split(',').map(|x| x.trim().parse::<f32>()).collect();
        return vals.map(Owned::Constant).map_err(|e| format!("--policy {spec:?}: {e}"));
    }
    if let Some(path) = spec.strip_prefix("linear:") {
        let text = std::fs::read_to_string(path).map_err(|e| format!("--policy {spec:?}: cannot read {path}: {e}"))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        let nums = |key: &str| -> Result<Vec<f32>, String> {
            v[key]
                .as_array()
                .ok_or(format!("{path}: missing array \"{key}\""))?
                .iter()
                .enumerate()
                .map(|(i, x)| x.as_f64().map(|f| f as f32).ok_or(format!("{path}: {key}[{i}] is not a number")))
                .collect()
        };
        return Ok(Owned::Linear(nums("weights")?, nums("bias")?));
    }
    Err(format!("--policy {spec:?}: expected random, constant:V[,V...] or linear:FILE"))
}

pub fn run(a: RunArgs) -> Result<ExitCode, String> {
    if a.episodes == 0 {
        return Err("--episodes must be at least 1".into());
    }
    let owned = parse_policy(&a.policy)?;
    let policy = match &owned {
        Owned::Random => Policy::Random,
        Owned::Constant(v) => Policy::Constant(v),
        Owned::Linear(w, b) => Policy::Linear { weights: w, bias: b },
    };
    let mut env = make(&a.env, 1, a.seed).map_err(|e| e.to_string())?;
    let threads;
    let exec: &dyn fusegym::Executor = match a.backend {
        BackendArg::Scalar => {
            env.set_simd_path(SimdPath::Scalar).map_err(|e| e.to_string())?;
            &Serial
        }
        BackendArg::Simd => &Serial,
        BackendArg::Threads => {
            threads = Threads::new(0).map_err(|e| e.to_string())?;
            &threads
        }
    };
    println!("{} with policy {} on {} (seed {})", a.env, a.policy, env.simd_path(), a.seed);
    let (mut ret, mut len) = (0f64, 0u64);
    let mut results = vec![];
    while results.len() < a.episodes {
        env.rollout_with(1, policy, None, exec).map_err(|e| e.to_string())?;
        let v = env.view();
        ret += v.reward[0] as f64;
        len += 1;
        if v.terminated[0] || v.truncated[0] {
            let how = if v.terminated[0] { "terminated" } else { "truncated" };
            println!("episode {:>4}: return {:>10.3}  length {:>6}  {how}", results.len(), ret, len);
            results.push((ret, len));
            (ret, len) = (0.0, 0);
        }
    }
    let k = results.len() as f64;
    let mean_ret = results.iter().map(|r| r.0).sum::<f64>() / k;
    let mean_len = results.iter().map(|r| r.1 as f64).sum::<f64>() / k;
    println!("mean over {} episodes: return {mean_ret:.3}, length {mean_len:.1}", results.len());
    Ok(ExitCode::SUCCESS)
}
