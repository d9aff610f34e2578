//! MountainCarContinuous-v0: MountainCar with a continuous throttle and an energy cost.
//!
//! Reference: Gymnasium 1.x `gymnasium/envs/classic_control/continuous_mountain_car.py`.
//! Full equations: `docs/envs/mountain_car_continuous.md`.
//!
//! | obs | name | range |
//! |---|---|---|
//! | 0 | car position `position` | `[min_position, max_position]` = `[-1.2, 0.6]` |
//! | 1 | car velocity `velocity` | `[-max_speed, max_speed]` = `[-0.07, 0.07]` |
//!
//! Action: `Box(-1, 1, shape=(1,))`, the force; clipped to `[min_action, max_action]` in the
//! dynamics only.
//! Reward: `100` on the terminating step, minus `0.1 * action²` every step (unclipped action).
//! Termination: `position >= goal_position && velocity >= goal_velocity`.
//! Truncation: 999 steps (`TimeLimit`). Reset: position uniform in `[-0.6, -0.4)`, velocity 0.
//! Deviation: computed in `f32`; Gymnasium mixes `f32` and `f64` (see the docs).

use crate::envs::mountain_car::{advance, at_goal, MountainCarState, HILL_FREQ};
use crate::lane::Lane;
use crate::math;
use crate::params::Valid;
use crate::rng::Rng;
use crate::spec::{ActionSpace, Env, EnvSpec, ObsSpace, Transition};
use crate::{params, record};

// The ranges: as MountainCar-v0's (positions within ±100, speeds and per-step velocity changes
// up to 10, all clipped every step), action bounds within ±100, and the reward's two terms
// bounded together (see `goal_reward`).
params! {
    /// MountainCarContinuous-v0's constants, named as in Gymnasium (the last four are literals in
    /// Gymnasium's code, named here).
    pub struct MountainCarContinuousParams {
        /// Lower bound of the action space; the force is clipped to it.
        min_action: -1.0, Valid::closed(-100.0, 100.0);
        /// Upper bound of the action space; the force is clipped to it.
        max_action: 1.0, Valid::closed(-100.0, 100.0);
        /// Left wall: position is clipped here, and a car hitting it stops.
        min_position: -1.2, Valid::closed(-100.0, 100.0);
        /// Right end of the track: position is clipped here (velocity is kept).
        max_position: 0.6, Valid::closed(-100.0, 100.0);
        /// Velocity is clipped to `[-max_speed, max_speed]`.
        max_speed: 0.07, Valid::closed(1e-4, 10.0);
        /// Position at or beyond which the episode can terminate.
        goal_position: 0.45, Valid::closed(-100.0, 100.0);
        /// Least velocity at the goal for the episode to terminate.
        goal_velocity: 0.0, Valid::closed(-10.0, 10.0);
        /// Velocity change per step per unit of force.
        power: 0.0015, Valid::closed(0.0, 10.0);
        /// Velocity change per step from gravity, scaled by `cos(3 position)` (literal `0.0025`).
        gravity_term: 0.0025, Valid::closed(0.0, 10.0);
        /// Reward for reaching the goal (literal `100.0`). Bounded, with `action_cost_coef`, so
        /// the reward stays finite for every accepted action (|a| < 2^60: cost < 100 · 2^120 ≈
        /// 1.3e38, plus 1e6, below f32's 3.4e38).
        goal_reward: 100.0, Valid::closed(-1e6, 1e6);
        /// Cost per squared unit of action, every step (literal `0.1`; at most 100, see
        /// `goal_reward`).
        action_cost_coef: 0.1, Valid::closed(0.0, 100.0);
        /// Reset draws the position uniformly from `[reset_low, reset_high)`.
        reset_low: -0.6, Valid::closed(-100.0, 100.0), ours;
        /// See `reset_low`.
        reset_high: -0.4, Valid::closed(-100.0, 100.0), ours;
    }
    max_episode_steps: 999;
    order: [min_action <= max_action, min_position < max_position, reset_low <= reset_high, min_position <= reset_low, reset_high <= max_position];
}

record! {
    /// The requested force.
    pub struct MountainCarContinuousAction {
        /// Force; outside `[min_action, max_action]` it is clipped for the dynamics, not for
        /// the reward.
        force,
    }
}

/// MountainCarContinuous-v0.
#[derive(Clone, Copy, Debug, Default)]
pub struct MountainCarContinuous;

impl Env for MountainCarContinuous {
    crate::simd::compiled_here!();
    const SPEC: EnvSpec =
        EnvSpec { id: "MountainCarContinuous-v0", reference: "gymnasium/envs/classic_control/continuous_mountain_car.py (Gymnasium 1.x)" };
    type Params = MountainCarContinuousParams;
    type State<L: Lane> = MountainCarState<L>;
    type Obs<L: Lane> = MountainCarState<L>;
    type Action<L: Lane> = MountainCarContinuousAction<L>;
    const OBS_IS_STATE: bool = true;
    // As MountainCar-v0's: the extremes of the position and speed ranges.
    const STATE_VALID: &'static [Valid] = &[Valid::closed(-100.0, 100.0), Valid::closed(-10.0, 10.0)];

    fn action_space(p: &MountainCarContinuousParams) -> ActionSpace {
        ActionSpace::uniform_box(1, p.min_action, p.max_action)
    }

    fn observation_space(p: &MountainCarContinuousParams) -> ObsSpace {
        ObsSpace::new(&[p.min_position, -p.max_speed], &[p.max_position, p.max_speed])
    }

    #[inline(always)]
    fn reset<L: Lane>(p: &MountainCarContinuousParams<L>, rng: &mut Rng<L>) -> MountainCarState<L> {
        MountainCarState { position: rng.uniform(p.reset_low, p.reset_high), velocity: L::splat(0.0) }
    }

    #[inline(always)]
    fn step<L: Lane>(
        p: &MountainCarContinuousParams<L>,
        s: &MountainCarState<L>,
        a: &MountainCarContinuousAction<L>,
    ) -> Transition<MountainCarState<L>, L> {
        // Gymnasium's `min(max(action[0], min_action), max_action)`.
        let force = a.force.clamp(p.min_action, p.max_action);
        // `velocity += force * power - 0.0025 * cos(3 * position)`: the right-hand side first,
        // as Python evaluates it.
        let gravity = p.gravity_term * math::cos(L::splat(HILL_FREQ) * s.position);
        let dv = force * p.power - gravity;
        let next = advance(s, dv, p.min_position, p.max_position, p.max_speed);
        let terminated = at_goal(&next, p.goal_position, p.goal_velocity);
        // Gymnasium quirk: the action cost uses the UNclipped `action[0]`, so an action of 3
        // moves the car like 1 but costs 0.9, not 0.1.
        let bonus = L::select(terminated, p.goal_reward, L::splat(0.0));
        let reward = bonus - a.force * a.force * p.action_cost_coef;
        Transition { state: next, reward, terminated }
    }

    #[inline(always)]
    fn observe<L: Lane>(_: &MountainCarContinuousParams<L>, s: &MountainCarState<L>) -> MountainCarState<L> {
        *s
    }
}

crate::simd::compile_kernels!(MountainCarContinuous);
