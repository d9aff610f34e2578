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
use crate::record;
use crate::rng::Rng;
use crate::spec::{ActionSpace, Env, EnvSpec, Transition};
use bytemuck::{Pod, Zeroable};

/// MountainCarContinuous-v0's constants, named as in Gymnasium (the last four are literals in
/// Gymnasium's code, named here).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct MountainCarContinuousParams {
    /// Lower bound of the action space; the force is clipped to it.
    pub min_action: f32,
    /// Upper bound of the action space; the force is clipped to it.
    pub max_action: f32,
    /// Left wall: position is clipped here, and a car hitting it stops.
    pub min_position: f32,
    /// Right end of the track: position is clipped here (velocity is kept).
    pub max_position: f32,
    /// Velocity is clipped to `[-max_speed, max_speed]`.
    pub max_speed: f32,
    /// Position at or beyond which the episode can terminate.
    pub goal_position: f32,
    /// Least velocity at the goal for the episode to terminate.
    pub goal_velocity: f32,
    /// Velocity change per step per unit of force.
    pub power: f32,
    /// Velocity change per step from gravity, scaled by `cos(3 position)` (literal `0.0025`).
    pub gravity_term: f32,
    /// Reward for reaching the goal (literal `100.0`).
    pub goal_reward: f32,
    /// Cost per squared unit of action, every step (literal `0.1`).
    pub action_cost_coef: f32,
    /// Reset draws the position uniformly from `[reset_low, reset_high)`.
    pub reset_low: f32,
    /// See `reset_low`.
    pub reset_high: f32,
    /// `TimeLimit` of the registered env (0 = none).
    pub max_episode_steps: u32,
}

impl Default for MountainCarContinuousParams {
    fn default() -> Self {
        MountainCarContinuousParams {
            min_action: -1.0,
            max_action: 1.0,
            min_position: -1.2,
            max_position: 0.6,
            max_speed: 0.07,
            goal_position: 0.45,
            goal_velocity: 0.0,
            power: 0.0015,
            gravity_term: 0.0025,
            goal_reward: 100.0,
            action_cost_coef: 0.1,
            reset_low: -0.6,
            reset_high: -0.4,
            max_episode_steps: 999,
        }
    }
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
    const SPEC: EnvSpec = EnvSpec {
        id: "MountainCarContinuous-v0",
        reference: "gymnasium/envs/classic_control/continuous_mountain_car.py (Gymnasium 1.x)",
    };
    type Params = MountainCarContinuousParams;
    type State<L: Lane> = MountainCarState<L>;
    type Obs<L: Lane> = MountainCarState<L>;
    type Action<L: Lane> = MountainCarContinuousAction<L>;
    const OBS_IS_STATE: bool = true;

    fn action_space(p: &MountainCarContinuousParams) -> ActionSpace {
        ActionSpace::uniform_box(1, p.min_action, p.max_action)
    }

    fn max_episode_steps(p: &MountainCarContinuousParams) -> u32 {
        p.max_episode_steps
    }

    #[inline(always)]
    fn reset<L: Lane>(p: &MountainCarContinuousParams, rng: &mut Rng<L>) -> MountainCarState<L> {
        MountainCarState { position: rng.uniform(p.reset_low, p.reset_high), velocity: L::splat(0.0) }
    }

    #[inline(always)]
    fn step<L: Lane>(
        p: &MountainCarContinuousParams,
        s: &MountainCarState<L>,
        a: &MountainCarContinuousAction<L>,
    ) -> Transition<MountainCarState<L>, L> {
        // Gymnasium's `min(max(action[0], min_action), max_action)`.
        let force = a.force.clamp(L::splat(p.min_action), L::splat(p.max_action));
        // `velocity += force * power - 0.0025 * cos(3 * position)`: the right-hand side first,
        // as Python evaluates it.
        let gravity = L::splat(p.gravity_term) * math::cos(L::splat(HILL_FREQ) * s.position);
        let dv = force * L::splat(p.power) - gravity;
        let next = advance(s, dv, p.min_position, p.max_position, p.max_speed);
        let terminated = at_goal(&next, p.goal_position, p.goal_velocity);
        // Gymnasium quirk: the action cost uses the UNclipped `action[0]`, so an action of 3
        // moves the car like 1 but costs 0.9, not 0.1.
        let bonus = L::select(terminated, L::splat(p.goal_reward), L::splat(0.0));
        let reward = bonus - a.force * a.force * L::splat(p.action_cost_coef);
        Transition { state: next, reward, terminated }
    }

    #[inline(always)]
    fn observe<L: Lane>(_: &MountainCarContinuousParams, s: &MountainCarState<L>) -> MountainCarState<L> {
        *s
    }
}
