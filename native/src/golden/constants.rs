//! The header's constants must be ours: a file recorded with other physics (or edited) is a
//! mismatch, not something to replay with a wider tolerance.

use super::schema::GoldenFile;
use fusegym_core::envs::*;
use fusegym_core::Env;
use serde_json::Value;

/// `(name as in the header, our value)` for every constant we can compare.
fn ours(env_id: &str) -> Option<(Vec<(&'static str, f64)>, u32)> {
    Some(match env_id {
        id if id == CartPole::SPEC.id => {
            let p = CartPoleParams::default();
            (
                vec![
                    ("gravity", p.gravity as f64),
                    ("masscart", p.masscart as f64),
                    ("masspole", p.masspole as f64),
                    ("total_mass", (p.masspole + p.masscart) as f64),
                    ("length", p.length as f64),
                    ("polemass_length", (p.masspole * p.length) as f64),
                    ("force_mag", p.force_mag as f64),
                    ("tau", p.tau as f64),
                    ("theta_threshold_radians", p.theta_threshold_radians as f64),
                    ("x_threshold", p.x_threshold as f64),
                ],
                p.max_episode_steps,
            )
        }
        _ => return None,
    })
}

/// Numbers in the header's `constants`, nested objects flattened, names lower-cased.
fn flatten(prefix: &str, map: &serde_json::Map<String, Value>, out: &mut Vec<(String, f64)>) {
    for (k, v) in map {
        let name = k.to_lowercase();
        match v {
            Value::Number(x) => out.push((name, x.as_f64().unwrap_or(f64::NAN))),
            Value::Object(inner) => flatten(&format!("{prefix}{name}."), inner, out),
            _ => {}
        }
    }
}

/// Every header constant that differs from ours beyond float32 rounding.
pub fn mismatches(file: &GoldenFile) -> Vec<String> {
    let h = &file.header;
    let Some((table, max_steps)) = ours(&h.env_id) else {
        return vec![format!("{}: no constants table to compare the header with", h.env_id)];
    };
    let mut problems = vec![];
    if h.max_episode_steps != max_steps {
        problems.push(format!("header.max_episode_steps = {}, but {} uses {max_steps}", h.max_episode_steps, h.env_id));
    }
    let mut found = vec![];
    flatten("", &h.constants, &mut found);
    for (name, value) in found {
        let Some((_, mine)) = table.iter().find(|(n, _)| n.eq_ignore_ascii_case(&name)) else { continue };
        // Our constants are the header's float64 values rounded to float32.
        if !((value - mine).abs() <= f32::EPSILON as f64 * value.abs()) {
            problems.push(format!("header.constants.{name} = {value}, but {} uses {mine}", h.env_id));
        }
    }
    problems
}
