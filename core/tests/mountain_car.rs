//! MountainCar-v0 against an `f64` transcription of Gymnasium's `mountain_car.py` written here,
//! independently of the code under test, plus the `VecEnv` behaviour around it (auto-reset,
//! truncation, input errors).

use fusegym_core::envs::{MountainCar, MountainCarParams};
use fusegym_core::{Actions, Error, VecEnv};

// Gymnasium's constants, as written in mountain_car.py.
const MIN_POSITION: f64 = -1.2;
const MAX_POSITION: f64 = 0.6;
const MAX_SPEED: f64 = 0.07;
const GOAL_POSITION: f64 = 0.5;
const FORCE: f64 = 0.001;
const GRAVITY: f64 = 0.0025;

/// Gymnasium's step in `f64`: `(position, velocity, terminated)`.
fn reference(position: f32, velocity: f32, action: u32) -> (f64, f64, bool) {
    let (mut x, mut v) = (position as f64, velocity as f64);
    v += (action as f64 - 1.0) * FORCE + (3.0 * x).cos() * (-GRAVITY);
    v = v.clamp(-MAX_SPEED, MAX_SPEED);
    x += v;
    x = x.clamp(MIN_POSITION, MAX_POSITION);
    if x == MIN_POSITION && v < 0.0 {
        v = 0.0;
    }
    (x, v, x >= GOAL_POSITION && v >= 0.0)
}

/// Tolerances. Every state value is a sum of terms no larger than its component's bound
/// (|position| <= 1.2, |velocity| <= 0.07), each rounded to `f32` a few times; the one cosine is
/// within ~3e-7 absolute and is scaled by gravity (0.0025), so it adds far less than an ulp.
/// Four ulp (`4 * EPSILON * bound`) therefore covers `f32` rounding with margin, while any
/// mistake in the equations (a sign, a constant, sin for cos) is orders of magnitude larger.
const TOL_POSITION: f64 = 4.0 * f32::EPSILON as f64 * 1.2;
const TOL_VELOCITY: f64 = 4.0 * f32::EPSILON as f64 * MAX_SPEED;

struct Step {
    /// Observation of the state the step reached (`final_obs` when the episode ended).
    obs: [f32; 2],
    reward: f32,
    terminated: bool,
    truncated: bool,
}

/// One step of env 0 from `state` with `elapsed` steps already taken.
fn step_from(params: MountainCarParams, state: [f32; 2], elapsed: u32, action: u32) -> Step {
    let mut env = VecEnv::<MountainCar>::with_params(params, 1, 0).unwrap();
    env.set_env_state(0, &state, elapsed).unwrap();
    let v = env.step(Actions::Discrete(&[action])).unwrap();
    let done = v.terminated[0] || v.truncated[0];
    let o = if done { &v.final_obs.to_dense()[..] } else { v.obs };
    Step { obs: [o[0], o[1]], reward: v.reward[0], terminated: v.terminated[0], truncated: v.truncated[0] }
}

fn step(state: [f32; 2], action: u32) -> Step {
    step_from(MountainCarParams::default(), state, 0, action)
}

fn assert_matches_reference(state: [f32; 2], action: u32) {
    let (x, v, term) = reference(state[0], state[1], action);
    let s = step(state, action);
    let what = format!("state {state:?} action {action}: got {:?}, want ({x}, {v})", s.obs);
    assert!((s.obs[0] as f64 - x).abs() <= TOL_POSITION, "position, {what}");
    assert!((s.obs[1] as f64 - v).abs() <= TOL_VELOCITY, "velocity, {what}");
    assert_eq!(s.terminated, term, "terminated, {what}");
    assert!(!s.truncated, "{what}");
    assert_eq!(s.reward, -1.0, "{what}");
}

#[test]
fn one_step_matches_the_f64_equations() {
    let states = [
        [-0.5, 0.0],    // bottom of the valley, at rest
        [-0.52, 0.013], // reset region, moving right
        [-0.9, -0.035], // left slope, moving left fast
        [0.2, 0.04],    // right slope
        [-1.19, -0.05], // about to hit the left wall
        [-1.2, 0.0],    // at the left wall
        [0.59, 0.05],   // about to pass the right end
        [0.0, -0.0699], // speed limit, negative
        [-1.0, 0.0699], // speed limit, positive
        [0.3, 1.0e-6],  // tiny velocity
    ];
    for state in states {
        for action in 0..3 {
            assert_matches_reference(state, action);
        }
    }
}

#[test]
fn velocity_is_clipped_to_max_speed() {
    // 0 - 0.001 - 0.0025 cos(0) = -0.0035 added to -0.0699: past -0.07.
    let s = step([0.0, -0.0699], 0);
    assert_eq!(s.obs[1], -0.07f32);
    assert!((s.obs[0] as f64 - -0.07).abs() <= TOL_POSITION);
    // cos(-3) < 0, so gravity pushes right here, and so does the engine.
    let s = step([-1.0, 0.0699], 2);
    assert_eq!(s.obs[1], 0.07f32);
    assert!((s.obs[0] as f64 - (-1.0 + 0.07)).abs() <= TOL_POSITION);
}

#[test]
fn left_wall_stops_the_car() {
    let s = step([-1.19, -0.05], 0);
    assert_eq!(s.obs, [-1.2f32, 0.0]);
    // At the wall but moving right: velocity is kept.
    let (_, v, _) = reference(-1.2, 0.01, 2);
    let s = step([-1.2, 0.01], 2);
    assert!(s.obs[1] > 0.0 && (s.obs[1] as f64 - v).abs() <= TOL_VELOCITY);
}

#[test]
fn right_end_clips_position_but_keeps_velocity() {
    let (_, v, _) = reference(0.59, 0.05, 2);
    let s = step([0.59, 0.05], 2);
    assert_eq!(s.obs[0], 0.6f32);
    assert!(v > 0.04 && (s.obs[1] as f64 - v).abs() <= TOL_VELOCITY);
    assert!(s.terminated);
}

#[test]
fn goal_terminates_only_moving_forward() {
    let s = step([0.49, 0.02], 1);
    assert!(s.terminated && s.obs[0] >= 0.5 && s.obs[1] >= 0.0);
    assert_eq!(s.reward, -1.0, "the terminating step is still -1");
    // Past the goal position but rolling back: velocity < goal_velocity.
    let s = step([0.55, -0.01], 0);
    assert!(s.obs[0] >= 0.5 && s.obs[1] < 0.0);
    assert!(!s.terminated);
    // A goal_velocity above the car's speed (about 0.0198 here) keeps the episode going.
    let params = MountainCarParams { goal_velocity: 0.03, ..Default::default() };
    let s = step_from(params, [0.49, 0.02], 0, 1);
    assert!(s.obs[0] >= 0.5 && !s.terminated);
}

#[test]
fn termination_auto_resets_into_the_reset_range() {
    let mut env = VecEnv::<MountainCar>::new(3, 11).unwrap();
    env.set_env_state(1, &[0.49, 0.02], 57).unwrap();
    let v = env.step(Actions::Discrete(&[1, 1, 1])).unwrap();
    assert_eq!(v.terminated, &[false, true, false]);
    let (x, vel) = (v.obs[1], v.obs[3 + 1]);
    assert!((-0.6..=-0.4).contains(&x) && vel == 0.0, "obs after auto-reset: ({x}, {vel})");
    assert_eq!(env.elapsed()[1], 0);
    assert_eq!(env.episodes(), &[0, 1, 0]);
}

#[test]
fn reset_draws_lie_in_range_and_differ() {
    let n = 1000;
    let env = VecEnv::<MountainCar>::new(n, 3).unwrap();
    let (pos, vel) = env.obs().split_at(n);
    // [-0.6, -0.4) before rounding; rounding to f32 can reach -0.4 itself.
    assert!(pos.iter().all(|x| (-0.6..=-0.4).contains(x)), "position outside [-0.6, -0.4]");
    assert!(vel.iter().all(|&v| v == 0.0));
    let mut sorted: Vec<u32> = pos.iter().map(|x| x.to_bits()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    // ~3e6 distinct f32 values in the range: a handful of collisions at most.
    assert!(sorted.len() >= n - 5, "only {} distinct reset positions", sorted.len());
    // Uniform on a width-0.2 interval: mean -0.5, standard error 0.2 / sqrt(12 n) ≈ 0.0018.
    let mean = pos.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
    assert!((mean + 0.5).abs() < 0.01, "mean reset position {mean}");
    let other = VecEnv::<MountainCar>::new(n, 4).unwrap();
    assert_ne!(env.obs(), other.obs(), "different seeds, same resets");
}

#[test]
fn truncates_at_exactly_max_episode_steps() {
    // With the engine off the car cannot climb out of the valley (it conserves energy), so
    // only the time limit ends these episodes.
    let n = 5;
    let mut env = VecEnv::<MountainCar>::new(n, 21).unwrap();
    let idle = vec![1u32; n];
    for t in 1..200 {
        let v = env.step(Actions::Discrete(&idle)).unwrap();
        assert!(v.truncated.iter().all(|&b| !b), "truncated early at step {t}");
        assert!(v.terminated.iter().all(|&b| !b));
    }
    let before: Vec<f32> = env.state().to_vec();
    let v = env.step(Actions::Discrete(&idle)).unwrap();
    assert!(v.truncated.iter().all(|&b| b) && v.terminated.iter().all(|&b| !b));
    for i in 0..n {
        // final_obs is the 200th state, continuing from the 199th; obs is the next episode's.
        let (x, vel, _) = reference(before[i], before[n + i], 1);
        assert!((v.final_obs.get(i).unwrap()[0] as f64 - x).abs() <= TOL_POSITION);
        assert!((v.final_obs.get(i).unwrap()[1] as f64 - vel).abs() <= TOL_VELOCITY);
        assert!((-0.6..=-0.4).contains(&v.obs[i]) && v.obs[n + i] == 0.0);
    }
    assert!(env.elapsed().iter().all(|&e| e == 0));
    let v = env.step(Actions::Discrete(&idle)).unwrap();
    assert!(v.truncated.iter().all(|&b| !b));
}

#[test]
fn truncation_counts_from_set_env_state() {
    assert!(!step_from(MountainCarParams::default(), [-0.5, 0.0], 198, 1).truncated);
    assert!(step_from(MountainCarParams::default(), [-0.5, 0.0], 199, 1).truncated);
    // Reaching the goal on the last step: both flags, as Gymnasium's TimeLimit reports.
    let s = step_from(MountainCarParams::default(), [0.49, 0.02], 199, 1);
    assert!(s.terminated && s.truncated);
}

#[test]
fn invalid_actions_are_rejected_with_the_exact_error() {
    let mut env = VecEnv::<MountainCar>::new(2, 0).unwrap();
    let state = env.state().to_vec();
    let env_id = "MountainCar-v0";
    assert_eq!(env.step(Actions::Discrete(&[1, 3])).unwrap_err(), Error::ActionOutOfRange { env: env_id, index: 1, value: 3, n: 3 });
    assert_eq!(env.step(Actions::DiscreteI32(&[-1, 0])).unwrap_err(), Error::ActionOutOfRange { env: env_id, index: 0, value: -1, n: 3 });
    assert!(matches!(env.step(Actions::Continuous(&[0.0, f32::NAN])), Err(Error::ActionType { .. })));
    assert!(matches!(env.step(Actions::Continuous(&[1.0, 1.0])), Err(Error::ActionType { .. })));
    assert_eq!(env.step(Actions::Discrete(&[1])).unwrap_err(), Error::ActionLength { env: env_id, expected: 2, got: 1 });
    assert_eq!(env.state(), &state[..], "a rejected step must not change the state");
    assert!(env.step(Actions::DiscreteI32(&[2, 0])).is_ok());
}
