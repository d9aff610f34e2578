//! MountainCarContinuous-v0 against an `f64` transcription of Gymnasium's
//! `continuous_mountain_car.py` written here, independently of the code under test, plus the
//! `VecEnv` behaviour around it (clipping, auto-reset, truncation, input errors).

use fusegym_core::envs::MountainCarContinuous;
use fusegym_core::{Actions, Error, VecEnv};

// Gymnasium's constants, as written in continuous_mountain_car.py.
const MIN_POSITION: f64 = -1.2;
const MAX_POSITION: f64 = 0.6;
const MAX_SPEED: f64 = 0.07;
const GOAL_POSITION: f64 = 0.45;
const POWER: f64 = 0.0015;

/// Gymnasium's step in `f64`: `(position, velocity, reward, terminated)`.
fn reference(position: f32, velocity: f32, action: f32) -> (f64, f64, f64, bool) {
    let (mut x, mut v, a) = (position as f64, velocity as f64, action as f64);
    let force = a.clamp(-1.0, 1.0);
    v += force * POWER - 0.0025 * (3.0 * x).cos();
    v = v.clamp(-MAX_SPEED, MAX_SPEED);
    x += v;
    x = x.clamp(MIN_POSITION, MAX_POSITION);
    if x == MIN_POSITION && v < 0.0 {
        v = 0.0;
    }
    let terminated = x >= GOAL_POSITION && v >= 0.0;
    // The cost uses the unclipped action.
    let reward = if terminated { 100.0 } else { 0.0 } - a * a * 0.1;
    (x, v, reward, terminated)
}

/// Tolerances. Every state value is a sum of terms no larger than its component's bound
/// (|position| <= 1.2, |velocity| <= 0.07), each rounded to `f32` a few times; the one cosine is
/// within ~3e-7 absolute and is scaled by 0.0025, so it adds far less than an ulp. Four ulp of
/// the bound covers `f32` rounding with margin; an error in the equations is orders larger.
/// The reward is a product of three roundings (a², ×0.1, −): four ulp of its own magnitude.
const TOL_POSITION: f64 = 4.0 * f32::EPSILON as f64 * 1.2;
const TOL_VELOCITY: f64 = 4.0 * f32::EPSILON as f64 * MAX_SPEED;
fn tol_reward(r: f64) -> f64 {
    4.0 * f32::EPSILON as f64 * r.abs()
}

struct Step {
    /// Observation of the state the step reached (`final_obs` when the episode ended).
    obs: [f32; 2],
    reward: f32,
    terminated: bool,
    truncated: bool,
}

fn step_from(state: [f32; 2], elapsed: u32, action: f32) -> Step {
    let mut env = VecEnv::<MountainCarContinuous>::new(1, 0).unwrap();
    env.set_env_state(0, &state, elapsed).unwrap();
    let v = env.step(Actions::Continuous(&[action])).unwrap();
    let done = v.terminated[0] || v.truncated[0];
    let o = if done { &v.final_obs.to_dense()[..] } else { v.obs };
    Step { obs: [o[0], o[1]], reward: v.reward[0], terminated: v.terminated[0], truncated: v.truncated[0] }
}

fn step(state: [f32; 2], action: f32) -> Step {
    step_from(state, 0, action)
}

fn assert_matches_reference(state: [f32; 2], action: f32) {
    let (x, v, r, term) = reference(state[0], state[1], action);
    let s = step(state, action);
    let what = format!("state {state:?} action {action}: got {:?} {}, want ({x}, {v}) {r}", s.obs, s.reward);
    assert!((s.obs[0] as f64 - x).abs() <= TOL_POSITION, "position, {what}");
    assert!((s.obs[1] as f64 - v).abs() <= TOL_VELOCITY, "velocity, {what}");
    assert!((s.reward as f64 - r).abs() <= tol_reward(r), "reward, {what}");
    assert_eq!(s.terminated, term, "terminated, {what}");
    assert!(!s.truncated, "{what}");
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
        [0.59, 0.05],   // about to pass the right end (and the goal)
        [0.0, -0.0699], // speed limit, negative
        [-1.0, 0.0699], // speed limit, positive
        [0.3, 1.0e-6],  // tiny velocity
    ];
    for state in states {
        for action in [-1.0, -0.37, 0.0, 0.25, 1.0, -4.0, 2.5] {
            assert_matches_reference(state, action);
        }
    }
}

#[test]
fn out_of_range_actions_are_clipped_in_the_dynamics_only() {
    for (state, over, edge) in [([-0.5f32, 0.01f32], 2.5f32, 1.0f32), ([0.1, -0.02], -7.0, -1.0)] {
        let clipped = step(state, edge);
        let wild = step(state, over);
        assert_eq!(wild.obs, clipped.obs, "action {over} should move the car like {edge}");
        // ... but costs 0.1 * over², not 0.1 * edge².
        let want = -0.1 * over as f64 * over as f64;
        assert!((wild.reward as f64 - want).abs() <= tol_reward(want), "reward {} for action {over}", wild.reward);
        assert!((clipped.reward as f64 + 0.1).abs() <= tol_reward(0.1));
    }
}

#[test]
fn reward_is_the_goal_bonus_minus_the_action_cost() {
    assert_eq!(step([-0.5, 0.0], 0.0).reward, 0.0);
    let s = step([-0.5, 0.0], -0.5);
    assert!((s.reward as f64 + 0.025).abs() <= tol_reward(0.025));
    let s = step([0.44, 0.02], 0.5);
    assert!(s.terminated);
    assert!((s.reward as f64 - 99.975).abs() <= tol_reward(99.975), "terminal reward {}", s.reward);
    let s = step([0.44, 0.02], 3.0);
    assert!(s.terminated && (s.reward as f64 - 99.1).abs() <= tol_reward(99.1));
}

#[test]
fn velocity_is_clipped_to_max_speed() {
    let s = step([0.0, -0.0699], -1.0);
    assert_eq!(s.obs[1], -0.07f32);
    let s = step([-1.0, 0.0699], 1.0);
    assert_eq!(s.obs[1], 0.07f32);
}

#[test]
fn left_wall_stops_the_car_right_end_does_not() {
    assert_eq!(step([-1.19, -0.05], -1.0).obs, [-1.2f32, 0.0]);
    let s = step([-1.2, 0.01], 1.0);
    assert!(s.obs[1] > 0.0);
    let (_, v, _, _) = reference(0.59, 0.05, 1.0);
    let s = step([0.59, 0.05], 1.0);
    assert_eq!(s.obs[0], 0.6f32);
    assert!(v > 0.04 && (s.obs[1] as f64 - v).abs() <= TOL_VELOCITY);
}

#[test]
fn goal_terminates_only_moving_forward() {
    let s = step([0.44, 0.02], 0.0);
    assert!(s.terminated && s.obs[0] >= 0.45);
    // Past the goal position but rolling back.
    let s = step([0.5, -0.01], -1.0);
    assert!(s.obs[0] >= 0.45 && s.obs[1] < 0.0 && !s.terminated);
    assert!((s.reward as f64 + 0.1).abs() <= tol_reward(0.1));
}

#[test]
fn reset_draws_lie_in_range_and_differ() {
    let n = 1000;
    let env = VecEnv::<MountainCarContinuous>::new(n, 3).unwrap();
    let (pos, vel) = env.obs().split_at(n);
    // [-0.6, -0.4) before rounding; rounding to f32 can reach -0.4 itself.
    assert!(pos.iter().all(|x| (-0.6..=-0.4).contains(x)), "position outside [-0.6, -0.4]");
    assert!(vel.iter().all(|&v| v == 0.0));
    let mut bits: Vec<u32> = pos.iter().map(|x| x.to_bits()).collect();
    bits.sort_unstable();
    bits.dedup();
    assert!(bits.len() >= n - 5, "only {} distinct reset positions", bits.len());
    // Uniform on a width-0.2 interval: mean -0.5, standard error 0.2 / sqrt(12 n) ≈ 0.0018.
    let mean = pos.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
    assert!((mean + 0.5).abs() < 0.01, "mean reset position {mean}");
}

#[test]
fn truncates_at_exactly_max_episode_steps() {
    // No force: the car cannot leave the valley, so only the time limit (999) ends it.
    let n = 3;
    let mut env = VecEnv::<MountainCarContinuous>::new(n, 8).unwrap();
    let zero = vec![0.0f32; n];
    for t in 1..999 {
        let v = env.step(Actions::Continuous(&zero)).unwrap();
        assert!(v.truncated.iter().chain(v.terminated).all(|&b| !b), "episode ended at step {t}");
    }
    let v = env.step(Actions::Continuous(&zero)).unwrap();
    assert!(v.truncated.iter().all(|&b| b) && v.terminated.iter().all(|&b| !b));
    assert!(v.obs[n..].iter().all(|&x| x == 0.0), "obs should be the next episode's first");
    assert!(!step_from([-0.5, 0.0], 997, 0.0).truncated);
    assert!(step_from([-0.5, 0.0], 998, 0.0).truncated);
}

#[test]
fn invalid_actions_are_rejected_with_the_exact_error() {
    let mut env = VecEnv::<MountainCarContinuous>::new(2, 0).unwrap();
    let state = env.state().to_vec();
    let e = env.step(Actions::Continuous(&[0.5, f32::NAN])).unwrap_err();
    assert!(matches!(e, Error::NonFiniteAction { env: "MountainCarContinuous-v0", index: 1, value } if value.is_nan()), "{e:?}");
    assert_eq!(
        env.step(Actions::Continuous(&[f32::NEG_INFINITY, 0.0])).unwrap_err(),
        Error::NonFiniteAction { env: "MountainCarContinuous-v0", index: 0, value: f32::NEG_INFINITY }
    );
    assert!(matches!(env.step(Actions::Discrete(&[0, 1])), Err(Error::ActionType { .. })));
    assert!(matches!(env.step(Actions::DiscreteI32(&[0, 1])), Err(Error::ActionType { .. })));
    assert_eq!(env.state(), &state[..], "a rejected step must not change the state");
    // Finite but far outside the box is valid (clipped), as in Gymnasium.
    assert!(env.step(Actions::Continuous(&[1e3, -1e3])).is_ok());
}
