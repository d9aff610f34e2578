//! The batch configuration flags `run` and `bench` share: `--autoreset`, `--param`, `--redraw`.
//! Names and ranges are checked against the env's parameter declaration, so a typo or an
//! out-of-range value is exit 2 with the name and the valid range.

use fusegym::{info, Autoreset, EnvConfig, EnvInfo, ParamValue};

/// `same-step`, `next-step` or `disabled` (Gymnasium's SAME_STEP, NEXT_STEP, DISABLED).
pub fn parse_autoreset(s: &str) -> Result<Autoreset, String> {
    Autoreset::from_name(s).ok_or_else(|| format!("--autoreset {s:?}: expected same-step, next-step or disabled"))
}

/// A float the user typed, as f32: it must be finite in f32 (1e40 is not).
pub fn parse_f32(what: &str, s: &str) -> Result<f32, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("{what}: {s:?} is not a number"))?;
    if !v.is_finite() {
        return Err(format!("{what}: {s:?} is not finite"));
    }
    let f = v as f32;
    if !f.is_finite() {
        return Err(format!("{what}: {s} is outside f32's range (largest magnitude {:e})", f32::MAX));
    }
    Ok(f)
}

/// A `--policy` as parsed, owning its values.
pub enum Owned {
    /// `random`.
    Random,
    /// `constant:V[,V...]`.
    Constant(Vec<f32>),
    /// `linear:FILE`: weights and bias.
    Linear(Vec<f32>, Vec<f32>),
}

/// `--policy random`, `constant:V[,V...]` or `linear:FILE` (a JSON object with the arrays
/// `weights` and `bias`); every value must be finite in f32.
pub fn parse_policy(spec: &str) -> Result<Owned, String> {
    if spec == "random" {
        return Ok(Owned::Random);
    }
    if let Some(v) = spec.strip_prefix("constant:") {
        let vals: Result<Vec<f32>, _> = v.split(',').map(|x| parse_f32(&format!("--policy {spec:?}"), x)).collect();
        return vals.map(Owned::Constant);
    }
    if let Some(path) = spec.strip_prefix("linear:") {
        let text = std::fs::read_to_string(path).map_err(|e| format!("--policy {spec:?}: cannot read {path}: {e}"))?;
        return parse_linear(path, &text);
    }
    Err(format!("--policy {spec:?}: expected random, constant:V[,V...] or linear:FILE"))
}

/// The text of a `linear:FILE` policy (`path` names it in errors).
pub fn parse_linear(path: &str, text: &str) -> Result<Owned, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?;
    let nums = |key: &str| -> Result<Vec<f32>, String> {
        v[key]
            .as_array()
            .ok_or(format!("{path}: missing array \"{key}\""))?
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let f = x.as_f64().ok_or(format!("{path}: {key}[{i}] is not a number"))?;
                parse_f32(&format!("{path}: {key}[{i}]"), &f.to_string())
            })
            .collect()
    };
    Ok(Owned::Linear(nums("weights")?, nums("bias")?))
}

/// One `--param NAME=VALUE` or `--param NAME=LO..HI`, checked against `env`'s declaration.
pub fn parse_param(env: &EnvInfo, spec: &str) -> Result<(String, ParamValue), String> {
    let (name, value) = spec.split_once('=').ok_or_else(|| format!("--param {spec:?}: expected NAME=VALUE or NAME=LO..HI"))?;
    let name = name.trim();
    let k = env.param_index(name).ok_or_else(|| {
        let known: Vec<&str> = env.params.iter().map(|f| f.name).collect();
        format!("--param {spec:?}: {} has no parameter {name:?}; its parameters are: {}", env.id, known.join(", "))
    })?;
    let field = &env.params[k];
    let what = format!("--param {name}");
    let check = |v: f32| {
        if field.valid.contains(v) {
            Ok(v)
        } else {
            Err(format!(
                "--param {spec:?}: {name} = {} is outside its valid range {}",
                fusegym::error::Num(v as f64),
                field.valid.describe()
            ))
        }
    };
    let value = match value.split_once("..") {
        Some((lo, hi)) => {
            let (lo, hi) = (check(parse_f32(&what, lo)?)?, check(parse_f32(&what, hi)?)?);
            if lo > hi {
                return Err(format!("--param {spec:?}: the range's low end {lo} exceeds its high end {hi}"));
            }
            ParamValue::Range { low: lo, high: hi }
        }
        None => ParamValue::Shared(check(parse_f32(&what, value)?)?),
    };
    Ok((name.to_string(), value))
}

/// The configuration of a batch of `id`.
pub fn config(id: &str, num_envs: usize, seed: u64, autoreset: &str, params: &[String], redraw: bool) -> Result<EnvConfig, String> {
    let env = info(id).map_err(|e| e.to_string())?;
    let mut c = EnvConfig { autoreset: parse_autoreset(autoreset)?, redraw_each_episode: redraw, ..EnvConfig::new(num_envs, seed) };
    for p in params {
        c.params.push(parse_param(env, p)?);
    }
    Ok(c)
}

/// How a configuration's parameters read in a report: `shared` (with the shared values set,
/// e.g. `shared force_mag=12`), or the per-env fields (and the shared values after them).
pub fn describe_params(c: &EnvConfig) -> String {
    let mut shared = vec![];
    let mut per_env = vec![];
    for (name, v) in &c.params {
        match v {
            ParamValue::Range { low, high } => per_env.push(format!("{name}~U[{low},{high})")),
            ParamValue::PerEnv(_) => per_env.push(format!("{name}[per env]")),
            ParamValue::Shared(x) => shared.push(format!("{name}={x}")),
        }
    }
    let shared = if shared.is_empty() { String::new() } else { format!(" {}", shared.join(" ")) };
    if per_env.is_empty() {
        format!("shared{shared}")
    } else {
        let redrawn = if c.redraw_each_episode { " (redrawn)" } else { "" };
        let rest = if shared.is_empty() { String::new() } else { format!(", shared{shared}") };
        format!("per-env {}{redrawn}{rest}", per_env.join(" "))
    }
}
