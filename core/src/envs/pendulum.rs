//! Pendulum-v1: swing a frictionless pendulum up and hold it upright with a bounded torque.
//!
//! Reference: Gymnasium 1.x `gymnasium/envs/classic_control/pendulum.py`, semi-implicit Euler
//! integration. Full equations: `docs/envs/pendulum.md`.
//!
//! | obs | name | range |
//! |---|---|---|
//! | 0 | `cos(theta)` | [-1, 1] |
//! | 1 | `sin(theta)` | [-1, 1] |
//! | 2 | angular velocity `theta_dot` (rad/s) | clipped to ±`max_speed` (8) |
//!
//! Action: `Box(1)` in ±`max_torque` (2); values outside are clipped, as Gymnasium does.
//! Reward: `-(angle_normalize(theta)² + 0.1 theta_dot² + 0.001 u²)` of the state before the
//! step and the clipped torque `u`. Termination: never. Truncation: 200 steps (`TimeLimit`).
//! Reset: `theta` uniform in ±pi, `theta_dot` uniform in ±1.
//! Deviation: computed in `f32` (Gymnasium mixes `f64` state with `f32` action terms); `theta`
//! is not wrapped, so its `f32` resolution coarsens as it winds up, until past
//! [`THETA_WIND_LIMIT`] (65,536 rad) a step reduces it to `[-pi, pi)` (see the docs).

use crate::lane::{Lane, Mask};
use crate::math;
use crate::params::Valid;
use crate::rng::Rng;
use crate::spec::{ActionSpace, Env, EnvSpec, ObsSpace, Transition};
use crate::{params, record};

// The ranges: about two orders of magnitude either side of Gymnasium's values. The velocity is
// clipped every step, the angle reduced past THETA_WIND_LIMIT, and the smallest rod (0.01 kg,
// 0.01 m) bounds the acceleration `3 / (m l²) u` at 6e8 rad/s², so every step is finite.
params! {
    /// Pendulum-v1's constants, named as in Gymnasium.
    pub struct PendulumParams {
        /// Angular velocity limit (rad/s); the new velocity is clipped to ±`max_speed`.
        max_speed: 8.0, Valid::closed(0.1, 1000.0);
        /// Torque limit (N m): the action space's bound and the clip applied to actions.
        max_torque: 2.0, Valid::closed(0.0, 200.0);
        /// Seconds between state updates.
        dt: 0.05, Valid::closed(1e-4, 1.0);
        /// Gravitational acceleration (m/s²).
        g: 10.0, Valid::closed(0.0, 100.0);
        /// Mass of the rod (kg).
        m: 1.0, Valid::closed(0.01, 100.0);
        /// Length of the rod (m).
        l: 1.0, Valid::closed(0.01, 100.0);
        /// Weight of `theta_dot²` in the cost (a literal `0.1` in Gymnasium's `step`).
        cost_thdot_coef: 0.1, Valid::closed(0.0, 10.0);
        /// Weight of `u²` in the cost (a literal `0.001` in Gymnasium's `step`).
        cost_u_coef: 0.001, Valid::closed(0.0, 10.0);
        /// Reset draws `theta` uniformly from `[-x_init, x_init)` (Gymnasium's reset option
        /// `x_init`, default `DEFAULT_X = pi`); up to a full turn either way.
        x_init: core::f32::consts::PI, Valid::closed(0.0, core::f32::consts::TAU), ours;
        /// Reset draws `theta_dot` uniformly from `[-y_init, y_init)` (Gymnasium's reset option
        /// `y_init`, default `DEFAULT_Y = 1.0`).
        y_init: 1.0, Valid::closed(0.0, 100.0), ours;
    }
    max_episode_steps: 200;
    order: [];
}

// Gymnasium's `3 g / (2 l) sin(th) + 3 / (m l²) u` is the angular acceleration of a uniform
// rod pivoted at one end: inertia `m l² / 3`, weight acting at `l / 2`. These divisors are
// that geometry, fixed in Gymnasium's code rather than attributes, so they are not parameters.
/// The rod's moment of inertia about the pivot is `m l² / ROD_INERTIA_DIV`.
const ROD_INERTIA_DIV: f32 = 3.0;
/// The rod's centre of mass is at `l / ROD_CENTRE_DIV` from the pivot.
const ROD_CENTRE_DIV: f32 = 2.0;

/// Past this (rad), a step reduces `theta` by whole turns into `[-pi, pi)` (Gymnasium's
/// `angle_normalize`). Gymnasium lets the angle wind up without end (with no time limit it
/// does); in `f32` that carries it to where `math::sin_cos`'s argument reduction fails: its
/// results leave [-1, 1] from about 1e9 rad (10^6 steps at the largest `max_speed * dt`, 1000
/// rad) and overflow from about 1e15, and `angle_normalize` in the cost loses every digit.
/// 2^16 rad is 10,430 turns: an episode of Gymnasium's 200 steps winds at most 80 rad, so
/// golden replays never reach it, and below it `sin_cos` keeps its exact quadrant count. Also
/// the bound `set_env_state` accepts for `theta`.
pub const THETA_WIND_LIMIT: f32 = 65_536.0;

record! {
    /// `[theta, theta_dot]`, Gymnasium's internal state order.
    pub struct PendulumState {
        /// Angle from upright (rad), not wrapped: it accumulates full turns.
        theta,
        /// Angular velocity (rad/s).
        theta_dot,
    }
}

record! {
    /// `[cos(theta), sin(theta), theta_dot]`.
    pub struct PendulumObs {
        /// `cos(theta)`: 1 when upright.
        cos_theta,
        /// `sin(theta)`.
        sin_theta,
        /// Angular velocity (rad/s).
        theta_dot,
    }
}

record! {
    /// The torque applied at the pivot, before clipping.
    pub struct PendulumAction {
        /// Torque (N m); clipped to ±`max_torque` by the step.
        torque,
    }
}

/// Pendulum-v1.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pendulum;

impl Env for Pendulum {
    crate::simd::compiled_here!();
    const SPEC: EnvSpec = EnvSpec { id: "Pendulum-v1", reference: "gymnasium/envs/classic_control/pendulum.py (Gymnasium 1.x)" };
    type Params = PendulumParams;
    type State<L: Lane> = PendulumState<L>;
    type Obs<L: Lane> = PendulumObs<L>;
    type Action<L: Lane> = PendulumAction<L>;
    // theta up to the wind-up limit; theta_dot up to the largest max_speed (a step clips it).
    const STATE_VALID: &'static [Valid] = &[Valid::closed(-THETA_WIND_LIMIT, THETA_WIND_LIMIT), Valid::closed(-1000.0, 1000.0)];

    fn action_space(p: &PendulumParams) -> ActionSpace {
        ActionSpace::uniform_box(1, -p.max_torque, p.max_torque)
    }

    fn observation_space(p: &PendulumParams) -> ObsSpace {
        // (cos theta, sin theta, theta_dot).
        ObsSpace::symmetric(&[1.0, 1.0, p.max_speed])
    }

    #[inline(always)]
    fn reset<L: Lane>(p: &PendulumParams<L>, rng: &mut Rng<L>) -> PendulumState<L> {
        PendulumState { theta: rng.uniform(-p.x_init, p.x_init), theta_dot: rng.uniform(-p.y_init, p.y_init) }
    }

    #[inline(always)]
    fn step<L: Lane>(p: &PendulumParams<L>, s: &PendulumState<L>, a: &PendulumAction<L>) -> Transition<PendulumState<L>, L> {
        let u = a.torque.clamp(-p.max_torque, p.max_torque);
        // The cost reads the state before the update, as Gymnasium computes it first.
        let th_n = math::angle_normalize(s.theta);
        let cost = th_n * th_n + p.cost_thdot_coef * (s.theta_dot * s.theta_dot) + p.cost_u_coef * (u * u);
        // Same grouping as Gymnasium (`3 * g / (2 * l) * sin(th)`), so only f32 rounding differs.
        let gravity = L::splat(ROD_INERTIA_DIV) * p.g / (L::splat(ROD_CENTRE_DIV) * p.l);
        let drive = L::splat(ROD_INERTIA_DIV) / (p.m * (p.l * p.l));
        let (sin_th, _) = math::sin_cos(s.theta);
        let dt = p.dt;
        let theta_dot = s.theta_dot + (gravity * sin_th + drive * u) * dt;
        let theta_dot = theta_dot.clamp(-p.max_speed, p.max_speed);
        // Semi-implicit Euler: the angle advances with the new, clipped velocity.
        let theta = s.theta + theta_dot * dt;
        // Whole turns off past THETA_WIND_LIMIT (one vector-wide branch, never taken in
        // episodes of Gymnasium's length): the same sines, a bounded angle.
        let wound = theta.abs().gt(L::splat(THETA_WIND_LIMIT));
        let theta = if wound.any() { L::select(wound, math::angle_normalize(theta), theta) } else { theta };
        // Pendulum never terminates; only the TimeLimit ends an episode.
        let never = L::splat(0.0).lt(L::splat(0.0));
        Transition { state: PendulumState { theta, theta_dot }, reward: -cost, terminated: never }
    }

    #[inline(always)]
    fn observe<L: Lane>(_: &PendulumParams<L>, s: &PendulumState<L>) -> PendulumObs<L> {
        let (sin_theta, cos_theta) = math::sin_cos(s.theta);
        PendulumObs { cos_theta, sin_theta, theta_dot: s.theta_dot }
    }
}

crate::simd::compile_kernels!(Pendulum);
