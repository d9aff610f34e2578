//! CartPole-v1: balance a pole on a cart by pushing it left or right.
//!
//! Reference: Gymnasium 1.x `gymnasium/envs/classic_control/cartpole.py` (Barto, Sutton &
//! Anderson 1983), Euler integration. Full equations: `docs/envs/cartpole.md`.
//!
//! | obs | name | range |
//! |---|---|---|
//! | 0 | cart position `x` | terminates outside ±2.4 |
//! | 1 | cart velocity `x_dot` | unbounded |
//! | 2 | pole angle `theta` (rad) | terminates outside ±12° |
//! | 3 | pole angular velocity `theta_dot` | unbounded |
//!
//! Action: `Discrete(2)`, 0 pushes left, 1 pushes right, with `force_mag`.
//! Reward: +1 every step, including the terminating one (`sutton_barto_reward=False`).
//! Termination: `|x| > x_threshold` or `|theta| > theta_threshold_radians`.
//! Truncation: 500 steps (`TimeLimit`). Reset: every state component uniform in ±0.05.
//! Deviation: computed in `f32` (Gymnasium uses `f64`); see the parity tolerances in the docs.

use crate::lane::Lane;
use crate::math;
use crate::params::Valid;
use crate::rng::Rng;
use crate::spec::{ActionSpace, Env, EnvSpec, ObsSpace, RefConst, Transition};
use crate::{params, record};

// The ranges: about two orders of magnitude either side of Gymnasium's values for the physical
// constants, thresholds up to a half turn. The smallest pole length and masses bound the
// accelerations (the denominator `length (4/3 - masspole cos² / total_mass)` is at least
// `length / 3`), and a state that does not terminate keeps |theta| <= pi and |x| <= 100, so every
// step stays finite (docs/robustness.md, "Parameter and state ranges", has the bound).
params! {
    /// CartPole-v1's constants, named as in Gymnasium.
    pub struct CartPoleParams {
        /// Gravitational acceleration (m/s²).
        gravity: 9.8, Valid::closed(0.0, 100.0);
        /// Mass of the cart (kg).
        masscart: 1.0, Valid::closed(0.01, 100.0);
        /// Mass of the pole (kg).
        masspole: 0.1, Valid::closed(0.001, 10.0);
        /// Half the pole's length (m): Gymnasium's `length` is the distance to the pole's centre.
        length: 0.5, Valid::closed(0.01, 10.0);
        /// Magnitude of the push (N).
        force_mag: 10.0, Valid::closed(0.0, 1000.0);
        /// Seconds between state updates (s).
        tau: 0.02, Valid::closed(1e-4, 1.0);
        /// Pole angle beyond which the episode terminates (rad): 12 degrees.
        theta_threshold_radians: (12.0 * 2.0 * core::f64::consts::PI / 360.0) as f32, Valid::closed(1e-3, core::f32::consts::PI);
        /// Cart position beyond which the episode terminates (m).
        x_threshold: 2.4, Valid::closed(0.01, 100.0);
        /// Reset draws every state component uniformly from `[-reset_bound, reset_bound)`.
        reset_bound: 0.05, Valid::closed(0.0, 1.0), ours;
    }
    max_episode_steps: 500;
    order: [];
}

record! {
    /// `[x, x_dot, theta, theta_dot]`, Gymnasium's internal state order; also the observation.
    pub struct CartPoleState {
        /// Cart position (m).
        x,
        /// Cart velocity (m/s).
        x_dot,
        /// Pole angle from upright (rad).
        theta,
        /// Pole angular velocity (rad/s).
        theta_dot,
    }
}

record! {
    /// The action index as a float (0 = push left, 1 = push right).
    pub struct CartPoleAction {
        /// 0 pushes left, 1 pushes right.
        push,
    }
}

/// CartPole-v1.
#[derive(Clone, Copy, Debug, Default)]
pub struct CartPole;

impl Env for CartPole {
    crate::simd::compiled_here!();
    const SPEC: EnvSpec = EnvSpec { id: "CartPole-v1", reference: "gymnasium/envs/classic_control/cartpole.py (Gymnasium 1.x)" };
    type Params = CartPoleParams;
    const REFERENCE_CONSTANTS: &'static [(&'static str, RefConst)] = &[
        ("total_mass", RefConst::Derived),
        ("polemass_length", RefConst::Derived),
        ("kinematics_integrator", RefConst::Text("euler")),
        ("sutton_barto_reward", RefConst::Flag(false)),
    ];
    type State<L: Lane> = CartPoleState<L>;
    type Obs<L: Lane> = CartPoleState<L>;
    type Action<L: Lane> = CartPoleAction<L>;
    const OBS_IS_STATE: bool = true;
    // Ten times the largest x threshold, a pole angle past any threshold, velocities beyond what
    // an episode reaches; with the parameter ranges these keep the step finite.
    const STATE_VALID: &'static [Valid] =
        &[Valid::closed(-1000.0, 1000.0), Valid::closed(-1000.0, 1000.0), Valid::closed(-10.0, 10.0), Valid::closed(-1000.0, 1000.0)];

    fn action_space(_: &CartPoleParams) -> ActionSpace {
        ActionSpace::Discrete { n: 2 }
    }

    fn observation_space(p: &CartPoleParams) -> ObsSpace {
        // Gymnasium: twice the termination thresholds, so failing observations stay inside.
        ObsSpace::symmetric(&[p.x_threshold * 2.0, f32::INFINITY, p.theta_threshold_radians * 2.0, f32::INFINITY])
    }

    #[inline(always)]
    fn reset<L: Lane>(p: &CartPoleParams<L>, rng: &mut Rng<L>) -> CartPoleState<L> {
        let (lo, hi) = (-p.reset_bound, p.reset_bound);
        CartPoleState { x: rng.uniform(lo, hi), x_dot: rng.uniform(lo, hi), theta: rng.uniform(lo, hi), theta_dot: rng.uniform(lo, hi) }
    }

    #[inline(always)]
    fn step<L: Lane>(p: &CartPoleParams<L>, s: &CartPoleState<L>, a: &CartPoleAction<L>) -> Transition<CartPoleState<L>, L> {
        // Gymnasium's expressions with the products of constants grouped first (the compiler
        // hoists them out of the loop when the parameters are shared) and the divisions by
        // total_mass as multiplications: the same equations, fewer operations per env
        // (docs/envs/cartpole.md, "Equations").
        let total_mass = p.masspole + p.masscart;
        let inv_total_mass = L::splat(1.0) / total_mass;
        let polemass_length = p.masspole * p.length;
        let force_per_mass = p.force_mag * inv_total_mass;
        let force = L::select(a.push.eq(L::splat(1.0)), force_per_mass, -force_per_mass);
        let (sintheta, costheta) = math::sin_cos_near_zero(s.theta);
        // temp = (force + polemass_length * theta_dot^2 * sintheta) / total_mass
        let temp = force + (polemass_length * inv_total_mass) * (s.theta_dot * s.theta_dot) * sintheta;
        // length * (4/3 - masspole * costheta^2 / total_mass)
        let denominator = p.length * L::splat(4.0 / 3.0) - (p.length * p.masspole * inv_total_mass) * (costheta * costheta);
        let thetaacc = (p.gravity * sintheta - costheta * temp) / denominator;
        // xacc = temp - polemass_length * thetaacc * costheta / total_mass
        let xacc = temp - (polemass_length * inv_total_mass) * thetaacc * costheta;
        // kinematics_integrator = "euler": positions advance with the old velocities.
        let tau = p.tau;
        let next = CartPoleState {
            x: s.x + tau * s.x_dot,
            x_dot: s.x_dot + tau * xacc,
            theta: s.theta + tau * s.theta_dot,
            theta_dot: s.theta_dot + tau * thetaacc,
        };
        let (xt, tt) = (p.x_threshold, p.theta_threshold_radians);
        // `|v| > t` is `v < -t or v > t` for every float, NaN included (false either way).
        let terminated = next.x.abs().gt(xt) | next.theta.abs().gt(tt);
        Transition { state: next, reward: L::splat(1.0), terminated }
    }

    #[inline(always)]
    fn observe<L: Lane>(_: &CartPoleParams<L>, s: &CartPoleState<L>) -> CartPoleState<L> {
        *s
    }
}

crate::simd::compile_kernels!(CartPole);
