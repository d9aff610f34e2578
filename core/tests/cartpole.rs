//! CartPole-v1 against an `f64` reference of the equations in `docs/envs/cartpole.md`, written
//! here independently of the implementation, plus the `VecEnv` contract around it: termination
//! at the four thresholds, reward, truncation, same-step auto-reset, reset draws, input errors.

use fusegym_core::envs::{CartPole, CartPoleParams};
use fusegym_core::{ActionSpace, Actions, Error, SimdPath, VecEnv};
use std::f64::consts::PI;

// ---- f64 reference: Gymnasium's cartpole.py, kinematics_integrator = "euler" ----

const GRAVITY: f64 = 9.8;
const MASSCART: f64 = 1.0;
const MASSPOLE: f64 = 0.1;
const TOTAL_MASS: f64 = MASSPOLE + MASSCART;
const LENGTH: f64 = 0.5;
const POLEMASS_LENGTH: f64 = MASSPOLE * LENGTH;
const FORCE_MAG: f64 = 10.0;
const TAU: f64 = 0.02;
const THETA_THRESHOLD: f64 = 12.0 * 2.0 * PI / 360.0;
const X_THRESHOLD: f64 = 2.4;

/// One step of Gymnasium's `step` in `f64`: the state `[x, x_dot, theta, theta_dot]` after it.
fn reference(s: [f32; 4], action: u32) -> [f64; 4] {
    let [x, x_dot, theta, theta_dot] = s.map(f64::from);
    let force = if action == 1 { FORCE_MAG } else { -FORCE_MAG };
    let (sintheta, costheta) = theta.sin_cos();
    let temp = (force + POLEMASS_LENGTH * theta_dot * theta_dot * sintheta) / TOTAL_MASS;
    let thetaacc = (GRAVITY * sintheta - costheta * temp) / (LENGTH * (4.0 / 3.0 - MASSPOLE * costheta * costheta / TOTAL_MASS));
    let xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS;
    // Euler: the positions advance with the velocities from before the step.
    [x + TAU * x_dot, x_dot + TAU * xacc, theta + TAU * theta_dot, theta_dot + TAU * thetaacc]
}

/// Gymnasium's termination test on the state after the step.
fn terminated_ref(n: [f64; 4]) -> bool {
    n[0] < -X_THRESHOLD || n[0] > X_THRESHOLD || n[2] < -THETA_THRESHOLD || n[2] > THETA_THRESHOLD
}

// ---- tolerance ----
//
// The f32 inputs are fed unchanged to the f64 reference, so only the f32 arithmetic of the step
// (and the f32 rounding of the constants) differs. Every rounded f32 operation errs by at most
// half an ulp of its result, i.e. EPSILON/2 relative, and the polynomial sin/cos by 2 ulp + 6e-8
// absolute (`math.rs`), about one EPSILON. So each output component errs by a few ulp of the
// largest magnitude that goes into it:
// * positions, `x + tau * x_dot`: the two terms and the result;
// * velocities, `v + tau * acc`: `v`, the result, and `tau` times the largest term of the
//   acceleration formulas. That term is bounded from the input alone: |temp| <= (force_mag +
//   polemass_length * theta_dot^2) / total_mass, the numerator of thetaacc is at most
//   gravity + |temp|, and its denominator is at least length * (4/3 - masspole / total_mass)
//   = 0.62; xacc's terms are smaller than thetaacc's bound.
// The step rounds half a dozen times on the way to each velocity, and divisions by 0.62 and
// 1.1 scale errors by less than 2, so the error is a small multiple of EPSILON * M. Measured
// over 100,000 random states drawn as in `one_step_matches_the_reference_on_random_states`,
// that multiple is at most 1.1 (positions) and 1.8 (velocities); we allow 4. Any mistake in the
// equations is far larger: a flipped force moves x_dot by 0.36, advancing theta with the new
// theta_dot instead of the old moves it by tau^2 * thetaacc ~ 4e-3, against tolerances of at
// most 5e-6 (for x_dot = 10, theta_dot = 15).
const ULPS: f64 = 4.0;
const EPS: f64 = f32::EPSILON as f64;

/// Bound on every term of the acceleration formulas for a step from `s` (see above).
fn accel_scale(s: [f32; 4]) -> f64 {
    let theta_dot = s[3] as f64;
    let temp_max = (FORCE_MAG + POLEMASS_LENGTH * theta_dot * theta_dot) / TOTAL_MASS;
    (GRAVITY + temp_max) / (LENGTH * (4.0 / 3.0 - MASSPOLE / TOTAL_MASS))
}

/// The magnitude each component's error is measured against (see above).
fn scales(s: [f32; 4], next: [f64; 4]) -> [f64; 4] {
    let acc = TAU * accel_scale(s);
    let s = s.map(|v| (v as f64).abs());
    [
        s[0].max(TAU * s[1]).max(next[0].abs()),
        s[1].max(acc).max(next[1].abs()),
        s[2].max(TAU * s[3]).max(next[2].abs()),
        s[3].max(acc).max(next[3].abs()),
    ]
}

/// Asserts that `got` is one step from `s` with `action`, within the tolerance.
fn assert_step(got: [f32; 4], s: [f32; 4], action: u32, what: &str) {
    let want = reference(s, action);
    let m = scales(s, want);
    for k in 0..4 {
        let err = (got[k] as f64 - want[k]).abs();
        let tol = ULPS * EPS * m[k];
        assert!(
            err <= tol,
            "{what}: component {k} from {s:?} with action {action}: got {}, reference {} (error {err:e} > {tol:e})",
            got[k],
            want[k]
        );
    }
}

// ---- helpers ----

/// Column `i` of a feature-major buffer with 4 components.
fn col(buf: &[f32], n: usize, i: usize) -> [f32; 4] {
    [buf[i], buf[n + i], buf[2 * n + i], buf[3 * n + i]]
}

/// What one step of a single env reported.
struct Step {
    /// Observation of the state the step reached (`final_obs` if the episode ended).
    reached: [f32; 4],
    /// `obs` after the step (the next episode's first observation if it ended).
    obs: [f32; 4],
    reward: f32,
    terminated: bool,
    truncated: bool,
    episode: u32,
}

/// One step of env 0 of a fresh single-env batch from state `s`, `elapsed` steps into its episode.
fn step_one(s: [f32; 4], action: u32, elapsed: u32) -> Step {
    let mut env = VecEnv::<CartPole>::new(1, 7).unwrap();
    env.set_env_state(0, &s, elapsed).unwrap();
    let v = env.step(Actions::Discrete(&[action])).unwrap();
    let done = v.terminated[0] || v.truncated[0];
    Step {
        reached: if done { col(&v.final_obs.to_dense(), 1, 0) } else { col(v.obs, 1, 0) },
        obs: col(v.obs, 1, 0),
        reward: v.reward[0],
        terminated: v.terminated[0],
        truncated: v.truncated[0],
        episode: env.episodes()[0],
    }
}

fn in_reset_range(s: [f32; 4]) -> bool {
    // [-0.05, 0.05) before rounding; `low + (high - low) * U` can round up to the bound in f32.
    s.iter().all(|v| v.abs() <= 0.05f32)
}

fn next_up(x: f32) -> f32 {
    if x >= 0.0 {
        f32::from_bits(x.to_bits() + 1)
    } else {
        f32::from_bits(x.to_bits() - 1)
    }
}

fn next_down(x: f32) -> f32 {
    -next_up(-x)
}

/// Deterministic pseudo-random numbers (a 64-bit LCG), independent of the library's RNG.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 11
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f32 {
        (lo + (hi - lo) * (self.next() as f64 / (1u64 << 53) as f64)) as f32
    }
}

// ---- dynamics ----

#[test]
fn params_default_to_gymnasium() {
    let p = CartPoleParams::default();
    assert_eq!((p.gravity, p.masscart, p.masspole, p.length), (9.8, 1.0, 0.1, 0.5));
    assert_eq!((p.force_mag, p.tau, p.x_threshold, p.reset_bound, p.max_episode_steps), (10.0, 0.02, 2.4, 0.05, 500));
    assert_eq!(p.theta_threshold_radians, THETA_THRESHOLD as f32);
    let env = VecEnv::<CartPole>::new(3, 0).unwrap();
    assert_eq!((env.obs_dim(), env.state_dim()), (4, 4));
    assert_eq!(env.action_space(), ActionSpace::Discrete { n: 2 });
    let dynamic = fusegym_core::make("CartPole-v1", 2, 0).unwrap();
    assert_eq!(dynamic.obs_names(), &["x", "x_dot", "theta", "theta_dot"]);
    assert_eq!(dynamic.max_episode_steps(), 500);
}

#[test]
fn one_step_matches_the_reference_on_hand_picked_states() {
    let states: [[f32; 4]; 12] = [
        [0.0, 0.0, 0.0, 0.0],        // upright at rest: only the push acts
        [0.03, -0.02, 0.04, 0.01],   // a typical reset state
        [-0.04, 0.05, -0.05, -0.05], // reset corner
        [1.0, 1.5, 0.1, 1.0],        // moving right, leaning right
        [-1.5, -2.0, -0.15, -2.0],   // moving left fast, falling left
        [2.3, 0.5, 0.2, 0.0],        // near both thresholds, not past them
        [0.0, 0.0, 0.2, 3.0],        // fast rotation: the theta_dot^2 term is large
        [0.5, -3.0, -0.1, 2.5],      // velocities against each other
        [0.0, 0.0, 1.0, 0.0],        // far outside the threshold: the equations still hold
        [0.0, 0.0, -1.5, -1.0],      // nearly horizontal, where cos is small
        [0.0, 0.0, 3.0, 5.0],        // past horizontal
        [1e-6, -1e-6, 1e-7, -1e-7],  // tiny values
    ];
    for s in states {
        for action in 0..2 {
            let r = step_one(s, action, 0);
            assert_step(r.reached, s, action, "hand-picked");
            assert_eq!(r.terminated, terminated_ref(reference(s, action)), "terminated from {s:?}");
            assert!(!r.truncated);
        }
    }
    // From rest upright only the push acts: x_dot = tau * force / total_mass * (1 + masspole /
    // (total_mass * (4/3 - masspole / total_mass))) = 0.195 and theta_dot = -tau * force /
    // (total_mass * length * (4/3 - masspole / total_mass)) = -0.293, with the action's sign.
    let right = step_one([0.0; 4], 1, 0).reached;
    let left = step_one([0.0; 4], 0, 0).reached;
    assert_eq!((right[0], right[2]), (0.0, 0.0), "positions move with the old (zero) velocities");
    assert!(right[1] > 0.19 && right[3] < -0.29, "push right: {right:?}");
    assert_eq!(left, right.map(|v| -v), "the two pushes mirror each other exactly");
}

/// Steps a batch of `states` once on `path` and checks every env against the reference. A batch
/// (rather than single envs) runs the SIMD lanes, and its odd size their scalar tail too.
fn check_batch(states: &[[f32; 4]], actions: &[u32], path: SimdPath) {
    let n = states.len();
    let mut env = VecEnv::<CartPole>::new(n, 1).unwrap();
    env.set_simd_path(path).unwrap();
    for (i, s) in states.iter().enumerate() {
        env.set_env_state(i, s, 0).unwrap();
    }
    let v = env.step(Actions::Discrete(actions)).unwrap();
    for i in 0..n {
        let want = reference(states[i], actions[i]);
        let term = terminated_ref(want);
        assert_eq!(v.terminated[i], term, "terminated from {:?}, reference {want:?}", states[i]);
        assert_eq!(v.reward[i], 1.0);
        let got = if term { <[f32; 4]>::try_from(v.final_obs.get(i).unwrap()).unwrap() } else { col(v.obs, n, i) };
        assert_step(got, states[i], actions[i], &format!("random state, {}", path.name()));
    }
}

#[test]
fn one_step_matches_the_reference_on_random_states() {
    let mut rng = Lcg(2024);
    let (mut states, mut actions) = (Vec::new(), Vec::new());
    while states.len() < 100_001 {
        // Mostly the region episodes live in, a fifth far outside it (a large angle, fast spins).
        let wide = rng.next().is_multiple_of(5);
        let (v, th, w) = if wide { (10.0, PI, 15.0) } else { (3.0, 0.25, 4.0) };
        let s = [rng.uniform(-3.0, 3.0), rng.uniform(-v, v), rng.uniform(-th, th), rng.uniform(-w, w)];
        let n = reference(s, 0);
        let m = reference(s, 1);
        // Skip results within rounding of a threshold: either flag would be right there.
        let near = |p: f64, t: f64| (p.abs() - t).abs() < 1e-5;
        if [n, m].iter().any(|r| near(r[0], X_THRESHOLD) || near(r[2], THETA_THRESHOLD)) {
            continue;
        }
        states.push(s);
        actions.push((rng.next() % 2) as u32);
    }
    for path in SimdPath::ALL.into_iter().filter(|p| p.is_available()) {
        check_batch(&states, &actions, path);
    }
}

// ---- termination and reward ----

#[test]
fn terminates_exactly_past_each_threshold() {
    let p = CartPoleParams::default();
    // With zero velocity a position does not move in the step (x + tau * 0 is exact), so the
    // state after the step is exactly the one set. Gymnasium terminates on `x < -x_threshold or
    // x > x_threshold` (strict), so the threshold itself is still inside.
    let x_t = X_THRESHOLD as f32;
    let th_t = THETA_THRESHOLD as f32;
    assert_eq!((p.x_threshold, p.theta_threshold_radians), (x_t, th_t));
    let cases: [(usize, f32); 4] = [(0, x_t), (0, -x_t), (2, th_t), (2, -th_t)];
    for (k, bound) in cases {
        let at = |v: f32| {
            let mut s = [0.0f32; 4];
            s[k] = v;
            s
        };
        let inward = if bound > 0.0 { next_down(bound) } else { next_up(bound) };
        let outward = if bound > 0.0 { next_up(bound) } else { next_down(bound) };
        for (v, expect) in [(inward, false), (bound, false), (outward, true)] {
            for action in 0..2 {
                let r = step_one(at(v), action, 0);
                assert_eq!(r.terminated, expect, "component {k} = {v:e} (threshold {bound:e}), action {action}");
                assert_eq!(r.reached[k], v, "component {k} must not move");
                assert_eq!(r.reward, 1.0, "every step pays 1, including the terminating one");
                assert!(!r.truncated);
                assert_eq!(r.episode, expect as u32);
                if expect {
                    // Same-step auto-reset: obs is the first observation of episode 1.
                    assert!(in_reset_range(r.obs), "obs after the reset: {:?}", r.obs);
                }
            }
        }
    }
    // The test is on the state after the step: crossing during the step terminates, moving
    // back inside from outside does not.
    assert!(step_one([2.39, 1.0, 0.0, 0.0], 1, 0).terminated); // x' = 2.41
    assert!(!step_one([2.41, -1.0, 0.0, 0.0], 1, 0).terminated); // x' = 2.39
    assert!(step_one([0.0, 0.0, -0.2, -1.0], 0, 0).terminated); // theta' = -0.22
    assert!(!step_one([0.0, 0.0, -0.22, 1.0], 0, 0).terminated); // theta' = -0.2
}

#[test]
fn reward_is_one_on_every_step() {
    let mut env = VecEnv::<CartPole>::new(9, 5).unwrap();
    let mut terminations = 0;
    // Always pushing right: every pole falls within a few dozen steps.
    for _ in 0..100 {
        let v = env.step(Actions::Discrete(&[1; 9])).unwrap();
        assert!(v.reward.iter().all(|&r| r == 1.0), "rewards {:?}", v.reward);
        terminations += v.terminated.iter().filter(|&&t| t).count();
    }
    assert!(terminations >= 9, "only {terminations} terminations");
    assert!(env.episodes().iter().all(|&e| e >= 1));
}

// ---- truncation and auto-reset ----

#[test]
fn truncation_counts_from_set_env_state() {
    let s = [0.1, -0.2, 0.01, 0.1];
    let r = step_one(s, 1, 498);
    assert!(!r.truncated && !r.terminated, "step 499 of 500");
    let r = step_one(s, 1, 499);
    assert!(r.truncated && !r.terminated, "step 500 of 500");
    assert_step(r.reached, s, 1, "final_obs of the truncated episode");
    assert!(in_reset_range(r.obs), "obs is the next episode's first: {:?}", r.obs);
    assert_eq!((r.reward, r.episode), (1.0, 1));
    // Falling on the last step: both flags, as Gymnasium's TimeLimit reports.
    let r = step_one([0.0, 0.0, next_up(THETA_THRESHOLD as f32), 0.0], 0, 499);
    assert!(r.terminated && r.truncated && r.episode == 1);
}

/// A linear state feedback, bang-bang: push right when the pole leans or falls right, with
/// small weights on the cart's position and velocity that bring it back to the middle.
fn balance(s: [f32; 4]) -> u32 {
    (0.05 * s[0] + 0.2 * s[1] + 3.0 * s[2] + 0.5 * s[3] > 0.0) as u32
}

#[test]
fn truncates_after_exactly_500_balanced_steps() {
    let n = 11; // one AVX2 vector plus a scalar tail
    let mut env = VecEnv::<CartPole>::new(n, 99).unwrap();
    let first: Vec<[f32; 4]> = (0..n).map(|i| col(env.obs(), n, i)).collect();
    let mut actions = vec![0u32; n];
    for t in 1..=500u32 {
        let before: Vec<[f32; 4]> = (0..n).map(|i| col(env.obs(), n, i)).collect();
        for i in 0..n {
            actions[i] = balance(before[i]);
        }
        let v = env.step(Actions::Discrete(&actions)).unwrap();
        assert!(v.terminated.iter().all(|&x| !x), "step {t}: the controller let a pole fall");
        assert!(v.truncated.iter().all(|&x| x == (t == 500)), "step {t}: truncated {:?}", v.truncated);
        assert!(v.reward.iter().all(|&r| r == 1.0));
        for i in 0..n {
            let reached = if t == 500 { <[f32; 4]>::try_from(v.final_obs.get(i).unwrap()).unwrap() } else { col(v.obs, n, i) };
            assert_step(reached, before[i], actions[i], &format!("env {i} step {t}"));
            if t == 500 {
                let next = col(v.obs, n, i);
                assert!(in_reset_range(next), "env {i}: obs after truncation {next:?}");
                assert_ne!(next, reached);
                // Episode 1 draws from a different stream than episode 0.
                assert_ne!(next, first[i]);
            }
        }
    }
    assert_eq!(env.elapsed(), &[0; 11][..]);
    assert_eq!(env.episodes(), &[1; 11][..]);
    // The observation buffer is the state (OBS_IS_STATE).
    assert_eq!(env.state(), env.obs());
    let v = env.step(Actions::Discrete(&actions)).unwrap();
    assert!(v.truncated.iter().all(|&x| !x), "the new episode starts counting at 0");
}

#[test]
fn a_done_env_resets_alone_and_counts_the_episode() {
    let n = 10;
    let mut env = VecEnv::<CartPole>::new(n, 3).unwrap();
    let before = env.state().to_vec();
    env.set_env_state(2, &[0.0, 0.0, -0.25, 0.0], 17).unwrap(); // beyond -12°: terminates
    env.set_env_state(6, &[0.0, 0.0, 0.0, 0.0], 499).unwrap(); // truncates
    let v = env.step(Actions::Discrete(&[1; 10])).unwrap();
    let done: Vec<bool> = (0..n).map(|i| v.terminated[i] || v.truncated[i]).collect();
    assert_eq!(done, (0..n).map(|i| i == 2 || i == 6).collect::<Vec<_>>());
    assert!(v.terminated[2] && v.truncated[6]);
    assert_step(<[f32; 4]>::try_from(v.final_obs.get(2).unwrap()).unwrap(), [0.0, 0.0, -0.25, 0.0], 1, "final_obs of env 2");
    assert_step(<[f32; 4]>::try_from(v.final_obs.get(6).unwrap()).unwrap(), [0.0; 4], 1, "final_obs of env 6");
    let obs = v.obs.to_vec();
    for (i, &d) in done.iter().enumerate() {
        if d {
            assert!(in_reset_range(col(&obs, n, i)), "env {i} after reset: {:?}", col(&obs, n, i));
        } else {
            assert_step(col(&obs, n, i), col(&before, n, i), 1, &format!("env {i}"));
        }
    }
    assert_eq!(env.episodes(), &[0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(env.elapsed(), &[1, 1, 0, 1, 1, 1, 0, 1, 1, 1]);
}

// ---- reset ----

#[test]
fn reset_draws_lie_in_range_and_differ_across_envs_and_seeds() {
    let n = 1000;
    let env = VecEnv::<CartPole>::new(n, 3).unwrap();
    let s = env.obs();
    for k in 0..4 {
        let c = &s[k * n..(k + 1) * n];
        assert!(c.iter().all(|v| v.abs() <= 0.05), "component {k} outside [-0.05, 0.05]");
        let mut bits: Vec<u32> = c.iter().map(|v| v.to_bits()).collect();
        bits.sort_unstable();
        bits.dedup();
        // 2^24 possible draws: a birthday collision or two at most among 1000.
        assert!(bits.len() >= n - 3, "component {k}: only {} distinct draws", bits.len());
        // Uniform on a width-0.1 interval: mean 0 with standard error 0.1 / sqrt(12 n) ~ 9e-4,
        // and both ends are reached.
        let mean = c.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.005, "component {k}: mean {mean}");
        assert!(c.iter().any(|&v| v < -0.049) && c.iter().any(|&v| v > 0.049), "component {k} misses an end");
    }
    let same = VecEnv::<CartPole>::new(n, 3).unwrap();
    assert_eq!(env.obs(), same.obs(), "same seed, same draws");
    let mut other = VecEnv::<CartPole>::new(n, 4).unwrap();
    let differing = (0..n).filter(|&i| col(env.obs(), n, i) != col(other.obs(), n, i)).count();
    assert_eq!(differing, n, "seed 4 repeats draws of seed 3");
    other.reset_with_seed(3);
    assert_eq!(env.obs(), other.obs(), "reset_with_seed(3) reproduces new(n, 3)");
}

// ---- errors ----

#[test]
fn invalid_input_is_rejected_with_the_exact_error() {
    let id = "CartPole-v1";
    let mut env = VecEnv::<CartPole>::new(3, 0).unwrap();
    let state = env.state().to_vec();
    assert_eq!(env.step(Actions::Discrete(&[0, 1, 2])).unwrap_err(), Error::ActionOutOfRange { env: id, index: 2, value: 2, n: 2 });
    assert_eq!(env.step(Actions::DiscreteI32(&[-1, 0, 1])).unwrap_err(), Error::ActionOutOfRange { env: id, index: 0, value: -1, n: 2 });
    assert_eq!(
        env.step(Actions::Continuous(&[0.0, 1.0, 0.0])).unwrap_err(),
        Error::ActionType { env: id, expected: "discrete (u32 or i32)", got: "continuous (f32)" }
    );
    assert_eq!(env.step(Actions::Discrete(&[0, 1])).unwrap_err(), Error::ActionLength { env: id, expected: 3, got: 2 });
    assert_eq!(env.step(Actions::DiscreteI32(&[0, 1, 0, 1])).unwrap_err(), Error::ActionLength { env: id, expected: 3, got: 4 });
    assert_eq!(env.state(), &state[..], "a rejected step changes nothing");
    assert_eq!(env.elapsed(), &[0, 0, 0]);

    assert_eq!(env.set_env_state(3, &[0.0; 4], 0).unwrap_err(), Error::EnvIndex { index: 3, num_envs: 3 });
    assert_eq!(env.set_env_state(0, &[0.0; 3], 0).unwrap_err(), Error::Length { what: "state", expected: 4, got: 3 });
    assert_eq!(env.set_env_state(0, &[0.0; 5], 0).unwrap_err(), Error::Length { what: "state", expected: 4, got: 5 });
    assert_eq!(env.state(), &state[..], "a rejected set_env_state changes nothing");

    assert_eq!(VecEnv::<CartPole>::new(0, 1).err(), Some(Error::NumEnvs { num_envs: 0, max: u32::MAX as usize, env_offset: 0 }));
    // The valid forms of the same calls work.
    assert!(env.step(Actions::DiscreteI32(&[1, 0, 1])).is_ok());
    assert!(env.set_env_state(2, &[0.0; 4], 0).is_ok());
}
