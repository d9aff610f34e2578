//! MountainCar-v0: drive an underpowered car out of a valley by rocking it back and forth.
//!
//! Reference: Gymnasium 1.x `gymnasium/envs/classic_control/mountain_car.py` (Moore 1990).
//! Full equations: `docs/envs/mountain_car.md`.
//!
//! | obs | name | range |
//! |---|---|---|
//! | 0 | car position `position` | `[min_position, max_position]` = `[-1.2, 0.6]` |
//! | 1 | car velocity `velocity` | `[-max_speed, max_speed]` = `[-0.07, 0.07]` |
//!
//! Action: `Discrete(3)`, 0 accelerates left, 1 does nothing, 2 accelerates right.
//! Reward: -1 every step, including the terminating one.
//! Termination: `position >= goal_position && velocity >= goal_velocity`.
//! Truncation: 200 steps (`TimeLimit`). Reset: position uniform in `[-0.6, -0.4)`, velocity 0.
//! Deviation: computed in `f32` (Gymnasium uses `f64` throughout); see the parity section of
//! the docs.

use crate::lane::Lane;
use crate::math;
use crate::params::Valid;
use crate::rng::Rng;
use crate::spec::{ActionSpace, Env, EnvSpec, ObsSpace, Transition};
use crate::{params, record};

/// The track's height is `sin(HILL_FREQ * position)`, so gravity pulls along it with
/// `cos(HILL_FREQ * position)`. Structural (the positions above assume it), hence not a
/// parameter; Gymnasium writes it as the literal `3`.
pub const HILL_FREQ: f32 = 3.0;

// The ranges: positions within ±100 (about 48 periods of the hill `sin(3 x)`, whose cosine the
// step evaluates accurately there), speeds and per-step velocity changes up to 10 (the track
// is crossed in a step long before that). Positions and velocities are clipped every step, so
// every accepted configuration stays finite.
params! {
    /// MountainCar-v0's constants, named as in Gymnasium.
    pub struct MountainCarParams {
        /// Left wall: position is clipped here, and a car hitting it stops.
        min_position: -1.2, Valid::closed(-100.0, 100.0);
        /// Right end of the track: position is clipped here (velocity is kept).
        max_position: 0.6, Valid::closed(-100.0, 100.0);
        /// Velocity is clipped to `[-max_speed, max_speed]`.
        max_speed: 0.07, Valid::closed(1e-4, 10.0);
        /// Position at or beyond which the episode can terminate.
        goal_position: 0.5, Valid::closed(-100.0, 100.0);
        /// Least velocity at the goal for the episode to terminate.
        goal_velocity: 0.0, Valid::closed(-10.0, 10.0);
        /// Velocity change per step from the engine (action 0 or 2).
        force: 0.001, Valid::closed(0.0, 10.0);
        /// Velocity change per step from gravity, scaled by `cos(3 position)`.
        gravity: 0.0025, Valid::closed(0.0, 10.0);
        /// Reward of every step (Gymnasium's literal `reward = -1.0`).
        step_reward: -1.0, Valid::closed(-1e6, 1e6), ours;
        /// Reset draws the position uniformly from `[reset_low, reset_high)`.
        reset_low: -0.6, Valid::closed(-100.0, 100.0), ours;
        /// See `reset_low`.
        reset_high: -0.4, Valid::closed(-100.0, 100.0), ours;
    }
    max_episode_steps: 200;
    order: [min_position < max_position, reset_low <= reset_high, min_position <= reset_low, reset_high <= max_position];
}

record! {
    /// `[position, velocity]`, Gymnasium's internal state order; also the observation.
    /// Shared with MountainCarContinuous-v0.
    pub struct MountainCarState {
        /// Car position along the track.
        position,
        /// Car velocity (position change per step).
        velocity,
    }
}

record! {
    /// The action index as a float.
    pub struct MountainCarAction {
        /// 0 accelerates left, 1 does nothing, 2 accelerates right.
        push,
    }
}

/// The part both MountainCar envs share, after the velocity change `dv` is known: Gymnasium's
/// clip velocity, move, clip position, stop at the left wall, and the goal test.
#[inline(always)]
pub(crate) fn advance<L: Lane>(s: &MountainCarState<L>, dv: L, min_position: L, max_position: L, max_speed: L) -> MountainCarState<L> {
    let velocity = (s.velocity + dv).clamp(-max_speed, max_speed);
    let position = (s.position + velocity).clamp(min_position, max_position);
    // Only the left wall is inelastic; at the right end the car keeps its velocity (it has
    // passed the goal anyway). Clipping makes `position` exactly `min_position`, so `==` is
    // Gymnasium's test.
    let stopped = position.eq(min_position) & velocity.lt(L::splat(0.0));
    MountainCarState { position, velocity: L::select(stopped, L::splat(0.0), velocity) }
}

/// Gymnasium's goal test, on the state after the step.
#[inline(always)]
pub(crate) fn at_goal<L: Lane>(s: &MountainCarState<L>, goal_position: L, goal_velocity: L) -> L::Mask {
    s.position.ge(goal_position) & s.velocity.ge(goal_velocity)
}

/// MountainCar-v0.
#[derive(Clone, Copy, Debug, Default)]
pub struct MountainCar;

impl Env for MountainCar {
    crate::simd::compiled_here!();
    const SPEC: EnvSpec = EnvSpec { id: "MountainCar-v0", reference: "gymnasium/envs/classic_control/mountain_car.py (Gymnasium 1.x)" };
    type Params = MountainCarParams;
    type State<L: Lane> = MountainCarState<L>;
    type Obs<L: Lane> = MountainCarState<L>;
    type Action<L: Lane> = MountainCarAction<L>;
    const OBS_IS_STATE: bool = true;
    // The extremes of the position and speed ranges (a step clips into the env's own).
    const STATE_VALID: &'static [Valid] = &[Valid::closed(-100.0, 100.0), Valid::closed(-10.0, 10.0)];

    fn action_space(_: &MountainCarParams) -> ActionSpace {
        ActionSpace::Discrete { n: 3 }
    }

    fn observation_space(p: &MountainCarParams) -> ObsSpace {
        ObsSpace::new(&[p.min_position, -p.max_speed], &[p.max_position, p.max_speed])
    }

    #[inline(always)]
    fn reset<L: Lane>(p: &MountainCarParams<L>, rng: &mut Rng<L>) -> MountainCarState<L> {
        MountainCarState { position: rng.uniform(p.reset_low, p.reset_high), velocity: L::splat(0.0) }
    }

    #[inline(always)]
    fn step<L: Lane>(p: &MountainCarParams<L>, s: &MountainCarState<L>, a: &MountainCarAction<L>) -> Transition<MountainCarState<L>, L> {
        // `velocity += (action - 1) * force + cos(3 * position) * (-gravity)`: Python sums the
        // right-hand side before adding it, and so do we (f32 addition is not associative).
        // `action - 1` maps {0, 1, 2} to {-1, 0, +1}.
        let engine = (a.push - L::splat(1.0)) * p.force;
        let slope = math::cos(L::splat(HILL_FREQ) * s.position) * -p.gravity;
        let next = advance(s, engine + slope, p.min_position, p.max_position, p.max_speed);
        let terminated = at_goal(&next, p.goal_position, p.goal_velocity);
        Transition { state: next, reward: p.step_reward, terminated }
    }

    #[inline(always)]
    fn observe<L: Lane>(_: &MountainCarParams<L>, s: &MountainCarState<L>) -> MountainCarState<L> {
        *s
    }
}

crate::simd::compile_kernels!(MountainCar);
