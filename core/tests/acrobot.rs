//! Acrobot-v1 against an `f64` reference of the equations in `docs/envs/acrobot.md`, written
//! here independently of the implementation, plus the `VecEnv` contract (reset, truncation,
//! auto-reset, action checks).

use fusegym_core::envs::acrobot::wrap;
use fusegym_core::envs::{Acrobot, AcrobotParams};
use fusegym_core::{Actions, Error, VecEnv};
use std::f64::consts::PI;

// ---- f64 reference (Gymnasium's acrobot.py with book_or_nips = "book") ----

const DT: f64 = 0.2;
const M1: f64 = 1.0;
const M2: f64 = 1.0;
const L1: f64 = 1.0;
const LC1: f64 = 0.5;
const LC2: f64 = 0.5;
const MOI: f64 = 1.0;
const G: f64 = 9.8;
const MAX_VEL_1: f64 = 4.0 * PI;
const MAX_VEL_2: f64 = 9.0 * PI;
const TORQUE: [f64; 3] = [-1.0, 0.0, 1.0];

/// Time derivative of `[t1, t2, dt1, dt2]` under elbow torque `a`.
fn dsdt(s: [f64; 4], a: f64) -> [f64; 4] {
    let [t1, t2, dt1, dt2] = s;
    let d1 = M1 * LC1 * LC1 + M2 * (L1 * L1 + LC2 * LC2 + 2.0 * L1 * LC2 * t2.cos()) + MOI + MOI;
    let d2 = M2 * (LC2 * LC2 + L1 * LC2 * t2.cos()) + MOI;
    let phi2 = M2 * LC2 * G * (t1 + t2 - PI / 2.0).cos();
    let phi1 = -M2 * L1 * LC2 * dt2 * dt2 * t2.sin() - 2.0 * M2 * L1 * LC2 * dt2 * dt1 * t2.sin()
        + (M1 * LC1 + M2 * L1) * G * (t1 - PI / 2.0).cos()
        + phi2;
    let ddt2 = (a + d2 / d1 * phi1 - M2 * L1 * LC2 * dt1 * dt1 * t2.sin() - phi2) / (M2 * LC2 * LC2 + MOI - d2 * d2 / d1);
    let ddt1 = -(d2 * ddt2 + phi1) / d1;
    [dt1, dt2, ddt1, ddt2]
}

/// One classical RK4 step over `[0, DT]`, before wrapping and clipping.
fn rk4(s: [f64; 4], a: f64) -> [f64; 4] {
    let add = |y: [f64; 4], h: f64, k: [f64; 4]| std::array::from_fn::<f64, 4, _>(|i| y[i] + h * k[i]);
    let k1 = dsdt(s, a);
    let k2 = dsdt(add(s, DT / 2.0, k1), a);
    let k3 = dsdt(add(s, DT / 2.0, k2), a);
    let k4 = dsdt(add(s, DT, k3), a);
    std::array::from_fn(|i| s[i] + DT / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
}

/// Gymnasium's `wrap(x, -pi, pi)`, literally.
fn wrap_ref(mut x: f64) -> f64 {
    while x > PI {
        x -= 2.0 * PI;
    }
    while x < -PI {
        x += 2.0 * PI;
    }
    x
}

/// A full step: new state, tip height, terminated.
fn step_ref(s: [f64; 4], action: usize) -> ([f64; 4], f64, bool) {
    let n = rk4(s, TORQUE[action]);
    let n = [wrap_ref(n[0]), wrap_ref(n[1]), n[2].clamp(-MAX_VEL_1, MAX_VEL_1), n[3].clamp(-MAX_VEL_2, MAX_VEL_2)];
    let height = -n[0].cos() - (n[1] + n[0]).cos();
    (n, height, height > 1.0)
}

fn obs_ref(s: [f64; 4]) -> [f64; 6] {
    [s[0].cos(), s[0].sin(), s[1].cos(), s[1].sin(), s[2], s[3]]
}

// ---- helpers ----

/// Outputs of one step of env 0 of a fresh single-env batch from state `s` after `elapsed`
/// steps: (state or `None` if the episode ended, observation of the stepped state, reward,
/// terminated, truncated).
fn step_one(s: [f32; 4], action: u32, elapsed: u32) -> (Option<Vec<f32>>, Vec<f32>, f32, bool, bool) {
    let mut env = VecEnv::<Acrobot>::new(1, 0).unwrap();
    env.set_env_state(0, &s, elapsed).unwrap();
    let v = env.step(Actions::Discrete(&[action])).unwrap();
    let done = v.terminated[0] || v.truncated[0];
    let obs = if done { v.final_obs.to_dense() } else { v.obs.to_vec() };
    let (r, te, tr) = (v.reward[0], v.terminated[0], v.truncated[0]);
    (if done { None } else { Some(env.state().to_vec()) }, obs, r, te, tr)
}

fn widen(s: [f32; 4]) -> [f64; 4] {
    s.map(|x| x as f64)
}

// Tolerance. The inputs are f32 values fed unchanged to the f64 reference, so only the f32
// arithmetic of the step differs. Each rounded operation errs by at most u = 2^-24 (~6e-8)
// relative to its result, and sin/cos by 2 ulp + 6e-8, so the error of a derivative
// evaluation is a small multiple of u times the largest term it adds up: the gravity terms,
// at most g (m1 lc1 + m2 l1 + m2 lc2) = 19.6, plus the velocity terms, at most
// m2 l1 lc2 (|dtheta1| + |dtheta2|)^2. RK4 feeds each stage the previous one, so the terms
// that matter are those of the largest stage, which can be far larger than the input's when
// the velocities are high (dt |dtheta| of several radians per step). The denominators are
// bounded away from 0 (d1 >= 2.5, m2 lc2^2 + I2 - d2^2/d1 >= 0.56 for every theta2) and dt
// and the RK4 weights shrink rather than grow errors, so the step's error is C u M with M that
// largest term and C of order 1. Measured over 200,000 random states spanning the whole
// velocity range: C <= 2.3 for the velocities, <= 0.3 for the angles. We allow C = 8.
const C: f64 = 8.0;

/// The largest term any RK4 stage of the reference adds up (see above).
fn largest_term(s: [f64; 4], a: f64) -> f64 {
    let add = |y: [f64; 4], h: f64, k: [f64; 4]| std::array::from_fn::<f64, 4, _>(|i| y[i] + h * k[i]);
    let term = |y: [f64; 4]| G * (M1 * LC1 + M2 * L1 + M2 * LC2) + M2 * L1 * LC2 * (y[2].abs() + y[3].abs()).powi(2);
    let (k1, y1) = (dsdt(s, a), s);
    let y2 = add(s, DT / 2.0, k1);
    let y3 = add(s, DT / 2.0, dsdt(y2, a));
    let y4 = add(s, DT, dsdt(y3, a));
    [y1, y2, y3, y4].map(term).into_iter().fold(0.0, f64::max)
}

/// Allowed error of every state component after one step from `s` with `action`.
fn tol(s: [f64; 4], action: u32) -> f64 {
    C * (f32::EPSILON as f64 / 2.0) * largest_term(s, TORQUE[action as usize])
}

/// sin/cos add at most 2 ulp + 6e-8 to an angle's own error.
fn obs_tol(s: [f64; 4], action: u32, k: usize) -> f64 {
    tol(s, action) + if k < 4 { 2.0e-7 } else { 0.0 }
}

fn assert_state_close(got: &[f32], want: [f64; 4], from: [f64; 4], action: u32, what: &str) {
    let t = tol(from, action);
    for k in 0..4 {
        let err = (got[k] as f64 - want[k]).abs();
        assert!(err <= t, "{what}: component {k} = {}, reference {} (error {err:e} > {t:e})", got[k], want[k]);
    }
}

/// Deterministic pseudo-random numbers in [lo, hi) for state sweeps.
struct Lcg(u64);
impl Lcg {
    fn uniform(&mut self, lo: f64, hi: f64) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (lo + (hi - lo) * ((self.0 >> 11) as f64 / (1u64 << 53) as f64)) as f32
    }
}

// ---- tests ----

#[test]
fn params_default_to_gymnasium() {
    let p = AcrobotParams::default();
    assert_eq!((p.dt, p.g, p.terminal_height, p.reset_bound, p.max_episode_steps), (0.2, 9.8, 1.0, 0.1, 500));
    assert_eq!((p.link_length_1, p.link_length_2, p.link_mass_1, p.link_mass_2), (1.0, 1.0, 1.0, 1.0));
    assert_eq!((p.link_com_pos_1, p.link_com_pos_2, p.link_moi), (0.5, 0.5, 1.0));
    assert_eq!((p.max_vel_1, p.max_vel_2), ((4.0 * PI) as f32, (9.0 * PI) as f32));
    assert_eq!([p.avail_torque_0, p.avail_torque_1, p.avail_torque_2], [-1.0, 0.0, 1.0]);
}

#[test]
fn one_rk4_step_matches_the_f64_reference_on_hand_picked_states() {
    let cases: [([f32; 4], u32); 7] = [
        ([0.0, 0.0, 0.0, 0.0], 2),       // hanging at rest, pushed: only the torque acts
        ([0.0, 0.0, 0.0, 0.0], 1),       // equilibrium stays put exactly
        ([0.05, -0.08, 0.09, -0.03], 0), // a typical reset state
        ([1.0, -2.0, 3.0, -5.0], 1),     // wide swing, coupled terms large
        ([2.0, -0.6, 1.0, -2.0], 2),     // high, below the line
        ([-3.0, 3.0, 6.0, -12.0], 0),    // fast, both angles near the wrap
        ([0.3, 1.2, -10.0, 20.0], 2),    // velocities near the limits
    ];
    for (s, a) in cases {
        let (want, _, term) = step_ref(widen(s), a as usize);
        assert!(!term, "test premise: {s:?} must not terminate");
        let (got, obs, reward, terminated, truncated) = step_one(s, a, 0);
        let got = got.expect("not done");
        assert_state_close(&got, want, widen(s), a, &format!("step from {s:?} with action {a}"));
        let o = obs_ref(want);
        for k in 0..6 {
            let t = obs_tol(widen(s), a, k);
            assert!((obs[k] as f64 - o[k]).abs() <= t, "obs[{k}] from {s:?}: {} vs {}", obs[k], o[k]);
        }
        assert_eq!((reward, terminated, truncated), (-1.0, false, false));
    }
    // At rest with zero torque nothing moves, exactly.
    assert_eq!(step_one([0.0; 4], 1, 0).0.unwrap(), vec![0.0; 4]);
}

#[test]
fn one_rk4_step_matches_the_f64_reference_on_random_states() {
    let mut rng = Lcg(42);
    for i in 0..20_000 {
        let s = [rng.uniform(-PI, PI), rng.uniform(-PI, PI), rng.uniform(-MAX_VEL_1, MAX_VEL_1), rng.uniform(-MAX_VEL_2, MAX_VEL_2)];
        let a = i % 3;
        let (want, height, _) = step_ref(widen(s), a as usize);
        // Skip states whose result is within rounding of a decision (wrap or termination).
        if (want[0].abs() - PI).abs() < 1e-4 || (want[1].abs() - PI).abs() < 1e-4 || (height - 1.0).abs() < 1e-4 {
            continue;
        }
        let (got, obs, _, terminated, _) = step_one(s, a, 0);
        assert_eq!(terminated, height > 1.0, "termination from {s:?}");
        let got = got.unwrap_or_else(|| vec![want[0] as f32, want[1] as f32, obs[4], obs[5]]);
        let t = tol(widen(s), a);
        for k in 2..4 {
            assert!((got[k] as f64 - want[k]).abs() <= t, "velocity {k} from {s:?} action {a}: {} vs {} (tol {t:e})", got[k], want[k]);
        }
        if !terminated {
            assert_state_close(&got, want, widen(s), a, &format!("random state {s:?}"));
        }
    }
}

#[test]
// Inputs near odd multiples of pi, written out (not PI): the test wants values off them.
#[allow(clippy::approx_constant)]
fn wrap_matches_gymnasiums_loop_for_any_number_of_turns() {
    let f32_two_pi_excess = (std::f32::consts::TAU as f64 - 2.0 * PI).abs();
    let xs: [f32; 12] = [0.0, 1.0, -2.5, 3.2, -3.2, 9.5, -9.5, 3.0 * 3.14159 + 0.1, -7.0 * 3.14159 - 0.3, 100.0, -1000.0, 54321.0];
    for x in xs {
        let want = wrap_ref(x as f64);
        let got = wrap::<f32>(x);
        let turns = ((x as f64 - want) / (2.0 * PI)).round().abs();
        // One rounding of x - k * 2pi (<= 1 ulp of x) plus k times the f32 2pi's own error.
        let t = (x.abs().max(1.0) as f64) * f32::EPSILON as f64 + turns * f32_two_pi_excess;
        assert!((got as f64 - want).abs() <= t, "wrap({x}) = {got}, loop gives {want}");
        assert!((-std::f32::consts::PI..=std::f32::consts::PI).contains(&got), "wrap({x}) = {got} outside [-pi, pi]");
    }
    // The loop leaves the bounds themselves alone.
    assert_eq!(wrap::<f32>(std::f32::consts::PI), std::f32::consts::PI);
    assert_eq!(wrap::<f32>(-std::f32::consts::PI), -std::f32::consts::PI);
    // One turn is a single +-2pi, as in the loop, so it is exact in f32.
    assert_eq!(wrap::<f32>(4.0), 4.0 - std::f32::consts::TAU);
    assert_eq!(wrap::<f32>(-4.0), -4.0 + std::f32::consts::TAU);
    // The guard step: a sweep just past every multiple lands inside [-pi, pi].
    for k in -50i32..50 {
        let base = std::f32::consts::PI + k as f32 * std::f32::consts::TAU;
        let mut x = base;
        for _ in 0..8 {
            let w = wrap::<f32>(x);
            assert!(w.abs() <= std::f32::consts::PI, "wrap({x}) = {w}");
            x = f32::from_bits(x.to_bits() + 1);
        }
    }
}

#[test]
fn angles_beyond_pi_are_wrapped_after_the_step() {
    // Input angles several turns out; the dynamics only see them through sin/cos.
    for (s, a) in [([20.0f32, -15.0, 0.5, -0.5], 1u32), ([-9.0, 13.0, 2.0, 1.0], 2), ([3.0, 3.0, 5.0, 20.0], 0)] {
        let (want, _, term) = step_ref(widen(s), a as usize);
        assert!(!term, "test premise");
        let got = step_one(s, a, 0).0.unwrap();
        assert!(got[0].abs() <= std::f32::consts::PI && got[1].abs() <= std::f32::consts::PI, "{got:?}");
        // The stage angles are rounded to ulps of |theta| instead of ulps of 1; that error
        // enters the derivatives through the terms of size M and the result once more, and
        // each of the wrap's turns adds the f32 2pi's own error (1.7e-7).
        let big = (s[0].abs() + s[1].abs()) as f64 * f32::EPSILON as f64;
        let t = tol(widen(s), a) + big * (1.0 + DT * largest_term(widen(s), TORQUE[a as usize])) + 4.0 * 1.75e-7;
        for k in 0..4 {
            assert!((got[k] as f64 - want[k]).abs() <= t, "from {s:?}: component {k} {} vs {}", got[k], want[k]);
        }
    }
}

#[test]
fn velocities_are_clipped_to_max_vel() {
    let p = AcrobotParams::default();
    // Far past the limits (either sign after the step), and just past them.
    for s in [[0.2f32, -0.3, -30.0, 60.0], [0.2, -0.3, 30.0, -60.0], [-1.57, 0.0, 12.5, -28.5], [1.57, 0.0, -12.5, 28.5]] {
        let n = rk4(widen(s), 0.0);
        assert!(n[2].abs() > MAX_VEL_1 * 1.001 && n[3].abs() > MAX_VEL_2 * 1.001, "test premise: unclipped result {n:?}");
        let (_, obs, ..) = step_one(s, 1, 0);
        assert_eq!((obs[4], obs[5]), (p.max_vel_1.copysign(n[2] as f32), p.max_vel_2.copysign(n[3] as f32)), "from {s:?}");
    }
}

#[test]
fn termination_and_reward() {
    // (state, terminates): tip clearly above / below the line after one step.
    let cases: [([f32; 4], bool); 6] = [
        ([std::f32::consts::PI, 0.0, 0.0, 0.0], true), // straight up: height 2
        ([2.2, 0.0, 0.0, 0.0], true),                  // height ~1.18
        ([1.9, 0.0, 0.0, 0.0], false),                 // height ~0.65
        ([0.0, 0.0, 0.0, 0.0], false),                 // hanging: height -2
        ([1.5, 1.5, 0.0, 0.0], false),                 // elbow bent: ~0.79 after the step
        ([2.0, 1.0, 0.0, 0.0], true),                  // elbow bent: ~1.4
    ];
    for (s, expect) in cases {
        let (want, height, term) = step_ref(widen(s), 1);
        assert_eq!(term, expect, "test premise for {s:?}: reference height {height}");
        assert!((height - 1.0).abs() > 1e-3, "test premise: {s:?} is not near the line");
        let (state, obs, reward, terminated, truncated) = step_one(s, 1, 0);
        assert_eq!(terminated, expect, "{s:?}");
        assert!(!truncated);
        assert_eq!(reward, if expect { 0.0 } else { -1.0 }, "{s:?}");
        // Terminated: the state auto-resets, and final_obs holds the terminal observation.
        assert_eq!(state.is_none(), expect);
        let o = obs_ref(want);
        for k in 0..6 {
            assert!((obs[k] as f64 - o[k]).abs() <= obs_tol(widen(s), 1, k), "final obs {k} for {s:?}: {} vs {}", obs[k], o[k]);
        }
    }
}

#[test]
fn reset_draws_within_bounds_and_differs_across_envs() {
    let n = 256;
    let env = VecEnv::<Acrobot>::new(n, 123).unwrap();
    let st = env.state();
    for k in 0..4 {
        let col = &st[k * n..(k + 1) * n];
        assert!(col.iter().all(|&x| (-0.1..0.1).contains(&x)), "component {k} outside [-0.1, 0.1)");
        let mut sorted = col.to_vec();
        sorted.sort_by(f32::total_cmp);
        sorted.dedup();
        assert!(sorted.len() > n * 9 / 10, "component {k}: only {} distinct values", sorted.len());
        // Roughly uniform: both halves of the range are used.
        assert!(col.iter().any(|&x| x < -0.05) && col.iter().any(|&x| x > 0.05));
    }
    // The first observation is that of the drawn state.
    let obs = env.view().obs;
    for i in 0..n {
        let s = [st[i], st[n + i], st[2 * n + i], st[3 * n + i]];
        let o = obs_ref(widen(s));
        for k in 0..6 {
            assert!((obs[k * n + i] as f64 - o[k]).abs() <= 2e-7, "obs {k} of env {i}");
        }
    }
}

#[test]
fn truncates_after_exactly_500_steps_with_final_obs() {
    let n = 3;
    let mut env = VecEnv::<Acrobot>::new(n, 9).unwrap();
    // Zero torque from a reset state: the chain only sways, so nothing terminates.
    let actions = [1u32; 3];
    for t in 1..=500u32 {
        let before = env.state().to_vec();
        let v = env.step(Actions::Discrete(&actions)).unwrap();
        assert!(v.terminated.iter().all(|&x| !x), "step {t}: terminated");
        let expect = t == 500;
        assert!(v.truncated.iter().all(|&x| x == expect), "step {t}: truncated {:?}", v.truncated);
        if expect {
            for i in 0..n {
                let s = [before[i], before[n + i], before[2 * n + i], before[3 * n + i]];
                let (want, ..) = step_ref(widen(s), 1);
                let o = obs_ref(want);
                for (k, want) in o.iter().enumerate() {
                    assert!((v.final_obs.get(i).unwrap()[k] as f64 - want).abs() <= obs_tol(widen(s), 1, k), "final_obs {k} of env {i}");
                    assert_ne!(v.final_obs.get(i).unwrap()[k], v.obs[k * n + i], "obs must be the next episode's first");
                }
                // The new episode starts from a reset draw.
                for k in 4..6 {
                    assert!(v.obs[k * n + i].abs() < 0.1);
                }
            }
        }
    }
    assert_eq!(env.elapsed(), &[0, 0, 0]);
    assert_eq!(env.episodes(), &[1, 1, 1]);
    // Through set_env_state: 498 steps taken -> the 499th does not truncate, the 500th does.
    env.set_env_state(0, &[0.01, 0.0, 0.0, 0.0], 498).unwrap();
    assert!(!env.step(Actions::Discrete(&actions)).unwrap().truncated[0]);
    assert!(env.step(Actions::Discrete(&actions)).unwrap().truncated[0]);
}

#[test]
fn invalid_actions_are_rejected_with_exact_errors() {
    let mut env = VecEnv::<Acrobot>::new(2, 0).unwrap();
    assert_eq!(env.step(Actions::Discrete(&[0, 3])).unwrap_err(), Error::ActionOutOfRange { env: "Acrobot-v1", index: 1, value: 3, n: 3 });
    assert_eq!(
        env.step(Actions::DiscreteI32(&[-1, 2])).unwrap_err(),
        Error::ActionOutOfRange { env: "Acrobot-v1", index: 0, value: -1, n: 3 }
    );
    assert!(matches!(env.step(Actions::Continuous(&[0.0, 1.0])).unwrap_err(), Error::ActionType { env: "Acrobot-v1", .. }));
    // Valid i32 actions work.
    assert!(env.step(Actions::DiscreteI32(&[0, 2])).is_ok());
}

/// Gymnasium's `_dsdt` and one RK4 step in `f64` with any constants `[dt, l1, m1, m2, lc1, lc2,
/// moi, g]`, before wrapping and clipping; also the largest magnitude of any term of `_dsdt` in
/// the four stages.
fn rk4_with(c: [f64; 8], s: [f64; 4], a: f64) -> ([f64; 4], f64) {
    let [dt, l1, m1, m2, lc1, lc2, moi, g] = c;
    let largest = std::cell::Cell::new(0f64);
    let dsdt = |s: [f64; 4]| {
        let [t1, t2, dt1, dt2] = s;
        let d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2.0 * l1 * lc2 * t2.cos()) + moi + moi;
        let d2 = m2 * (lc2 * lc2 + l1 * lc2 * t2.cos()) + moi;
        let phi2 = m2 * lc2 * g * (t1 + t2).sin();
        let coriolis = -m2 * l1 * lc2 * dt2 * dt2 * t2.sin() - 2.0 * m2 * l1 * lc2 * dt2 * dt1 * t2.sin();
        let phi1 = coriolis + (m1 * lc1 + m2 * l1) * g * t1.sin() + phi2;
        let ddt2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dt1 * dt1 * t2.sin() - phi2) / (m2 * lc2 * lc2 + moi - d2 * d2 / d1);
        let ddt1 = -(d2 * ddt2 + phi1) / d1;
        let terms = [m2 * l1 * lc2 * dt2 * dt2, m2 * l1 * lc2 * dt1 * dt1, d2 / d1 * phi1, d2 * ddt2, ddt1, ddt2];
        largest.set(terms.iter().fold(largest.get(), |m, t| m.max(t.abs())));
        [dt1, dt2, ddt1, ddt2]
    };
    let add = |y: [f64; 4], h: f64, k: [f64; 4]| std::array::from_fn::<f64, 4, _>(|i| y[i] + h * k[i]);
    let k1 = dsdt(s);
    let k2 = dsdt(add(s, dt / 2.0, k1));
    let k3 = dsdt(add(s, dt / 2.0, k2));
    let k4 = dsdt(add(s, dt, k3));
    (std::array::from_fn(|i| s[i] + dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])), largest.get())
}

/// At some ends of the declared ranges (1 s steps, long heavy links of small inertia, 100 rad/s)
/// RK4's stages compound the velocity (each stage's acceleration is quadratic in the previous
/// stage's velocity) past f32's range: in `f64` the largest term of the stages is 3.9e38 (f32's
/// largest value is 3.4e38) and the update of the velocities about 4e34. Before the check the velocities came out as inf or NaN, and the clip turned them into
/// ±max_vel (NaN into -max_vel) without a trace. Now the update is discarded: the env keeps its
/// state, wrapped and clipped as after any step.
#[test]
fn an_rk4_update_that_overflows_f32_is_discarded() {
    let p = AcrobotParams {
        dt: 1.0,
        link_length_1: 10.0,
        link_length_2: 0.1,
        link_mass_1: 10.0,
        link_mass_2: 10.0,
        link_com_pos_1: 0.0,
        link_com_pos_2: 10.0,
        link_moi: 0.1,
        max_vel_1: 100.0,
        max_vel_2: 100.0,
        g: 0.0,
        terminal_height: 10.0,
        avail_torque_0: -100.0,
        ..AcrobotParams::default()
    };
    let s = [std::f32::consts::PI, -1.185_022_2, 100.0, 100.0];
    let (update, largest) = rk4_with([1.0, 10.0, 10.0, 10.0, 0.0, 10.0, 0.1, 0.0], widen(s), -100.0);
    assert!(largest > f32::MAX as f64, "test premise: a term of the stages ({largest:e}) exceeds f32 (update {update:?})");
    let mut env = VecEnv::<Acrobot>::builder(1).params(p).build().unwrap();
    env.set_env_state(0, &s, 0).unwrap();
    let v = env.step(Actions::Discrete(&[0])).unwrap();
    assert!(v.obs.iter().chain(v.reward.iter()).all(|x| x.is_finite()), "{:?}", v.obs);
    assert_eq!(env.state(), &s[..], "the overflowing update is discarded");
}

/// `wrap` of angles far past any that Gymnasium's parameters reach (a step of `dt = 1000` once
/// produced 2.8e33): every finite angle lands in [-pi, pi] within the bounded number of extra
/// passes; NaN and the infinities come back as NaN.
#[test]
fn wrap_reduces_any_finite_angle_into_pi() {
    for x in [5e7f32, -5e7, 1.234_567e9, 1e15, -3.3e20, 2.8e33, f32::MAX, f32::MIN] {
        let w = wrap::<f32>(x);
        assert!(w.abs() <= std::f32::consts::PI, "wrap({x}) = {w}");
    }
    for x in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        assert!(wrap::<f32>(x).is_nan());
    }
}
