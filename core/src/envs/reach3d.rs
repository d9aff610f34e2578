//! Reach3D-v1: fly a point mass through a walled 3D arena, under gravity, to a goal.
//!
//! fusegym's own environment; there is no Gymnasium counterpart, so the reference is the
//! specification in `docs/envs/reach3d.md` (equations in order, constants, design notes, and
//! the argument that reaching the goal is the best return).
//!
//! | obs | name | range |
//! |---|---|---|
//! | 0 | `rel_x`: `(goal_x - x) / (2 arena_half_width)` | [-1, 1] |
//! | 1 | `rel_y`: `(goal_y - y) / (2 arena_half_width)` | [-1, 1] |
//! | 2 | `rel_z`: `(goal_z - z) / (ceiling_z - ground_z)` | [-1, 1] |
//! | 3 | `pos_x`: `x` mapped from the arena to [-1, 1] | [-1, 1] |
//! | 4 | `pos_y`: `y` mapped from the arena to [-1, 1] | [-1, 1] |
//! | 5 | `pos_z`: `z` mapped from `[ground_z, ceiling_z]` to [-1, 1] | [-1, 1] |
//! | 6 | `vel_x`: `clip(vx / max_vel, -1, 1)` | [-1, 1] |
//! | 7 | `vel_y`: `clip(vy / max_vel, -1, 1)` | [-1, 1] |
//! | 8 | `vel_z`: `clip(vz / max_vel, -1, 1)` | [-1, 1] |
//!
//! Action: `Box(-1, 1, (3,))`, an acceleration command; out-of-range components are clipped.
//! Reward: potential-based shaping `progress_scale (d - shaping_gamma d')` with `d`, `d'` the
//! distances to the goal before and after the step (`d' = 0` on the step that reaches it), a
//! goal bonus, minus a per-step cost, a wall penalty and a stamina penalty (0 by default).
//! Termination: within `goal_threshold` of the goal. Truncation: 1000 steps.
//! Reset: start (at rest, on or above the ground) and goal uniform in the arena, with margins;
//! every coordinate is drawn from a half-open `U[low, high)` ([`crate::rng::uniform_lanes`]
//! never returns `high`).
//!
//! v1 (from v0): velocity joined the observation (the dynamics carry momentum, so without it
//! the observation was not Markov), and the reward became potential-based: v0's per-step
//! proximity bonus paid more for loitering near the goal than reaching it did.

use crate::lane::Lane;
use crate::params::Valid;
use crate::rng::Rng;
use crate::spec::{ActionSpace, Env, EnvSpec, ObsSpace, Transition};
use crate::{params, record};
use core::ops::{Add, Mul, Sub};

// The ranges: lengths and speeds within a factor of about 100 of the defaults (the arena up to
// 2 km across), every gain and penalty bounded. Velocities, positions and both clamps keep the
// state inside the arena and below `max_vel`, so the observation's quotients and the reward's
// terms are bounded by products of these ends (docs/robustness.md).
params! {
    /// Reach3D-v1's constants. The arena is `[-arena_half_width, arena_half_width]²` in x and y
    /// and `[ground_z, ceiling_z]` in z; "per step" fractions assume the default `dt`.
    pub struct Reach3DParams {
        /// Seconds between state updates (s).
        dt: 0.05, Valid::closed(1e-4, 1.0);
        /// Acceleration per unit of x or y command (m/s²).
        accel_scale_xy: 8.0, Valid::closed(0.0, 1000.0);
        /// Acceleration per unit of z command (m/s²); above `gravity`, so the mass can climb.
        accel_scale_z: 15.0, Valid::closed(0.0, 1000.0);
        /// Largest magnitude of the commanded acceleration vector (m/s²).
        max_accel: 15.0, Valid::closed(0.0, 1000.0);
        /// Fraction of the carried-over velocity lost each step before the command acts (1/step).
        momentum_damping: 0.02, Valid::closed_open(0.0, 1.0);
        /// Gravitational acceleration, along -z (m/s²).
        gravity: 9.81, Valid::closed(0.0, 100.0);
        /// Fraction of horizontal velocity lost each step while touching the ground (1/step).
        ground_friction: 0.2, Valid::closed_open(0.0, 1.0);
        /// Fraction of velocity lost each step to linear air friction (1/step).
        air_friction: 0.01, Valid::closed_open(0.0, 1.0);
        /// Quadratic drag coefficient `k` in `dv/dt = -k |v| v` (1/m).
        air_drag: 0.05, Valid::closed(0.0, 10.0);
        /// Largest speed, the magnitude of the velocity vector (m/s).
        max_vel: 5.0, Valid::closed(0.01, 1000.0);
        /// Largest downward speed (m/s).
        terminal_vel_z: 4.0, Valid::closed(0.01, 1000.0);
        /// Half the arena's side in x and y (m).
        arena_half_width: 5.0, Valid::closed(0.1, 1000.0);
        /// Height of the ground, the arena's floor (m).
        ground_z: 0.0, Valid::closed(-1000.0, 1000.0);
        /// Height of the ceiling, the arena's top (m).
        ceiling_z: 5.0, Valid::closed(-1000.0, 1000.0);
        /// Scale `k` of the shaping `k (d - shaping_gamma d')`: reward per metre closed (1/m).
        progress_scale: 1.0, Valid::closed(0.0, 100.0);
        /// Discount `γ_s` of the shaping; set it to the learner's discount factor to make the
        /// shaping exactly policy-invariant (Ng et al. 1999). The default 1 is exact for
        /// undiscounted returns and, for any smaller discount, only adds a cost per metre away.
        shaping_gamma: 1.0, Valid::closed(0.0, 1.0);
        /// Distance to the goal below which the episode terminates (m).
        goal_threshold: 0.25, Valid::closed(1e-3, 1000.0);
        /// Reward for reaching the goal, paid once on the terminating step; above what the
        /// shaping can pay in an episode (`progress_scale` times the arena's diagonal, 15 m).
        goal_bonus: 20.0, Valid::closed(0.0, 1e6);
        /// Cost of every step, whatever the action.
        step_cost: 0.01, Valid::closed(0.0, 1000.0);
        /// Penalty per metre the step tried to move past the arena's faces, summed over axes (1/m).
        wall_penalty: 2.0, Valid::closed(0.0, 1000.0);
        /// Penalty per unit of command magnitude `|clip(action)|`, every step. Off by default:
        /// a positive value makes idling better than a long flight for small discounts.
        stamina_penalty: 0.0, Valid::closed(0.0, 1000.0);
        /// Smallest distance from a start position to the side walls and the ceiling (m).
        start_margin: 0.5, Valid::closed(0.0, 1000.0);
        /// Smallest distance from a goal to every face of the arena, ground included (m).
        goal_margin: 0.5, Valid::closed(0.0, 1000.0);
    }
    max_episode_steps: 1000;
    order: [ground_z < ceiling_z, start_margin < arena_half_width, goal_margin < arena_half_width];
    // The goal's margin must leave room at both ends of each axis: `goal_margin <
    // arena_half_width` across, this one up (without it a goal could be drawn above the
    // ceiling, outside the arena).
    order_with_margin: [ground_z + 2 * goal_margin < ceiling_z];
}

record! {
    /// Position, velocity, and the goal drawn at reset (it must survive between steps).
    pub struct Reach3DState {
        /// Position x (m).
        x,
        /// Position y (m).
        y,
        /// Height z (m).
        z,
        /// Velocity x (m/s).
        vx,
        /// Velocity y (m/s).
        vy,
        /// Velocity z (m/s), positive up.
        vz,
        /// Goal x (m).
        goal_x,
        /// Goal y (m).
        goal_y,
        /// Goal z (m).
        goal_z,
    }
}

record! {
    /// Goal-relative position over the arena's extent, position mapped to [-1, 1], and velocity
    /// over `max_vel`.
    pub struct Reach3DObs {
        /// `(goal_x - x) / (2 arena_half_width)`.
        rel_x,
        /// `(goal_y - y) / (2 arena_half_width)`.
        rel_y,
        /// `(goal_z - z) / (ceiling_z - ground_z)`.
        rel_z,
        /// `x` mapped from `[-arena_half_width, arena_half_width]` to [-1, 1].
        pos_x,
        /// `y` mapped from `[-arena_half_width, arena_half_width]` to [-1, 1].
        pos_y,
        /// `z` mapped from `[ground_z, ceiling_z]` to [-1, 1].
        pos_z,
        /// `clip(vx / max_vel, -1, 1)`.
        vel_x,
        /// `clip(vy / max_vel, -1, 1)`.
        vel_y,
        /// `clip(vz / max_vel, -1, 1)`, positive up.
        vel_z,
    }
}

record! {
    /// Acceleration command in [-1, 1] per axis (clipped before use).
    pub struct Reach3DAction {
        /// x command.
        ax,
        /// y command.
        ay,
        /// z command (positive up).
        az,
    }
}

/// Three lanes treated as one vector per env, so the physics reads like the equations.
///
/// No `map`/`zip` taking closures: a closure is not `inline(always)`, and SIMD intrinsics in an
/// out-of-line closure become function calls (`native/tests/kernels_inlined.rs` checks).
#[derive(Clone, Copy)]
struct V3<L> {
    x: L,
    y: L,
    z: L,
}

impl<L: Lane> V3<L> {
    #[inline(always)]
    fn new(x: L, y: L, z: L) -> Self {
        V3 { x, y, z }
    }
    /// Component-wise product.
    #[inline(always)]
    fn scale(self, o: Self) -> Self {
        V3::new(self.x * o.x, self.y * o.y, self.z * o.z)
    }
    /// Component-wise quotient.
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        V3::new(self.x / o.x, self.y / o.y, self.z / o.z)
    }
    /// Component-wise `max(lo).min(hi)`.
    #[inline(always)]
    fn clamp(self, lo: Self, hi: Self) -> Self {
        V3::new(self.x.max(lo.x).min(hi.x), self.y.max(lo.y).min(hi.y), self.z.max(lo.z).min(hi.z))
    }
    /// Component-wise absolute value.
    #[inline(always)]
    fn abs(self) -> Self {
        V3::new(self.x.abs(), self.y.abs(), self.z.abs())
    }
    #[inline(always)]
    fn sum(self) -> L {
        self.x + self.y + self.z
    }
    #[inline(always)]
    fn norm(self) -> L {
        (self.x * self.x + self.y * self.y + self.z * self.z).sqrt()
    }
    /// Rescales the vector to magnitude `max` where it is longer, keeping its direction.
    #[inline(always)]
    fn clamp_norm(self, max: L) -> Self {
        let n = self.norm();
        // The quotient is used only where n > max >= 0; the floor keeps the other lanes from
        // dividing by zero (0/0 would be NaN), so no lane ever holds a NaN.
        let shrink = max / n.max(L::splat(f32::MIN_POSITIVE));
        self * L::select(n.gt(max), shrink, L::splat(1.0))
    }
}

impl<L: Lane> Add for V3<L> {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        V3::new(self.x + o.x, self.y + o.y, self.z + o.z)
    }
}

impl<L: Lane> Sub for V3<L> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        V3::new(self.x - o.x, self.y - o.y, self.z - o.z)
    }
}

impl<L: Lane> Mul<L> for V3<L> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, s: L) -> Self {
        V3::new(self.x * s, self.y * s, self.z * s)
    }
}

/// The arena's lower and upper corners.
#[inline(always)]
fn bounds<L: Lane>(p: &Reach3DParams<L>) -> (V3<L>, V3<L>) {
    let h = p.arena_half_width;
    (V3::new(-h, -h, p.ground_z), V3::new(h, h, p.ceiling_z))
}

/// Velocity after one step of forces (physics steps 1-9 of the docs), and the clipped
/// command for the stamina penalty.
#[inline(always)]
fn accelerate<L: Lane>(p: &Reach3DParams<L>, s: &Reach3DState<L>, a: &Reach3DAction<L>) -> (V3<L>, V3<L>) {
    let one = L::splat(1.0);
    let dt = p.dt;
    let cmd = V3::new(a.ax.clamp(-one, one), a.ay.clamp(-one, one), a.az.clamp(-one, one));
    let acc = cmd.scale(V3::new(p.accel_scale_xy, p.accel_scale_xy, p.accel_scale_z));
    let acc = acc.clamp_norm(p.max_accel);
    // Damping acts on the carried-over momentum only, so a fresh command is never damped.
    let v = V3::new(s.vx, s.vy, s.vz) * (one - p.momentum_damping) + acc * dt;
    let v = V3::new(v.x, v.y, v.z - p.gravity * dt);
    // Contact is judged on the position the step starts from; the clamp at the end of the
    // previous step leaves a landed mass exactly at ground_z. Cancelling the downward
    // velocity here (before integrating) is what lets a mass rest on the ground without
    // trying to sink into it, so resting never earns a wall penalty.
    let on_ground = s.z.le(p.ground_z);
    let vz = L::select(on_ground, v.z.max(L::splat(0.0)), v.z);
    let grip = L::select(on_ground, one - p.ground_friction, one);
    let v = V3::new(v.x * grip, v.y * grip, vz) * (one - p.air_friction);
    // Quadratic drag taken implicitly, v / (1 + k dt |v|): it can only shrink v, never flip
    // its sign however large the speed, and the denominator is at least 1.
    let v = v * (one / (one + p.air_drag * dt * v.norm()));
    let v = v.clamp_norm(p.max_vel);
    let v = V3::new(v.x, v.y, v.z.max(-p.terminal_vel_z));
    (v, cmd)
}

/// Whether `r` lies outside `[lo, hi]`.
#[inline(always)]
fn outside<L: Lane>(r: L, lo: L, hi: L) -> L::Mask {
    r.lt(lo) | r.gt(hi)
}

/// Reach3D-v1.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reach3D;

impl Env for Reach3D {
    crate::simd::compiled_here!();
    const SPEC: EnvSpec = EnvSpec { id: "Reach3D-v1", reference: "docs/envs/reach3d.md (fusegym's own environment)" };
    type Params = Reach3DParams;
    type State<L: Lane> = Reach3DState<L>;
    type Obs<L: Lane> = Reach3DObs<L>;
    type Action<L: Lane> = Reach3DAction<L>;
    // Positions, velocities and goals within ±10 km (m/s): ten times the largest arena; a step
    // clamps the position into the env's own arena and the speed below its max_vel.
    const STATE_VALID: &'static [Valid] = &[Valid::closed(-1e4, 1e4); 9];

    fn action_space(_: &Reach3DParams) -> ActionSpace {
        ActionSpace::uniform_box(3, -1.0, 1.0)
    }

    fn observation_space(_: &Reach3DParams) -> ObsSpace {
        // Every component is scaled into [-1, 1] (docs/envs/reach3d.md, "Observation range").
        ObsSpace::symmetric(&[1.0; 9])
    }

    #[inline(always)]
    fn reset<L: Lane>(p: &Reach3DParams<L>, rng: &mut Rng<L>) -> Reach3DState<L> {
        let (h, sm, gm) = (p.arena_half_width, p.start_margin, p.goal_margin);
        let zero = L::splat(0.0);
        // Every draw is in [low, high): a draw that rounds up to `high` comes back as `low`
        // (rng::uniform_lanes). The start may lie on the ground (a take-off), so it has no
        // margin below.
        let x = rng.uniform(-h + sm, h - sm);
        let y = rng.uniform(-h + sm, h - sm);
        let z = rng.uniform(p.ground_z, p.ceiling_z - sm);
        let goal_x = rng.uniform(-h + gm, h - gm);
        let goal_y = rng.uniform(-h + gm, h - gm);
        let goal_z = rng.uniform(p.ground_z + gm, p.ceiling_z - gm);
        Reach3DState { x, y, z, vx: zero, vy: zero, vz: zero, goal_x, goal_y, goal_z }
    }

    #[inline(always)]
    fn step<L: Lane>(p: &Reach3DParams<L>, s: &Reach3DState<L>, a: &Reach3DAction<L>) -> Transition<Reach3DState<L>, L> {
        let zero = L::splat(0.0);
        let (v, cmd) = accelerate(p, s, a);
        let pos = V3::new(s.x, s.y, s.z);
        let goal = V3::new(s.goal_x, s.goal_y, s.goal_z);
        // Semi-implicit Euler: the position moves with the velocity just computed.
        let reached = pos + v * p.dt;
        let (lo, hi) = bounds::<L>(p);
        let new_pos = reached.clamp(lo, hi);
        // A face stops motion along its axis (an inelastic wall): otherwise the mass would stay
        // pinned, pushing into the wall and paying the wall penalty, after the agent let go.
        let v = V3::new(
            L::select(outside(reached.x, lo.x, hi.x), zero, v.x),
            L::select(outside(reached.y, lo.y, hi.y), zero, v.y),
            L::select(outside(reached.z, lo.z, hi.z), zero, v.z),
        );
        // How far past the faces the step tried to go: zero inside, the excess outside.
        let excess = (reached - new_pos).abs().sum();

        // Potential-based shaping with phi = -distance and phi = 0 at the terminal state, so
        // along an episode it telescopes (docs: why reaching is the best return).
        let prev_dist = (goal - pos).norm();
        let dist = (goal - new_pos).norm();
        let reached_goal = dist.lt(p.goal_threshold);
        let next_dist = L::select(reached_goal, zero, dist);
        let reward = p.progress_scale * (prev_dist - p.shaping_gamma * next_dist) + L::select(reached_goal, p.goal_bonus, zero)
            - p.step_cost
            - p.wall_penalty * excess
            - p.stamina_penalty * cmd.norm();

        let state = Reach3DState {
            x: new_pos.x,
            y: new_pos.y,
            z: new_pos.z,
            vx: v.x,
            vy: v.y,
            vz: v.z,
            goal_x: s.goal_x,
            goal_y: s.goal_y,
            goal_z: s.goal_z,
        };
        Transition { state, reward, terminated: reached_goal }
    }

    #[inline(always)]
    fn observe<L: Lane>(p: &Reach3DParams<L>, s: &Reach3DState<L>) -> Reach3DObs<L> {
        let (lo, hi) = bounds::<L>(p);
        let extent = hi - lo;
        let pos = V3::new(s.x, s.y, s.z);
        let two = L::splat(2.0);
        let one = L::splat(1.0);
        let (neg, pos1) = (V3::new(-one, -one, -one), V3::new(one, one, one));
        // 2 (p - lo) / extent - 1 rather than (p - centre) / half: rounding is monotone, so
        // p - lo <= extent holds after rounding too and, for a position and goal inside the
        // arena (every state a reset or a step produces), both parts provably stay in [-1, 1].
        // set_env_state may put them outside (far out, over an arena height down to one ulp: a
        // quotient past f32's range), so both are clipped too: a no-op inside the arena.
        let rel = (V3::new(s.goal_x, s.goal_y, s.goal_z) - pos).div(extent).clamp(neg, pos1);
        let d = pos - lo;
        let abs = V3::new(two * d.x / extent.x - one, two * d.y / extent.y - one, two * d.z / extent.z - one).clamp(neg, pos1);
        // The step keeps |v| <= max_vel only up to rounding, and set_env_state may hand in any
        // velocity: the clip makes the range exact.
        let vel = V3::new(s.vx / p.max_vel, s.vy / p.max_vel, s.vz / p.max_vel);
        let vel = vel.clamp(neg, pos1);
        Reach3DObs {
            rel_x: rel.x,
            rel_y: rel.y,
            rel_z: rel.z,
            pos_x: abs.x,
            pos_y: abs.y,
            pos_z: abs.z,
            vel_x: vel.x,
            vel_y: vel.y,
            vel_z: vel.z,
        }
    }
}

crate::simd::compile_kernels!(Reach3D);
