//! Acrobot-v1: swing the tip of a two-link chain, actuated only at the elbow, above a line.
//!
//! Reference: Gymnasium 1.x `gymnasium/envs/classic_control/acrobot.py` (Sutton 1996; Sutton &
//! Barto, the "book" dynamics), one classical RK4 step per `dt`. Full equations:
//! `docs/envs/acrobot.md`.
//!
//! | obs | name | range |
//! |---|---|---|
//! | 0 | `cos(theta1)` | [-1, 1] |
//! | 1 | `sin(theta1)` | [-1, 1] |
//! | 2 | `cos(theta2)` | [-1, 1] |
//! | 3 | `sin(theta2)` | [-1, 1] |
//! | 4 | `dtheta1` (rad/s) | clipped to ±`max_vel_1` (4π) |
//! | 5 | `dtheta2` (rad/s) | clipped to ±`max_vel_2` (9π) |
//!
//! `theta1` is the first link's angle from hanging straight down, `theta2` the second link's
//! angle relative to the first; both are wrapped into [-π, π] after every step.
//!
//! Action: `Discrete(3)`, the elbow torque `avail_torque[a]` = -1, 0, +1.
//! Reward: -1 every step, 0 on the terminating one.
//! Termination: `-cos(theta1) - cos(theta2 + theta1) > terminal_height` (tip above the line).
//! Truncation: 500 steps (`TimeLimit`). Reset: every state component uniform in ±0.1.
//! Deviation: computed in `f32` (Gymnasium uses `f64`); the system is chaotic, so free-running
//! trajectories separate after tens of steps. See the parity section of the docs.

use crate::lane::{Lane, Mask};
use crate::math;
use crate::params::Valid;
use crate::rng::Rng;
use crate::spec::{ActionSpace, Env, EnvSpec, ObsSpace, RefConst, Transition};
use crate::{params, record};

// The ranges: a factor of ten either side of Gymnasium's links (their mass matrix then stays
// far from singular in f32: its Schur complement is at least link_moi / 4, against rounding of
// at most ~1e-4 of it), steps up to 1 s, velocity limits up to 100 rad/s. RK4 at such steps can
// still overflow f32 inside a step for some combinations of them; the step checks its result
// for that (see `step`).
params! {
    /// Acrobot-v1's constants, named as in Gymnasium (snake_case).
    pub struct AcrobotParams {
        /// Seconds per step, integrated with one RK4 step.
        dt: 0.2, Valid::closed(1e-4, 1.0);
        /// Length of link 1 (m).
        link_length_1: 1.0, Valid::closed(0.1, 10.0);
        /// Length of link 2 (m). Gymnasium uses it only for rendering: neither the dynamics nor
        /// the termination rule (a fixed `terminal_height`) depend on it.
        link_length_2: 1.0, Valid::closed(0.1, 10.0);
        /// Mass of link 1 (kg).
        link_mass_1: 1.0, Valid::closed(0.1, 10.0);
        /// Mass of link 2 (kg).
        link_mass_2: 1.0, Valid::closed(0.1, 10.0);
        /// Position of link 1's centre of mass from the shoulder (m).
        link_com_pos_1: 0.5, Valid::closed(0.0, 10.0);
        /// Position of link 2's centre of mass from the elbow (m).
        link_com_pos_2: 0.5, Valid::closed(0.0, 10.0);
        /// Moment of inertia of each link (Gymnasium's `I1` and `I2` are both `LINK_MOI`).
        link_moi: 1.0, Valid::closed(0.1, 10.0);
        /// `dtheta1` is clipped to ±this after each step: 4π.
        max_vel_1: (4.0 * core::f64::consts::PI) as f32, Valid::closed(0.1, 100.0);
        /// `dtheta2` is clipped to ±this after each step: 9π.
        max_vel_2: (9.0 * core::f64::consts::PI) as f32, Valid::closed(0.1, 100.0);
        /// Gravitational acceleration (Gymnasium hard-codes `g = 9.8` inside `_dsdt`).
        g: 9.8, Valid::closed(0.0, 100.0);
        /// The episode terminates when the tip's height `-cos(t1) - cos(t2 + t1)` exceeds this
        /// (Gymnasium hard-codes `1.0` in `_terminal`); the height lies in [-2, 2].
        terminal_height: 1.0, Valid::closed(-10.0, 10.0);
        /// Elbow torque of action 0 (Gymnasium's `AVAIL_TORQUE[0]`).
        avail_torque_0: -1.0, Valid::closed(-100.0, 100.0);
        /// Elbow torque of action 1 (Gymnasium's `AVAIL_TORQUE[1]`).
        avail_torque_1: 0.0, Valid::closed(-100.0, 100.0);
        /// Elbow torque of action 2 (Gymnasium's `AVAIL_TORQUE[2]`).
        avail_torque_2: 1.0, Valid::closed(-100.0, 100.0);
        /// Reset draws every state component uniformly from `[-reset_bound, reset_bound)`.
        reset_bound: 0.1, Valid::closed(0.0, core::f32::consts::PI), ours;
    }
    max_episode_steps: 500;
    order: [];
}

record! {
    /// `[theta1, theta2, dtheta1, dtheta2]`, Gymnasium's internal state order. Also used for
    /// the state's time derivative inside the integrator.
    pub struct AcrobotState {
        /// Angle of link 1 from hanging down (rad), in [-π, π] after a step.
        theta1,
        /// Angle of link 2 relative to link 1 (rad), in [-π, π] after a step.
        theta2,
        /// Angular velocity of link 1 (rad/s).
        dtheta1,
        /// Angular velocity of link 2 relative to link 1 (rad/s).
        dtheta2,
    }
}

record! {
    /// Gymnasium's observation: `[cos t1, sin t1, cos t2, sin t2, dt1, dt2]`.
    pub struct AcrobotObs {
        /// `cos(theta1)`.
        cos_theta1,
        /// `sin(theta1)`.
        sin_theta1,
        /// `cos(theta2)`.
        cos_theta2,
        /// `sin(theta2)`.
        sin_theta2,
        /// Angular velocity of link 1 (rad/s).
        dtheta1,
        /// Angular velocity of link 2 (rad/s).
        dtheta2,
    }
}

record! {
    /// The action index as a float.
    pub struct AcrobotAction {
        /// 0, 1, 2: index into `avail_torque`.
        index,
    }
}

/// Acrobot-v1.
#[derive(Clone, Copy, Debug, Default)]
pub struct Acrobot;

/// Gymnasium's `pi` (wrap bounds), rounded to `f32`.
const PI: f32 = core::f32::consts::PI;
/// `wrap`'s `diff = M - m` for `[-pi, pi]`; exactly `PI + PI` in `f32`.
const TWO_PI: f32 = core::f32::consts::TAU;
/// Gymnasium's `rk4`: intermediate stages at `dt / 2.0`.
const RK4_HALF_DIVISOR: f32 = 2.0;
/// Gymnasium's `rk4`: `y0 + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)`.
const RK4_FINAL_DIVISOR: f32 = 6.0;
/// Weight of the middle stages `k2`, `k3` in that sum.
const RK4_MID_WEIGHT: f32 = 2.0;
/// The 2 of the cross terms `2 l1 lc2 cos(t2)` and `2 m2 l1 lc2 dt2 dt1 sin(t2)`.
const CROSS: f32 = 2.0;
/// Gymnasium's reward: `-1.0 if not terminated else 0.0`.
const REWARD_STEP: f32 = -1.0;
/// See [`REWARD_STEP`].
const REWARD_TERMINAL: f32 = 0.0;

/// The constant subexpressions of Gymnasium's `_dsdt`, each grouped as Python evaluates it
/// (left to right, `**` first, unary minus before `*`), so folding them changes no rounding.
struct Coeffs<L> {
    m2: L,
    i1: L,
    i2: L,
    /// `m1 * lc1**2`
    m1_lc1_sq: L,
    /// `l1**2 + lc2**2`
    l1_sq_lc2_sq: L,
    /// `2 * l1 * lc2`
    cross_l1_lc2: L,
    /// `lc2**2`
    lc2_sq: L,
    /// `l1 * lc2`
    l1_lc2: L,
    /// `m2 * lc2 * g`
    m2_lc2_g: L,
    /// `-m2 * l1 * lc2`
    neg_m2_l1_lc2: L,
    /// `2 * m2 * l1 * lc2`
    cross_m2_l1_lc2: L,
    /// `(m1 * lc1 + m2 * l1) * g`
    m_lc_g: L,
    /// `m2 * l1 * lc2`
    m2_l1_lc2: L,
    /// `m2 * lc2**2 + I2`
    m2_lc2_sq_i2: L,
}

impl<L: Lane> Coeffs<L> {
    #[inline(always)]
    fn new(p: &AcrobotParams<L>) -> Self {
        let (m1, m2, l1) = (p.link_mass_1, p.link_mass_2, p.link_length_1);
        let (lc1, lc2, moi, g) = (p.link_com_pos_1, p.link_com_pos_2, p.link_moi, p.g);
        let cross = L::splat(CROSS);
        Coeffs {
            m2,
            i1: moi,
            i2: moi,
            m1_lc1_sq: m1 * (lc1 * lc1),
            l1_sq_lc2_sq: l1 * l1 + lc2 * lc2,
            cross_l1_lc2: cross * l1 * lc2,
            lc2_sq: lc2 * lc2,
            l1_lc2: l1 * lc2,
            m2_lc2_g: m2 * lc2 * g,
            neg_m2_l1_lc2: -m2 * l1 * lc2,
            cross_m2_l1_lc2: cross * m2 * l1 * lc2,
            m_lc_g: (m1 * lc1 + m2 * l1) * g,
            m2_l1_lc2: m2 * l1 * lc2,
            m2_lc2_sq_i2: m2 * (lc2 * lc2) + moi,
        }
    }
}

/// Gymnasium's `_dsdt` with `book_or_nips = "book"`: the time derivative of `s` under elbow
/// torque `a` (the torque's own derivative, 0, is left out).
#[inline(always)]
fn dsdt<L: Lane>(c: &Coeffs<L>, s: &AcrobotState<L>, a: L) -> AcrobotState<L> {
    let (sin2, cos2) = math::sin_cos(s.theta2);
    // Gymnasium writes sin(x) as cos(x - pi/2). In f64 the shift costs ~1e-16; in f32 it would
    // add up to half an ulp of pi/2 (6e-8) to the argument, so sin of the unshifted angle is
    // the closer match to the reference.
    let sin1 = math::sin(s.theta1);
    let sin12 = math::sin(s.theta1 + s.theta2);
    let (dt1, dt2) = (s.dtheta1, s.dtheta2);
    let d1 = ((c.m1_lc1_sq + c.m2 * (c.l1_sq_lc2_sq + c.cross_l1_lc2 * cos2)) + c.i1) + c.i2;
    let d2 = c.m2 * (c.lc2_sq + c.l1_lc2 * cos2) + c.i2;
    let phi2 = c.m2_lc2_g * sin12;
    let phi1 = ((c.neg_m2_l1_lc2 * (dt2 * dt2) * sin2 - c.cross_m2_l1_lc2 * dt2 * dt1 * sin2) + c.m_lc_g * sin1) + phi2;
    // "book": the extra -m2 l1 lc2 dt1^2 sin(t2) term the NIPS paper omits.
    let ddtheta2 = (((a + d2 / d1 * phi1) - c.m2_l1_lc2 * (dt1 * dt1) * sin2) - phi2) / (c.m2_lc2_sq_i2 - d2 * d2 / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    AcrobotState { theta1: dt1, theta2: dt2, dtheta1: ddtheta1, dtheta2: ddtheta2 }
}

/// `y + h * k` per component (`y0 + dt2 * k1` in Gymnasium's `rk4`).
#[inline(always)]
fn advance<L: Lane>(y: &AcrobotState<L>, h: L, k: &AcrobotState<L>) -> AcrobotState<L> {
    AcrobotState {
        theta1: y.theta1 + h * k.theta1,
        theta2: y.theta2 + h * k.theta2,
        dtheta1: y.dtheta1 + h * k.dtheta1,
        dtheta2: y.dtheta2 + h * k.dtheta2,
    }
}

/// Gymnasium's `wrap(x, -pi, pi)`: `while x > pi: x -= 2pi`, then `while x < -pi: x += 2pi`.
///
/// The loop runs `ceil((x - pi) / 2pi)` times for `x > pi`, `ceil((-pi - x) / 2pi)` times for
/// `x < -pi`, and not at all inside `[-pi, pi]` (so `±pi` stay as they are). Counting the turns
/// with `floor` handles any number of them without a branch. The quotient's rounding can only
/// leave the count one short (rounding is monotonic and integers are exact), so one more
/// conditional `∓2pi` restores the loop's guarantee `-pi <= result <= pi`. For one turn (the
/// usual case) the result is bit-identical to the loop in `f32`; for `k` turns the loop rounds
/// `k` times and this once.
#[inline(always)]
pub fn wrap<L: Lane>(x: L) -> L {
    let (pi, two_pi) = (L::splat(PI), L::splat(TWO_PI));
    let above = x.gt(pi);
    // ceil((x - pi) / 2pi) = -floor((pi - x) / 2pi) above; -ceil((-pi - x) / 2pi) below.
    let turns = L::select(above, -math::floor((pi - x) / two_pi), math::floor((x + pi) / two_pi));
    let y = L::select(above | x.lt(-pi), x - turns * two_pi, x);
    let y = L::select(y.gt(pi), y - two_pi, y);
    let mut y = L::select(y.lt(-pi), y + two_pi, y);
    // Past ~2^23 turns (|x| > ~5e7, reachable when parameters far from the defaults make one RK4
    // step move an angle that far) `turns * two_pi` is off by up to an ulp of `x`, which exceeds
    // pi. Reduce again: each pass shrinks the error by ~2^23, so a finite f32 needs at most six
    // (`WRAP_PASSES` bounds it; NaN and infinities leave at once, as NaN). Never taken at the
    // sizes Gymnasium's episodes reach, so those results stay bit-identical to the loop's.
    let mut outside = y.gt(pi) | y.lt(-pi);
    let mut passes = 0;
    while outside.any() && passes < WRAP_PASSES {
        y = L::select(outside, y - math::floor((y + pi) / two_pi) * two_pi, y);
        outside = y.gt(pi) | y.lt(-pi);
        passes += 1;
    }
    y
}

/// Reduction passes of [`wrap`] for angles too large for its first one.
const WRAP_PASSES: u32 = 8;

/// Whether `x` is finite: `|x| <= f32::MAX` (false for NaN).
#[inline(always)]
fn finite<L: Lane>(x: L) -> L::Mask {
    x.abs().le(L::splat(f32::MAX))
}

impl Env for Acrobot {
    crate::simd::compiled_here!();
    const SPEC: EnvSpec = EnvSpec { id: "Acrobot-v1", reference: "gymnasium/envs/classic_control/acrobot.py (Gymnasium 1.x)" };
    type Params = AcrobotParams;
    // Only the deterministic "book" dynamics are implemented.
    const REFERENCE_CONSTANTS: &'static [(&'static str, RefConst)] =
        &[("torque_noise_max", RefConst::Number(0.0)), ("book_or_nips", RefConst::Text("book")), ("integrator", RefConst::Described)];
    type State<L: Lane> = AcrobotState<L>;
    type Obs<L: Lane> = AcrobotObs<L>;
    type Action<L: Lane> = AcrobotAction<L>;
    // Angles of up to 16 turns (a step wraps them), velocities up to the largest velocity limit.
    const STATE_VALID: &'static [Valid] =
        &[Valid::closed(-100.0, 100.0), Valid::closed(-100.0, 100.0), Valid::closed(-100.0, 100.0), Valid::closed(-100.0, 100.0)];

    fn action_space(_: &AcrobotParams) -> ActionSpace {
        ActionSpace::Discrete { n: 3 }
    }

    fn observation_space(p: &AcrobotParams) -> ObsSpace {
        // (cos, sin) of both angles, then the two angular velocities.
        ObsSpace::symmetric(&[1.0, 1.0, 1.0, 1.0, p.max_vel_1, p.max_vel_2])
    }

    #[inline(always)]
    fn reset<L: Lane>(p: &AcrobotParams<L>, rng: &mut Rng<L>) -> AcrobotState<L> {
        let (lo, hi) = (-p.reset_bound, p.reset_bound);
        AcrobotState {
            theta1: rng.uniform(lo, hi),
            theta2: rng.uniform(lo, hi),
            dtheta1: rng.uniform(lo, hi),
            dtheta2: rng.uniform(lo, hi),
        }
    }

    #[inline(always)]
    fn step<L: Lane>(p: &AcrobotParams<L>, s: &AcrobotState<L>, a: &AcrobotAction<L>) -> Transition<AcrobotState<L>, L> {
        let (t0, t1, t2) = (p.avail_torque_0, p.avail_torque_1, p.avail_torque_2);
        let torque = L::select(a.index.eq(L::splat(0.0)), t0, L::select(a.index.eq(L::splat(1.0)), t1, t2));
        let c = Coeffs::new(p);
        // Gymnasium's rk4 with t = [0, dt]: one step. The torque rides along as a fifth state
        // component with zero derivative, so every stage sees the same torque.
        let dt = p.dt;
        let half = dt / L::splat(RK4_HALF_DIVISOR);
        let k1 = dsdt(&c, s, torque);
        let k2 = dsdt(&c, &advance(s, half, &k1), torque);
        let k3 = dsdt(&c, &advance(s, half, &k2), torque);
        let k4 = dsdt(&c, &advance(s, dt, &k3), torque);
        let w = L::splat(RK4_MID_WEIGHT);
        #[inline(always)]
        fn weighted<L: Lane>(w: L, q1: L, q2: L, q3: L, q4: L) -> L {
            ((q1 + w * q2) + w * q3) + q4
        }
        let step = AcrobotState {
            theta1: weighted(w, k1.theta1, k2.theta1, k3.theta1, k4.theta1),
            theta2: weighted(w, k1.theta2, k2.theta2, k3.theta2, k4.theta2),
            dtheta1: weighted(w, k1.dtheta1, k2.dtheta1, k3.dtheta1, k4.dtheta1),
            dtheta2: weighted(w, k1.dtheta2, k2.dtheta2, k3.dtheta2, k4.dtheta2),
        };
        let ns = advance(s, dt / L::splat(RK4_FINAL_DIVISOR), &step);
        // The stages integrate unclipped velocities, and their growth compounds (each stage's
        // acceleration is quadratic in the previous stage's velocity): at some combinations of
        // large steps, velocities and mass ratios inside the declared ranges a stage overflows
        // f32, and the update is inf or NaN (Gymnasium's f64 would return a meaningless angle
        // there, and its `wrap` loop would not end). Such an update is discarded: the env keeps
        // the state it had, wrapped and clipped as usual. One vector-wide branch; never taken
        // from the states Gymnasium's parameters reach.
        let failed = !(finite(ns.theta1) & finite(ns.theta2) & finite(ns.dtheta1) & finite(ns.dtheta2));
        let ns = if failed.any() { crate::record::select(failed, s, &ns) } else { ns };
        let (v1, v2) = (p.max_vel_1, p.max_vel_2);
        let next = AcrobotState {
            theta1: wrap(ns.theta1),
            theta2: wrap(ns.theta2),
            dtheta1: ns.dtheta1.clamp(-v1, v1),
            dtheta2: ns.dtheta2.clamp(-v2, v2),
        };
        let height = -math::cos(next.theta1) - math::cos(next.theta2 + next.theta1);
        let terminated = height.gt(p.terminal_height);
        let reward = L::select(terminated, L::splat(REWARD_TERMINAL), L::splat(REWARD_STEP));
        Transition { state: next, reward, terminated }
    }

    #[inline(always)]
    fn observe<L: Lane>(_: &AcrobotParams<L>, s: &AcrobotState<L>) -> AcrobotObs<L> {
        let (sin1, cos1) = math::sin_cos(s.theta1);
        let (sin2, cos2) = math::sin_cos(s.theta2);
        AcrobotObs { cos_theta1: cos1, sin_theta1: sin1, cos_theta2: cos2, sin_theta2: sin2, dtheta1: s.dtheta1, dtheta2: s.dtheta2 }
    }
}

crate::simd::compile_kernels!(Acrobot);
