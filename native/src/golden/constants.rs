//! The header's constants must be ours: a file recorded with other physics (or edited) is a
//! mismatch, not something to replay with a wider tolerance.

use super::schema::GoldenFile;
use fusegym_core::envs::*;
use fusegym_core::Env;
use serde_json::Value;

/// Our value of each named param field, as a header would spell it.
macro_rules! fields {
    ($p:expr; $($name:ident),+ $(,)?) => {
        vec![$((stringify!($name), Value::from($p.$name as f64))),+]
    };
}

/// `(name as in the header, our value)` for every constant we can compare, and the time limit.
fn ours(env_id: &str) -> Option<(Vec<(&'static str, Value)>, u32)> {
    let id = |spec: fusegym_core::EnvSpec| spec.id == env_id;
    Some(if id(CartPole::SPEC) {
        let p = CartPoleParams::default();
        let mut t = fields!(p; gravity, masscart, masspole, length, force_mag, tau, theta_threshold_radians, x_threshold);
        t.push(("total_mass", Value::from((p.masspole + p.masscart) as f64)));
        t.push(("polemass_length", Value::from((p.masspole * p.length) as f64)));
        t.push(("kinematics_integrator", Value::from("euler")));
        t.push(("sutton_barto_reward", Value::from(false)));
        (t, p.max_episode_steps)
    } else if id(MountainCar::SPEC) {
        let p = MountainCarParams::default();
        (fields!(p; min_position, max_position, max_speed, goal_position, goal_velocity, force, gravity), p.max_episode_steps)
    } else if id(MountainCarContinuous::SPEC) {
        let p = MountainCarContinuousParams::default();
        let t = fields!(p; min_action, max_action, min_position, max_position, max_speed, goal_position, goal_velocity, power,
            gravity_term, goal_reward, action_cost_coef);
        (t, p.max_episode_steps)
    } else if id(Pendulum::SPEC) {
        let p = PendulumParams::default();
        (fields!(p; max_speed, max_torque, dt, g, m, l, cost_thdot_coef, cost_u_coef), p.max_episode_steps)
    } else if id(Acrobot::SPEC) {
        let p = AcrobotParams::default();
        let mut t = fields!(p; dt, link_length_1, link_length_2, link_mass_1, link_mass_2, link_com_pos_1, link_com_pos_2,
            link_moi, max_vel_1, max_vel_2, g, terminal_height);
        t.push(("avail_torque", Value::from(p.avail_torque.iter().map(|&x| x as f64).collect::<Vec<_>>())));
        // The deterministic "book" dynamics are the only ones implemented.
        t.push(("torque_noise_max", Value::from(0.0)));
        t.push(("book_or_nips", Value::from("book")));
        (t, p.max_episode_steps)
    } else {
        return None;
    })
}

/// The header's `constants`, nested objects (`code_constants`) flattened, names lower-cased.
fn flatten(map: &serde_json::Map<String, Value>, out: &mut Vec<(String, Value)>) {
    for (k, v) in map {
        match v {
            Value::Object(inner) => flatten(inner, out),
            _ => out.push((k.to_lowercase(), v.clone())),
        }
    }
}

/// Equal up to float32 rounding for numbers (our constants are the header's float64 values
/// rounded to float32), exactly equal otherwise.
fn same(theirs: &Value, mine: &Value) -> bool {
    match (theirs.as_f64(), mine.as_f64()) {
        (Some(t), Some(m)) => (t - m).abs() <= f32::EPSILON as f64 * t.abs(),
        _ => theirs == mine,
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
    flatten(&h.constants, &mut found);
    for (name, value) in found {
        let Some((_, mine)) = table.iter().find(|(n, _)| *n == name) else { continue };
        if !same(&value, mine) {
            problems.push(format!("header.constants.{name} = {value}, but {} uses {mine}", h.env_id));
        }
    }
    problems
}
