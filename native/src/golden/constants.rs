//! The header's constants must be ours: a file recorded with other physics (or edited) is a
//! mismatch, not something to replay with a wider tolerance.
//!
//! Everything compared comes from the env's declarations in the core: its parameter fields
//! ([`fusegym_core::params!`], with Gymnasium's names) and its other reference constants
//! ([`fusegym_core::Env::REFERENCE_CONSTANTS`]). A header constant that neither declares is
//! reported, and so is a declared reference field the header leaves out.

use super::schema::GoldenFile;
use fusegym_core::{EnvInfo, RefConst};
use serde_json::Value;

/// The header's `constants`, nested objects (`code_constants`) flattened, names lower-cased.
fn flatten(map: &serde_json::Map<String, Value>, out: &mut Vec<(String, Value)>) {
    for (k, v) in map {
        match v {
            Value::Object(inner) => flatten(inner, out),
            _ => out.push((k.to_lowercase(), v.clone())),
        }
    }
}

/// Equal up to float32 rounding (our constants are the header's float64 values rounded to
/// float32).
fn same_number(theirs: f64, mine: f32) -> bool {
    (theirs - mine as f64).abs() <= f32::EPSILON as f64 * theirs.abs()
}

/// What the header says against what we use, for one header entry.
fn compare(info: &EnvInfo, name: &str, value: &Value, problems: &mut Vec<String>, seen: &mut [bool]) {
    let id = info.id;
    let mut field = |k: usize, theirs: &Value, label: &str, problems: &mut Vec<String>| {
        seen[k] = true;
        let mine = info.params[k].default;
        match theirs.as_f64() {
            Some(t) if same_number(t, mine) => {}
            _ => problems.push(format!("header.constants.{label} = {theirs}, but {id} uses {mine}")),
        }
    };
    if let Some(k) = info.param_index(name) {
        return field(k, value, name, problems);
    }
    // A list (Acrobot's AVAIL_TORQUE) is declared as fields `name_0`, `name_1`, ...
    if let Value::Array(items) = value {
        let ks: Vec<Option<usize>> = (0..items.len()).map(|j| info.param_index(&format!("{name}_{j}"))).collect();
        if !items.is_empty() && ks.iter().all(Option::is_some) && info.param_index(&format!("{name}_{}", items.len())).is_none() {
            for (j, (item, k)) in items.iter().zip(ks).enumerate() {
                field(k.unwrap(), item, &format!("{name}[{j}]"), problems);
            }
            return;
        }
    }
    match info.reference_constants.iter().find(|(n, _)| *n == name) {
        Some((_, RefConst::Derived | RefConst::Described)) => {}
        Some((_, RefConst::Text(t))) if value.as_str() == Some(t) => {}
        Some((_, RefConst::Flag(b))) if value.as_bool() == Some(*b) => {}
        Some((_, RefConst::Number(x))) if value.as_f64() == Some(*x) => {}
        Some((_, mine)) => problems.push(format!("header.constants.{name} = {value}, but {id} uses {mine:?}")),
        None => problems.push(format!("header.constants.{name} = {value} is not a constant {id} knows")),
    }
}

/// Every header constant that differs from ours beyond float32 rounding, that we do not know,
/// or that the header should have and lacks.
pub fn mismatches(file: &GoldenFile) -> Vec<String> {
    let h = &file.header;
    let info = match fusegym_core::info(&h.env_id) {
        Ok(info) => info,
        Err(e) => return vec![format!("header.env_id: {e}")],
    };
    let mut problems = vec![];
    let max_steps = (info.max_episode_steps)();
    if h.max_episode_steps != max_steps {
        problems.push(format!("header.max_episode_steps = {}, but {} uses {max_steps}", h.max_episode_steps, h.env_id));
    }
    let mut found = vec![];
    flatten(&h.constants, &mut found);
    let mut seen = vec![false; info.params.len()];
    for (name, value) in &found {
        compare(info, name, value, &mut problems, &mut seen);
    }
    for (k, f) in info.params.iter().enumerate() {
        if f.in_reference && !seen[k] {
            problems.push(format!("header.constants has no {} ({} declares it as a Gymnasium constant)", f.name, h.env_id));
        }
    }
    problems
}
