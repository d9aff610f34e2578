//! Every configuration the API accepts keeps observations and rewards finite: a scan over every
//! declared parameter range and state range of every registered env (the proof behind
//! `docs/robustness.md`, "Parameter and state ranges").
//!
//! Per env, batches of 256 envs in which every env has its own configuration (one value per env
//! for every field), 10,000 steps each, checked at every step: every observation, final
//! observation, reward and state component finite.
//!
//! - **Corners**, in each autoreset mode and once with no time limit: env 0 has every field at
//!   the low end of its range and env 1 at the high end; then each field alone at each end (the
//!   rest at Gymnasium's defaults); then the edge of each constraint between fields (its larger
//!   side as close to the smaller as allowed, e.g. an arena one ulp high); then random corners,
//!   every field at one of its ends (seeded, 600 to 700 per env over the four batches), and one
//!   in four of the random envs a random interior point instead. Corners that break a constraint between
//!   fields are repaired (ends swapped, the margin at its low end, or the fields put back to
//!   their defaults).
//! - **States at the edges**: in two of the corner batches, every 500 steps half the envs get a
//!   state from `set_env_state` whose components are each at an end of the component's declared
//!   range, at 0, or a random point of it.
//! - **Ranges**: every field drawn per env from its whole declared range (`ParamRanges`,
//!   redrawn at every reset), the ranges of constrained fields split so that the constraints
//!   hold for every draw; three batches per env.
//! - **Actions**: uniform discrete actions; continuous ones at ±(2^60 - ulp) (the largest
//!   accepted), at the ends of the action space, 0, or uniform in twice its width.
//!
//! The whole scan takes a few seconds (`--profile fast`, 2 busy cores).

use fusegym::{make_with, ActionSpace, Actions, Autoreset, EnvConfig, EnvInfo, Error, ParamRanges, ParamValue, Valid, ENVS};

/// Envs per batch.
const N: usize = 256;
/// Steps per batch.
const STEPS: usize = 10_000;
/// Steps between two rounds of `set_env_state` at the state ranges' edges.
const STATE_EVERY: usize = 500;

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// A uniform draw in [0, 1) from `key`.
fn unit(key: u64) -> f32 {
    (mix(key) >> 40) as f32 / 16_777_216.0
}

/// The closed ends of a declared range (the float inside an open end).
fn ends(valid: Valid) -> (f32, f32) {
    assert!(valid.lo.is_finite() && valid.hi.is_finite(), "every declared range is bounded: {}", valid.describe());
    let lo = if valid.lo_closed { valid.lo } else { valid.lo.next_up() };
    let hi = if valid.hi_closed { valid.hi } else { valid.hi.next_down() };
    (lo, hi)
}

/// A random point of `[lo, hi]`: log-uniform over a positive range wider than 100x, else uniform.
fn interior(lo: f32, hi: f32, u: f32) -> f32 {
    let v = if lo > 0.0 && hi / lo > 100.0 { lo * (hi / lo).powf(u) } else { lo + (hi - lo) * u };
    v.clamp(lo, hi)
}

/// Puts env `i`'s values (`vals[field][i]`) back inside every constraint between fields: swaps
/// the ends of a plain order, moves a margin to its low end, and as a last resort restores the
/// constraint's fields to their defaults.
fn repair(info: &EnvInfo, vals: &mut [Vec<f32>], i: usize) {
    for _ in 0..8 {
        let mut clean = true;
        for o in info.order {
            let holds = |v: &[Vec<f32>]| o.holds(o.left(|k| v[k][i]), v[o.high][i]);
            if holds(vals) {
                continue;
            }
            clean = false;
            match o.gap {
                None => {
                    let (a, b) = (vals[o.low][i], vals[o.high][i]);
                    vals[o.low][i] = b;
                    vals[o.high][i] = a;
                }
                Some((k, _)) => vals[k][i] = ends(info.params[k].valid).0,
            }
            if !holds(vals) {
                for k in o.fields() {
                    vals[k][i] = info.params[k].default;
                }
            }
        }
        if clean {
            return;
        }
    }
    panic!("{}: env {i}'s corner could not be repaired", info.id);
}

/// Per-env values (`[field][env]`) of the corner batch `batch`.
fn corners(info: &EnvInfo, batch: u64) -> Vec<Vec<f32>> {
    let f = info.params.len();
    let edges = 2 + 2 * f;
    let mut vals = vec![vec![0f32; N]; f];
    for i in 0..N {
        for (k, field) in info.params.iter().enumerate() {
            let (lo, hi) = ends(field.valid);
            let key = mix(batch << 48 ^ (i as u64) << 16 ^ k as u64 ^ 0xc0);
            vals[k][i] = match i {
                0 => lo,
                1 => hi,
                _ if i < edges => match i - 2 {
                    j if j / 2 == k && j.is_multiple_of(2) => lo,
                    j if j / 2 == k => hi,
                    _ => field.default,
                },
                _ if i < edges + 2 * info.order.len() => field.default,
                _ if i % 4 == 3 => interior(lo, hi, unit(key)),
                _ if key & 1 == 0 => lo,
                _ => hi,
            };
        }
        // The edge of each constraint between fields: its smaller side at the low end of its
        // field (or the default), any margin at its low end, the larger side as close above as
        // the constraint allows (e.g. an arena one ulp high).
        if (edges..edges + 2 * info.order.len()).contains(&i) {
            let o = &info.order[(i - edges) / 2];
            if (i - edges).is_multiple_of(2) {
                vals[o.low][i] = ends(info.params[o.low].valid).0;
            }
            if let Some((k, _)) = o.gap {
                vals[k][i] = ends(info.params[k].valid).0;
            }
            let left = o.left(|k| vals[k][i]);
            let (lo, hi) = ends(info.params[o.high].valid);
            vals[o.high][i] = (if o.strict { left.next_up() } else { left }).clamp(lo, hi);
        }
        repair(info, &mut vals, i);
    }
    vals
}

/// Every field's whole range, split where constraints need it (split points drawn from `seed`),
/// so that every draw satisfies every constraint.
fn ranges(info: &EnvInfo, seed: u64) -> ParamRanges {
    let mut r: Vec<(f32, f32)> = info.params.iter().map(|f| ends(f.valid)).collect();
    for pass in 0..8 {
        let mut clean = true;
        for (j, o) in info.order.iter().enumerate() {
            let worst_low = o.left(|k| r[k].1);
            if o.holds(worst_low, r[o.high].0) {
                continue;
            }
            clean = false;
            match o.gap {
                None => {
                    // Split the overlap at a drawn point, leaving a tenth of it on either side
                    // unused so that margin constraints keep room.
                    let (lo, hi) = (r[o.high].0.max(r[o.low].0), r[o.low].1.min(r[o.high].1));
                    let s = lo + (hi - lo) * (0.3 + 0.4 * unit(seed ^ (pass * 64 + j) as u64));
                    let g = 0.1 * (hi - lo);
                    r[o.low].1 = (s - g).max(r[o.low].0);
                    r[o.high].0 = (s + g).min(r[o.high].1);
                }
                Some((k, c)) => {
                    let room = (r[o.high].0 - r[o.low].1) / c;
                    let top = room * (0.2 + 0.7 * unit(seed ^ 0x9a9 ^ j as u64));
                    r[k].1 = top.max(r[k].0);
                }
            }
        }
        if clean {
            break;
        }
    }
    info.params.iter().zip(&r).fold(ParamRanges::new().redraw_each_episode(true), |acc, (f, &(lo, hi))| acc.range(f.name, lo, hi))
}

/// Continuous actions the core accepts, from in-range values to the largest magnitude.
fn continuous(key: u64, low: f32, high: f32) -> f32 {
    let largest = ((1u64 << 60) as f32).next_down();
    let x = mix(key);
    match x % 8 {
        0 => largest,
        1 => -largest,
        2 => low,
        3 => high,
        4 => 0.0,
        _ => {
            let mid = 0.5 * (low + high);
            mid + (unit(x) - 0.5) * 2.0 * (high - low)
        }
    }
}

/// A state at the edges of the declared state ranges (each component at an end, 0, or a random
/// point of its range).
fn edge_state(info: &EnvInfo, key: u64) -> Vec<f32> {
    info.state_valid
        .iter()
        .enumerate()
        .map(|(k, &valid)| {
            let (lo, hi) = ends(valid);
            let x = mix(key ^ (k as u64) << 56);
            match x % 4 {
                0 => lo,
                1 => hi,
                2 => 0.0,
                _ => interior(lo, hi, unit(x)),
            }
        })
        .collect()
}

/// Steps one batch `STEPS` times and checks that everything stays finite; `set_states` sets
/// edge states every `STATE_EVERY` steps. Returns the largest |observation| and |reward| seen,
/// or a description of the first failure.
fn run(info: &EnvInfo, config: &EnvConfig, set_states: bool, what: &str) -> Result<(f32, f32), String> {
    let mut env = make_with(info.id, config).map_err(|e| format!("{what}: not accepted: {e}"))?;
    let (n, od, sd) = (env.num_envs(), env.obs_dim(), env.state_dim());
    let space = env.action_space();
    let mut discrete = vec![0u32; n];
    let mut cont = vec![0f32; space.dim() * n];
    let fail = |t: usize, i: usize, msg: String| format!("{what}: step {t}, env {i}: {msg}");
    let (mut largest_obs, mut largest_reward) = (0f32, 0f32);
    for t in 0..STEPS {
        if set_states && t.is_multiple_of(STATE_EVERY) {
            for i in (0..n).filter(|i| i % 2 == t / STATE_EVERY % 2) {
                let s = edge_state(info, config.seed ^ (t * n + i) as u64);
                env.set_env_state(i, &s, 0).map_err(|e| fail(t, i, format!("set_env_state({s:?}): {e}")))?;
            }
        }
        let key = config.seed << 40 ^ (t as u64) << 20;
        let step = match space {
            ActionSpace::Discrete { n: count } => {
                for (i, a) in discrete.iter_mut().enumerate() {
                    *a = (mix(key ^ i as u64) % count as u64) as u32;
                }
                env.step(Actions::Discrete(&discrete))
            }
            ActionSpace::Box { low, high, .. } => {
                for (j, a) in cont.iter_mut().enumerate() {
                    let k = j / n;
                    *a = continuous(key ^ j as u64, low[k], high[k]);
                }
                env.step(Actions::Continuous(&cont))
            }
        }
        .map_err(|e| format!("{what}: step {t}: {e}"))?;
        for i in 0..n {
            if !step.reward[i].is_finite() {
                return Err(fail(t, i, format!("reward {}", step.reward[i])));
            }
            if let Some(k) = (0..od).find(|&k| !step.obs[k * n + i].is_finite()) {
                return Err(fail(t, i, format!("observation[{k}] {}", step.obs[k * n + i])));
            }
        }
        for (i, o) in step.final_obs.iter() {
            if let Some(v) = o.iter().find(|v| !v.is_finite()) {
                return Err(fail(t, i, format!("final observation {v}")));
            }
            largest_obs = o.iter().fold(largest_obs, |m, v| m.max(v.abs()));
        }
        largest_obs = step.obs.iter().fold(largest_obs, |m, v| m.max(v.abs()));
        largest_reward = step.reward.iter().fold(largest_reward, |m, v| m.max(v.abs()));
        let done: Vec<bool> = (0..n).map(|i| step.terminated[i] || step.truncated[i]).collect();
        let state = env.state();
        if let Some(j) = (0..sd * n).find(|&j| !state[j].is_finite()) {
            return Err(fail(t, j % n, format!("state[{}] {}", j / n, state[j])));
        }
        if config.autoreset == Autoreset::Disabled && done.iter().any(|&d| d) {
            let obs = env.reset_envs(&done).map_err(|e| e.to_string())?;
            if let Some(j) = (0..od * n).find(|&j| !obs[j].is_finite()) {
                return Err(fail(t, j % n, format!("observation after reset_envs {}", obs[j])));
            }
        }
    }
    Ok((largest_obs, largest_reward))
}

fn scan(info: &EnvInfo) -> Vec<String> {
    let mut failures = vec![];
    let (mut obs, mut reward) = (0f32, 0f32);
    let mut record = |r: Result<(f32, f32), String>| match r {
        Ok((o, w)) => {
            obs = obs.max(o);
            reward = reward.max(w);
        }
        Err(e) => failures.push(e),
    };
    let modes = [
        (Autoreset::SameStep, None, false),
        (Autoreset::NextStep, None, true),
        (Autoreset::Disabled, None, false),
        (Autoreset::SameStep, Some(0), true),
    ];
    for (b, &(mode, limit, set_states)) in modes.iter().enumerate() {
        let vals = corners(info, b as u64);
        let mut config = EnvConfig { autoreset: mode, max_episode_steps: limit, ..EnvConfig::new(N, 0x5ca1 + b as u64) };
        config.params = info.params.iter().zip(vals).map(|(f, v)| (f.name.to_string(), ParamValue::PerEnv(v))).collect();
        let what = format!(
            "{} corners {mode:?}{}{}",
            info.id,
            if limit == Some(0) { ", no time limit" } else { "" },
            if set_states { ", edge states" } else { "" }
        );
        record(run(info, &config, set_states, &what));
    }
    for (b, mode) in Autoreset::ALL.into_iter().enumerate() {
        let config = EnvConfig { autoreset: mode, ..EnvConfig::new(N, 0x4a9e + b as u64) }.with_ranges(ranges(info, b as u64));
        record(run(info, &config, false, &format!("{} ranges {mode:?}", info.id)));
    }
    eprintln!("{}: largest |observation| {obs:e}, largest |reward| {reward:e}", info.id);
    failures
}

#[test]
fn every_accepted_configuration_keeps_observations_and_rewards_finite() {
    let started = std::time::Instant::now();
    let failures: Vec<String> = ENVS.iter().flat_map(scan).collect();
    eprintln!("scanned {} envs in {:.1} s", ENVS.len(), started.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{} batch(es) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_parameter_range_is_bounded_and_holds_the_default_well_inside() {
    for info in ENVS {
        for f in info.params {
            let (lo, hi) = ends(f.valid);
            assert!(lo <= f.default && f.default <= hi, "{}: {} = {} outside {}", info.id, f.name, f.default, f.valid.describe());
        }
        assert_eq!(info.state_valid.len(), info.state_names.len(), "{}: one state range per component", info.id);
        for v in info.state_valid {
            ends(*v);
        }
    }
}

#[test]
fn a_state_outside_its_declared_range_is_an_error_naming_the_component() {
    for info in ENVS {
        let mut env = make_with(info.id, &EnvConfig::new(3, 1)).unwrap();
        for (k, &valid) in info.state_valid.iter().enumerate() {
            let (lo, hi) = ends(valid);
            let mut s: Vec<f32> = (0..info.state_names.len()).map(|j| env.state()[j * 3 + 1]).collect();
            for edge in [lo, hi] {
                s[k] = edge;
                env.set_env_state(1, &s, 0)
                    .unwrap_or_else(|e| panic!("{}: {} = {edge} at its range's end: {e}", info.id, info.state_names[k]));
            }
            for beyond in [lo.next_down(), hi.next_up(), 1e30, -1e30] {
                s[k] = beyond;
                match env.set_env_state(1, &s, 0) {
                    Err(Error::InvalidState { name, index, .. }) if name == info.state_names[k] && index == k => {}
                    other => panic!("{}: {} = {beyond}: {other:?}", info.id, info.state_names[k]),
                }
            }
            s[k] = f32::NAN;
            assert!(matches!(env.set_env_state(1, &s, 0), Err(Error::NonFinite { what: "state", index }) if index == k));
        }
    }
}
