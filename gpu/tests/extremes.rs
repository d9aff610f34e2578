//! The extremes of the declared parameter and state ranges on the GPU: the smaller sibling of
//! `tests/extremes.rs` (which scans the CPU), for the WGSL mirrors of the steps. Per env, 256
//! envs with a configuration each (every field at its low end, at its high end, each field alone
//! at each end, then seeded random corners), 1,000 steps with actions up to the largest accepted
//! magnitude, in same-step mode, and in next-step mode with states at the edges of the state
//! ranges written every 250 steps: every observation, final observation, reward and state
//! finite. `write_env_state` refuses states outside the ranges with the CPU's error.

mod support;

use fusegym_core::{ActionSpace, Actions, Autoreset, EnvConfig, EnvInfo, Error, ParamValue, Valid, ENVS};
use fusegym_gpu::{GpuError, GpuVecEnv};
use support::hash;

const N: usize = 256;
const STEPS: usize = 1_000;
const STATE_EVERY: usize = 250;

fn ends(v: Valid) -> (f32, f32) {
    (if v.lo_closed { v.lo } else { v.lo.next_up() }, if v.hi_closed { v.hi } else { v.hi.next_down() })
}

/// `[field][env]`: env 0 at every low end, env 1 at every high end, then each field alone at
/// each end, then random corners; constraints between fields repaired as in `tests/extremes.rs`.
fn corners(info: &EnvInfo, salt: usize) -> Vec<Vec<f32>> {
    let f = info.params.len();
    let mut v = vec![vec![0f32; N]; f];
    for i in 0..N {
        for (k, field) in info.params.iter().enumerate() {
            let (lo, hi) = ends(field.valid);
            v[k][i] = match i {
                0 => lo,
                1 => hi,
                _ if i < 2 + 2 * f => match i - 2 {
                    j if j / 2 == k => [lo, hi][j % 2],
                    _ => field.default,
                },
                _ => [lo, hi][(hash(i, salt, k) & 1) as usize],
            };
        }
        for _ in 0..8 {
            for o in info.order {
                if o.holds(o.left(|k| v[k][i]), v[o.high][i]) {
                    continue;
                }
                match o.gap {
                    None => {
                        let (a, b) = (v[o.low][i], v[o.high][i]);
                        v[o.low][i] = b;
                        v[o.high][i] = a;
                    }
                    Some((k, _)) => v[k][i] = ends(info.params[k].valid).0,
                }
                if !o.holds(o.left(|k| v[k][i]), v[o.high][i]) {
                    for k in o.fields() {
                        v[k][i] = info.params[k].default;
                    }
                }
            }
        }
    }
    v
}

fn actions(space: ActionSpace, t: usize) -> (Vec<u32>, Vec<f32>) {
    let largest = ((1u64 << 60) as f32).next_down();
    match space {
        ActionSpace::Discrete { n } => ((0..N).map(|i| hash(i, t, 0) % n).collect(), vec![]),
        ActionSpace::Box { dim, low, high } => (
            vec![],
            (0..dim * N)
                .map(|j| {
                    let (k, i) = (j / N, j % N);
                    match hash(i, t, k + 1) % 6 {
                        0 => largest,
                        1 => -largest,
                        2 => low[k],
                        3 => high[k],
                        _ => 0.0,
                    }
                })
                .collect(),
        ),
    }
}

fn finite(what: &str, t: usize, values: &[f32]) {
    if let Some(j) = values.iter().position(|v| !v.is_finite()) {
        panic!("{what}: step {t}: value {j} of {} is {}", values.len(), values[j]);
    }
}

#[test]
fn the_extremes_of_every_range_keep_the_gpu_finite() {
    let Some(ctx) = support::context() else { return };
    let started = std::time::Instant::now();
    for info in ENVS {
        for (salt, mode) in [(1, Autoreset::SameStep), (2, Autoreset::NextStep)] {
            let vals = corners(info, salt);
            let mut config = EnvConfig { autoreset: mode, ..EnvConfig::new(N, 77 + salt as u64) };
            config.params = info.params.iter().zip(vals).map(|(f, v)| (f.name.to_string(), ParamValue::PerEnv(v))).collect();
            let what = format!("{} {mode:?}", info.id);
            let mut env = GpuVecEnv::new(&ctx, info.id, &config).unwrap_or_else(|e| panic!("{what}: {e}"));
            let space = env.action_space();
            for t in 0..STEPS {
                if mode == Autoreset::NextStep && t.is_multiple_of(STATE_EVERY) {
                    let mask: Vec<bool> = (0..N).map(|i| i.is_multiple_of(2)).collect();
                    for i in (0..N).filter(|&i| mask[i]) {
                        let s: Vec<f32> = info
                            .state_valid
                            .iter()
                            .enumerate()
                            .map(|(k, &v)| {
                                let (lo, hi) = ends(v);
                                [lo, hi, 0.0][(hash(i, t, k + 9) % 3) as usize]
                            })
                            .collect();
                        env.write_env_state(i, &s, 0).unwrap_or_else(|e| panic!("{what}: {s:?}: {e}"));
                    }
                    finite(&what, t, &env.observe_envs(&mask).unwrap().obs);
                }
                let (d, c) = actions(space, t);
                let a = if space.is_discrete() { Actions::Discrete(&d) } else { Actions::Continuous(&c) };
                let step = env.step(a).unwrap_or_else(|e| panic!("{what}: step {t}: {e}"));
                finite(&what, t, &step.obs);
                finite(&what, t, &step.reward);
                for i in (0..N).filter(|&i| step.has_final.get(i) == Some(&true)) {
                    finite(&what, t, &step.final_obs_of(i).unwrap());
                }
            }
            finite(&what, STEPS, &env.state().unwrap());
        }
    }
    eprintln!("GPU extremes: {} envs x 2 batches x {N} envs x {STEPS} steps in {:.1} s", ENVS.len(), started.elapsed().as_secs_f64());
}

#[test]
fn a_state_outside_its_declared_range_is_refused_on_the_gpu_too() {
    let Some(ctx) = support::context() else { return };
    for info in ENVS {
        let mut env = GpuVecEnv::new(&ctx, info.id, &EnvConfig::new(2, 0)).unwrap();
        let mut s = vec![0.0; info.state_names.len()];
        for (k, &v) in info.state_valid.iter().enumerate() {
            s[k] = ends(v).1.next_up();
            match env.write_env_state(1, &s, 0) {
                Err(GpuError::Core(Error::InvalidState { name, index, .. })) => assert_eq!((name, index), (info.state_names[k], k)),
                other => panic!("{} {}: {other:?}", info.id, info.state_names[k]),
            }
            s[k] = ends(v).1;
            env.write_env_state(1, &s, 0).unwrap();
            s[k] = 0.0;
        }
    }
}
