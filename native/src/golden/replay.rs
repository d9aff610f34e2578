//! Replaying a golden file through our step, teacher-forced and free-running.
//!
//! Tolerances (the reasoning is in `docs/parity.md`):
//! * Teacher-forced (state set from the float64 record, one recorded action applied): every
//!   number must be within [`TEACHER_ULPS`] units of `f32::EPSILON * M`, where `M` is the
//!   largest magnitude (at least 1) among the step's input state, recorded output state,
//!   observation and reward. Flags must match exactly.
//! * Free-running (state set once, recorded actions replayed): float32 and float64 part ways in
//!   chaotic systems, so the check measures how long float32 *itself* can follow a 1-ulp
//!   perturbation of the start (the "twin horizon" `h`), and requires our trajectory to follow
//!   the record within [`FREE_REL`] of `M` with identical flags and rewards for at least `h / 2`
//!   steps (the whole episode when the twins never separate).

use super::schema::{Episode, GoldenFile};
use fusegym_core::{make, ActionSpace, Actions, DynVecEnv, SimdPath};

/// Teacher-forced tolerance in units of `f32::EPSILON * M` (see module docs).
pub const TEACHER_ULPS: f64 = 16.0;
/// Free-running divergence threshold, relative to `M`.
pub const FREE_REL: f64 = 1e-3;

/// Worst teacher-forced error seen, and where.
#[derive(Clone, Debug, Default)]
pub struct Worst {
    /// Largest |ours - record|.
    pub abs: f64,
    /// Largest error in units of `EPSILON * M`.
    pub ulps: f64,
    /// Where the largest `ulps` happened.
    pub at: String,
}

/// Outcome of replaying one file.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Teacher-forced steps checked.
    pub steps: usize,
    /// Worst teacher-forced error.
    pub worst: Worst,
    /// Free-running steps that matched the record.
    pub free_matched: usize,
    /// Free-running steps required (sum of `h/2`, or episode lengths).
    pub free_required: usize,
    /// Shortest twin horizon over episodes (chaos), in steps.
    pub min_twin_horizon: usize,
    /// Human-readable failures (first few).
    pub failures: Vec<String>,
}

impl Outcome {
    fn fail(&mut self, msg: String) {
        if self.failures.len() < 8 {
            self.failures.push(msg);
        }
    }
}

fn magnitude<'a>(vals: impl IntoIterator<Item = &'a f64>) -> f64 {
    vals.into_iter().fold(1.0f64, |m, v| m.max(v.abs()))
}

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|x| *x as f32).collect()
}

/// One column of a feature-major buffer.
/// Env `i`'s final observation (same-step mode: present for every env that finished).
fn final_column(v: &fusegym_core::StepView<'_>, i: usize) -> Vec<f64> {
    v.final_obs.get(i).expect("a finished env has a final observation").iter().map(|&x| x as f64).collect()
}

fn column(buf: &[f32], n: usize, i: usize, dim: usize) -> Vec<f64> {
    (0..dim).map(|k| buf[k * n + i] as f64).collect()
}

/// Actions of step `t` for every lane; lanes past their episode get action 0 / 0.0.
struct ActionBatch {
    disc: Vec<u32>,
    cont: Vec<f32>,
}
impl ActionBatch {
    fn fill(&mut self, space: ActionSpace, lanes: &[(&Episode, usize)], t: usize) {
        self.disc.clear();
        self.cont.clear();
        for (ep, _) in lanes {
            let a = if t < ep.length { ep.actions[t] } else { 0.0 };
            match space {
                ActionSpace::Discrete { .. } => self.disc.push(a as u32),
                ActionSpace::Box { .. } => self.cont.push(a as f32),
            }
        }
    }
    fn get(&self, space: ActionSpace) -> Actions<'_> {
        if space.is_discrete() {
            Actions::Discrete(&self.disc)
        } else {
            Actions::Continuous(&self.cont)
        }
    }
}

/// Checks the recorded discrete actions are valid indices (else the file is malformed).
pub fn check_actions(file: &GoldenFile, space: ActionSpace) -> Result<(), String> {
    for (e, ep) in file.episodes.iter().enumerate() {
        for (t, a) in ep.actions.iter().enumerate() {
            if let ActionSpace::Discrete { n } = space {
                if a.fract() != 0.0 || *a < 0.0 || *a >= n as f64 {
                    return Err(format!("episodes[{e}].actions[{t}]: {a} is not an action of Discrete({n})"));
                }
            }
        }
    }
    Ok(())
}

/// Teacher-forced replay: every step starts from the recorded state.
pub fn teacher_forced(file: &GoldenFile, path: SimdPath, out: &mut Outcome) -> Result<(), String> {
    let id = file.header.env_id.as_str();
    let k = file.episodes.len();
    let mut env = make(id, k, 0).map_err(|e| e.to_string())?;
    env.set_simd_path(path).map_err(|e| e.to_string())?;
    let space = env.action_space();
    let (od, sd) = (env.obs_dim(), env.state_dim());
    let lanes: Vec<(&Episode, usize)> = file.episodes.iter().enumerate().map(|(e, ep)| (ep, e)).collect();
    let mut acts = ActionBatch { disc: vec![], cont: vec![] };
    let longest = file.episodes.iter().map(|e| e.length).max().unwrap_or(0);
    for t in 0..longest {
        for (ep, e) in &lanes {
            let (start, elapsed) = if t == 0 || t >= ep.length {
                (&ep.initial_state, 0)
            } else {
                (&ep.states[t - 1], t as u32)
            };
            env.set_env_state(*e, &f32s(start), elapsed).map_err(|err| err.to_string())?;
        }
        acts.fill(space, &lanes, t);
        env.step(acts.get(space)).map_err(|err| err.to_string())?;
        let v = env.view();
        for (ep, e) in &lanes {
            if t >= ep.length {
                continue;
            }
            out.steps += 1;
            let e = *e;
            let at = format!("episode {e} step {t}");
            let (term, trunc) = (v.terminated[e], v.truncated[e]);
            if term != ep.terminated[t] || trunc != ep.truncated[t] {
                out.fail(format!(
                    "{at}: terminated/truncated = {term}/{trunc}, record says {}/{}",
                    ep.terminated[t], ep.truncated[t]
                ));
                continue;
            }
            let done = term || trunc;
            let obs = if done { final_column(&v, e) } else { column(v.obs, k, e, od) };
            let prev = if t == 0 { &ep.initial_state } else { &ep.states[t - 1] };
            let m = magnitude(prev.iter().chain(&ep.states[t]).chain(&ep.obs[t]).chain([&ep.rewards[t]]));
            let mut compare = |what: &str, ours: f64, theirs: f64| {
                let err = (ours - theirs).abs();
                let ulps = err / (f32::EPSILON as f64 * m);
                if ulps > out.worst.ulps {
                    out.worst.ulps = ulps;
                    out.worst.at = format!("{at} {what}");
                }
                out.worst.abs = out.worst.abs.max(err);
                if !(ulps <= TEACHER_ULPS) {
                    out.fail(format!("{at}: {what} = {ours}, record {theirs} (error {ulps:.1} x eps x {m:.3})"));
                }
            };
            for c in 0..od {
                compare(&format!("obs[{c}]"), obs[c], ep.obs[t][c]);
            }
            compare("reward", v.reward[e] as f64, ep.rewards[t]);
            if !done {
                let st = column(env.state(), k, e, sd);
                for c in 0..sd {
                    compare(&format!("state[{c}]"), st[c], ep.states[t][c]);
                }
            }
        }
    }
    Ok(())
}

fn nudge(x: f32, up: bool) -> f32 {
    if x == 0.0 {
        return if up { f32::from_bits(1) } else { -f32::from_bits(1) };
    }
    let bits = x.to_bits();
    // Moving the magnitude's bits by one is one ulp away from or towards zero.
    f32::from_bits(if (x > 0.0) == up { bits + 1 } else { bits - 1 })
}

/// Free-running replay with 1-ulp twins (see module docs).
pub fn free_running(file: &GoldenFile, path: SimdPath, out: &mut Outcome) -> Result<(), String> {
    let id = file.header.env_id.as_str();
    let k = file.episodes.len();
    let n = 3 * k;
    let mut env: Box<dyn DynVecEnv> = make(id, n, 0).map_err(|e| e.to_string())?;
    env.set_simd_path(path).map_err(|e| e.to_string())?;
    let space = env.action_space();
    let od = env.obs_dim();
    // Lane e follows the record, lanes k+e and 2k+e start one ulp above and below it.
    let lanes: Vec<(&Episode, usize)> = (0..n).map(|l| (&file.episodes[l % k], l)).collect();
    for (ep, l) in &lanes {
        let s = f32s(&ep.initial_state);
        let s: Vec<f32> = match l / k {
            0 => s,
            1 => s.iter().map(|x| nudge(*x, true)).collect(),
            _ => s.iter().map(|x| nudge(*x, false)).collect(),
        };
        env.set_env_state(*l, &s, 0).map_err(|e| e.to_string())?;
    }
    let mut matched: Vec<Option<usize>> = vec![None; k]; // first step where ours left the record
    let mut twins: Vec<Option<usize>> = vec![None; k]; // first step where a twin left ours
    let mut acts = ActionBatch { disc: vec![], cont: vec![] };
    let longest = file.episodes.iter().map(|e| e.length).max().unwrap_or(0);
    for t in 0..longest {
        acts.fill(space, &lanes, t);
        env.step(acts.get(space)).map_err(|e| e.to_string())?;
        let v = env.view();
        let lane_obs = |l: usize| {
            let done = v.terminated[l] || v.truncated[l];
            (if done { final_column(&v, l) } else { column(v.obs, n, l, od) }, v.terminated[l], v.truncated[l], v.reward[l] as f64)
        };
        for e in 0..k {
            let ep = &file.episodes[e];
            if t >= ep.length {
                continue;
            }
            let m = magnitude(ep.obs[t].iter().chain([&ep.rewards[t]]));
            let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= FREE_REL * m);
            let ours = lane_obs(e);
            if matched[e].is_none() {
                let same = close(&ours.0, &ep.obs[t])
                    && ours.1 == ep.terminated[t]
                    && ours.2 == ep.truncated[t]
                    && (ours.3 - ep.rewards[t]).abs() <= FREE_REL * m;
                if !same {
                    matched[e] = Some(t);
                }
            }
            if twins[e].is_none() {
                for twin in [e + k, e + 2 * k] {
                    let tw = lane_obs(twin);
                    if !(close(&tw.0, &ours.0) && tw.1 == ours.1 && tw.2 == ours.2) {
                        twins[e] = Some(t);
                    }
                }
            }
        }
    }
    let mut min_h = usize::MAX;
    for e in 0..k {
        let len = file.episodes[e].length;
        let r = matched[e].unwrap_or(len);
        let h = twins[e].unwrap_or(len);
        min_h = min_h.min(h);
        let required = if twins[e].is_none() { len } else { h / 2 };
        out.free_required += required;
        out.free_matched += r.min(len);
        if r < required {
            out.fail(format!(
                "episode {e}: free-running left the record at step {r}, but float32 twins stay together until step {h} (required {required})"
            ));
        }
    }
    out.min_twin_horizon = min_h;
    Ok(())
}
