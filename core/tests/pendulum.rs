//! Pendulum-v1 against an `f64` transcription of Gymnasium's equations (written here, not
//! taken from the code under test), through the public `VecEnv` API.
//!
//! Tolerances: the inputs are exact `f32` values, so the only differences are `f32` rounding
//! and the shared sin/cos polynomials (2 ulp + 6e-8, see `math.rs`). Each value is therefore
//! allowed `ULPS` f32 ulp of the magnitude that dominates its error: `theta` for anything that
//! goes through sin, cos or `angle_normalize` (its rounding is an absolute error of the angle),
//! and the value itself (at least 1) for the rest.

use fusegym_core::envs::{Pendulum, PendulumParams};
use fusegym_core::{ActionSpace, Actions, Error, VecEnv};
use std::f64::consts::PI;

const ULPS: f64 = 4.0;

/// Spacing of `f32` values at `|x|` (at least that of 1.0).
fn ulp(x: f64) -> f64 {
    let a = (x.abs() as f32).max(1.0);
    (f32::from_bits(a.to_bits() + 1) - a) as f64
}

fn close(what: &str, got: f32, want: f64, tol: f64) {
    assert!((got as f64 - want).abs() <= tol, "{what}: got {got}, want {want} (tolerance {tol:e})");
}

/// Gymnasium's `pendulum.py` step and `_get_obs`, in `f64` with the default constants.
struct Ref {
    theta: f64,
    theta_dot: f64,
    reward: f64,
    obs: [f64; 3],
}

fn angle_normalize(x: f64) -> f64 {
    (x + PI).rem_euclid(2.0 * PI) - PI
}

fn cost(theta: f64, theta_dot: f64, u: f64) -> f64 {
    angle_normalize(theta).powi(2) + 0.1 * theta_dot.powi(2) + 0.001 * u.powi(2)
}

fn reference(theta: f32, theta_dot: f32, action: f32) -> Ref {
    let (g, m, l, dt, max_speed, max_torque) = (10.0, 1.0, 1.0, 0.05, 8.0, 2.0);
    let (th, thdot) = (theta as f64, theta_dot as f64);
    let u = (action as f64).clamp(-max_torque, max_torque);
    let reward = -cost(th, thdot, u);
    let newthdot = thdot + (3.0 * g / (2.0 * l) * th.sin() + 3.0 / (m * l * l) * u) * dt;
    let newthdot = newthdot.clamp(-max_speed, max_speed);
    let newth = th + newthdot * dt;
    Ref { theta: newth, theta_dot: newthdot, reward, obs: [newth.cos(), newth.sin(), newthdot] }
}

/// Sets env `i` to `states[i]`, steps the batch once with `actions`, returns the batch.
fn one_step(states: &[(f32, f32)], actions: &[f32]) -> VecEnv<Pendulum> {
    let mut env = VecEnv::<Pendulum>::new(states.len(), 0).unwrap();
    for (i, &(th, thdot)) in states.iter().enumerate() {
        env.set_env_state(i, &[th, thdot], 0).unwrap();
    }
    env.step(Actions::Continuous(actions)).unwrap();
    env
}

/// Checks env `i` of a stepped batch against the reference (obs read from `obs`).
fn check(env: &VecEnv<Pendulum>, obs: &[f32], i: usize, s: (f32, f32), a: f32) {
    let n = env.num_envs();
    let r = reference(s.0, s.1, a);
    let v = env.view();
    let ctx = format!("state {s:?}, action {a}");
    let angle_tol = ULPS * ulp(r.theta.abs() + 2.0 * PI);
    close(&format!("{ctx}: cos"), obs[i], r.obs[0], angle_tol);
    close(&format!("{ctx}: sin"), obs[n + i], r.obs[1], angle_tol);
    close(&format!("{ctx}: theta_dot obs"), obs[2 * n + i], r.obs[2], ULPS * ulp(r.theta_dot));
    // angle_normalize(theta)^2: an angle error e changes it by about 2 |angle| e <= 2 pi e.
    let reward_tol = ULPS * ulp(r.reward) + 2.0 * PI * ULPS * ulp(s.0.abs() as f64 + 2.0 * PI);
    close(&format!("{ctx}: reward"), v.reward[i], r.reward, reward_tol);
}

const CASES: [((f32, f32), f32); 10] = [
    ((0.0, 0.0), 0.0),                  // upright at rest: stays there
    ((std::f32::consts::PI, 0.0), 0.0), // hanging down
    ((1.0, 7.9), 2.0),                  // pushed past +max_speed
    ((-1.0, -7.9), -2.0),               // pushed past -max_speed
    ((0.5, -3.0), 5.0),                 // torque above max_torque
    ((-2.0, 1.5), -100.0),              // torque below -max_torque
    ((40.0, 3.0), 0.7),                 // wound up six turns: theta is never wrapped
    ((3.1, 2.0), 1.0),                  // crosses pi without wrapping
    ((-25.0, -6.0), -1.3),
    ((2.0, 0.0), 1e-3),
];

#[test]
fn one_step_matches_the_reference_equations() {
    let states: Vec<(f32, f32)> = CASES.iter().map(|c| c.0).collect();
    let actions: Vec<f32> = CASES.iter().map(|c| c.1).collect();
    let env = one_step(&states, &actions);
    let n = states.len();
    for (i, &(s, a)) in CASES.iter().enumerate() {
        check(&env, env.view().obs, i, s, a);
        assert!(!env.view().terminated[i] && !env.view().truncated[i], "Pendulum never ends after one step");
        let r = reference(s.0, s.1, a);
        close("theta", env.state()[i], r.theta, ULPS * ulp(r.theta));
        close("theta_dot", env.state()[n + i], r.theta_dot, ULPS * ulp(r.theta_dot));
    }
    // Upright at rest with no torque is an exact equilibrium with zero cost.
    assert_eq!((env.state()[0], env.state()[n]), (0.0, 0.0));
    assert_eq!(env.view().reward[0], 0.0);
}

#[test]
fn speed_is_clipped_to_max_speed_before_theta_moves() {
    let env = one_step(&[(1.0, 7.9), (-1.0, -7.9)], &[2.0, -2.0]);
    let s = env.state();
    // Unclipped, the new speed would be 7.9 + (15 sin 1 + 6) 0.05 = 8.83.
    assert_eq!((s[2], s[3]), (8.0, -8.0));
    // theta advances with the clipped speed: 1 + 8 * 0.05.
    close("theta", s[0], 1.4, ULPS * ulp(1.4));
    close("theta", s[1], -1.4, ULPS * ulp(1.4));
}

#[test]
fn out_of_range_actions_act_as_the_bound() {
    let states = [(0.5, -3.0), (-2.0, 1.5), (0.3, 0.2), (0.3, 0.2)];
    let clipped = one_step(&states, &[5.0, -100.0, 2.0000002, -1e17]); // |a| >= 2^60 is rejected
    let bound = one_step(&states, &[2.0, -2.0, 2.0, -2.0]);
    assert_eq!(clipped.state(), bound.state());
    assert_eq!(clipped.view().obs, bound.view().obs);
    // The cost's u^2 term also sees the clipped torque: 0.001 * 2^2, not 0.001 * 5^2.
    assert_eq!(clipped.view().reward, bound.view().reward);
    let r = reference(0.5, -3.0, 2.0);
    close("reward", clipped.view().reward[0], r.reward, ULPS * ulp(r.reward));
}

#[test]
fn reward_is_the_cost_of_the_state_before_the_step() {
    // At rest upright with full torque: the only cost is 0.001 * 2^2, although the step
    // leaves the pendulum moving (theta_dot = 0.3).
    let env = one_step(&[(0.0, 0.0), (2.5, -4.0)], &[2.0, 0.0]);
    let n = 2;
    close("reward", env.view().reward[0], -0.004, ULPS * ulp(0.004));
    assert!(env.state()[n] > 0.29, "the step moved the pendulum");
    for i in 0..n {
        let after = (env.state()[i] as f64, env.state()[n + i] as f64);
        let u = if i == 0 { 2.0 } else { 0.0 };
        let pre = [(0.0, 0.0), (2.5, -4.0)][i];
        let want = -cost(pre.0, pre.1, u);
        close("reward", env.view().reward[i], want, ULPS * ulp(want) + 2.0 * PI * ULPS * ulp(2.0 * PI));
        assert!((-cost(after.0, after.1, u) - want).abs() > 1e-3, "post-step cost would differ");
    }
}

#[test]
fn reset_draws_within_gymnasium_bounds_and_differs_across_envs() {
    let n = 512;
    let env = VecEnv::<Pendulum>::new(n, 42).unwrap();
    let (s, obs) = (env.state(), env.view().obs);
    let pi = std::f32::consts::PI;
    for i in 0..n {
        // Closed bounds: `low + (high - low) * U` with U < 1 can still round up to `high` in f32.
        let (th, thdot) = (s[i], s[n + i]);
        assert!(th.abs() <= pi, "theta {th}");
        assert!(thdot.abs() <= 1.0, "theta_dot {thdot}");
        let tol = ULPS * ulp(PI);
        close("reset cos", obs[i], (th as f64).cos(), tol);
        close("reset sin", obs[n + i], (th as f64).sin(), tol);
        assert_eq!(obs[2 * n + i], thdot);
    }
    let distinct = |col: &[f32]| col.iter().map(|x| x.to_bits()).collect::<std::collections::HashSet<_>>().len();
    assert!(distinct(&s[..n]) > n - 4, "reset thetas repeat across envs");
    assert!(distinct(&s[n..]) > n - 4, "reset speeds repeat across envs");
    // The draws fill the ranges (a 512-draw sample reaches within 2% of each end).
    let (lo, hi) = s[..n].iter().fold((0f32, 0f32), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(lo < -0.98 * pi && hi > 0.98 * pi, "theta range [{lo}, {hi}]");
    let (lo, hi) = s[n..].iter().fold((0f32, 0f32), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(lo < -0.98 && hi > 0.98, "theta_dot range [{lo}, {hi}]");
}

#[test]
fn truncates_at_exactly_200_steps_with_the_last_observation_in_final_obs() {
    let n = 5;
    let mut env = VecEnv::<Pendulum>::new(n, 3).unwrap();
    // Env 4 starts mid-episode: 197 steps already taken.
    env.set_env_state(4, &[-30.0, 5.0], 197).unwrap();
    let actions = [1.5, -0.4, 3.0, 0.0, -2.0];
    for t in 1..=200 {
        let before: Vec<(f32, f32)> = (0..n).map(|i| (env.state()[i], env.state()[n + i])).collect();
        env.step(Actions::Continuous(&actions)).unwrap();
        let v = env.view();
        assert!(v.terminated.iter().all(|&x| !x), "Pendulum never terminates (step {t})");
        for i in 0..n {
            let limit = if i == 4 { 3 } else { 200 };
            assert_eq!(v.truncated[i], t == limit, "env {i}, step {t}");
            if t == limit {
                // obs already holds the next episode's first observation; final_obs the last one.
                check(&env, &v.final_obs.to_dense(), i, before[i], actions[i]);
                let (th, thdot) = (env.state()[i], env.state()[n + i]);
                assert!(th.abs() <= std::f32::consts::PI && thdot.abs() <= 1.0, "auto-reset state");
                assert_eq!(v.obs[2 * n + i], thdot);
                assert_eq!(env.elapsed()[i], 0);
                assert_eq!(env.episodes()[i], 1);
            }
        }
    }
    assert_eq!(env.episodes(), &[1, 1, 1, 1, 1]);
}

#[test]
fn invalid_actions_are_rejected_with_the_exact_error() {
    let mut env = VecEnv::<Pendulum>::new(3, 0).unwrap();
    let before = env.state().to_vec();
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        match env.step(Actions::Continuous(&[0.0, bad, 1.0])) {
            Err(Error::NonFiniteAction { env: "Pendulum-v1", index: 1, value }) => {
                assert_eq!(value.to_bits(), bad.to_bits())
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert!(matches!(env.step(Actions::Discrete(&[0, 1, 0])), Err(Error::ActionType { env: "Pendulum-v1", .. })));
    assert!(matches!(env.step(Actions::DiscreteI32(&[0, 1, 0])), Err(Error::ActionType { env: "Pendulum-v1", .. })));
    assert_eq!(env.step(Actions::Continuous(&[0.0, 1.0])).unwrap_err(), Error::ActionLength { env: "Pendulum-v1", expected: 3, got: 2 });
    assert_eq!(env.state(), &before[..], "a rejected step changes nothing");
}

#[test]
fn spaces_and_defaults_are_gymnasiums() {
    let env = VecEnv::<Pendulum>::new(1, 0).unwrap();
    assert_eq!((env.obs_dim(), env.state_dim()), (3, 2));
    match env.action_space() {
        ActionSpace::Box { dim: 1, low, high } => assert_eq!((low[0], high[0]), (-2.0, 2.0)),
        other => panic!("{other:?}"),
    }
    let p = PendulumParams::default();
    assert_eq!((p.max_speed, p.max_torque, p.dt, p.g, p.m, p.l), (8.0, 2.0, 0.05, 10.0, 1.0, 1.0));
    assert_eq!((p.cost_thdot_coef, p.cost_u_coef, p.y_init, p.max_episode_steps), (0.1, 0.001, 1.0, 200));
    assert_eq!(p.x_init, std::f32::consts::PI);
    let dynamic = fusegym_core::make("Pendulum-v1", 2, 0).unwrap();
    assert_eq!(dynamic.obs_names(), &["cos_theta", "sin_theta", "theta_dot"]);
    assert_eq!(dynamic.max_episode_steps(), 200);
}

/// Gymnasium's theta winds up without end; past `THETA_WIND_LIMIT` (2^16 rad) a step reduces it
/// by whole turns with `angle_normalize`, so with no time limit a pendulum spinning at the
/// largest `max_speed * dt` (1000 rad a step) keeps sines in [-1, 1] (unreduced, they leave it
/// from about 1e9 rad and overflow from about 1e15). Below the limit nothing changes.
#[test]
fn theta_wound_past_the_limit_is_reduced_by_whole_turns() {
    use fusegym_core::envs::pendulum::THETA_WIND_LIMIT;
    use fusegym_core::math::{angle_normalize, sin_cos};
    for (th, wound) in [(65_535.0f32, false), (65_535.8, true), (-65_535.8, true), (-65_535.0, false)] {
        let mut env = VecEnv::<Pendulum>::new(1, 0).unwrap();
        env.set_env_state(0, &[th, th.signum() * 8.0], 0).unwrap();
        env.step(Actions::Continuous(&[th.signum() * 2.0])).unwrap();
        let (theta, theta_dot) = (env.state()[0], env.state()[1]);
        let unreduced = th + theta_dot * 0.05;
        assert_eq!(unreduced.abs() > THETA_WIND_LIMIT, wound, "test premise: {unreduced}");
        let want = if wound { angle_normalize::<f32>(unreduced) } else { unreduced };
        assert_eq!(theta, want, "from {th}");
        let (s, c) = sin_cos::<f32>(want);
        assert_eq!((env.obs()[0], env.obs()[1]), (c, s));
    }
    // Two million steps at 1000 rad a step with no time limit (2e9 rad unreduced).
    let mut env = VecEnv::<Pendulum>::builder(8)
        .param("max_speed", 1000.0)
        .param("dt", 1.0)
        .param("m", 0.01)
        .param("l", 0.01)
        .param("max_torque", 200.0)
        .max_episode_steps(0)
        .build()
        .unwrap();
    for _ in 0..20 {
        env.rollout(100_000, fusegym_core::Policy::Constant(&[200.0]), None).unwrap();
        assert!(env.state()[..8].iter().all(|t| t.abs() <= THETA_WIND_LIMIT), "{:?}", &env.state()[..8]);
        assert!(env.obs()[..16].iter().all(|x| x.abs() <= 1.0), "{:?}", &env.obs()[..16]);
    }
    assert!(env.state()[8..].iter().all(|&v| v == 1000.0), "spinning at max_speed: {:?}", &env.state()[8..]);
}
