//! Reach3D-v1 against an independent `f64` transcription of `docs/envs/reach3d.md`, plus
//! targeted cases for each documented behaviour, the `VecEnv` boundary (errors, truncation,
//! resets, long random runs), the half-open reset intervals, and scripted policies that check
//! the documented claim that reaching the goal is the best return.

use fusegym_core::envs::reach3d::{Reach3DAction, Reach3DObs, Reach3DState};
use fusegym_core::envs::{Reach3D, Reach3DParams};
use fusegym_core::record::Record;
use fusegym_core::rng::{self, Rng};
use fusegym_core::{Actions, Env, Error, VecEnv};

const X: usize = 0;
const Z: usize = 2;
const VX: usize = 3;
const VZ: usize = 5;

/// Deterministic test randomness, independent of the library's RNG (64-bit LCG).
struct Gen(u64);
impl Gen {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

fn arena(p: &Reach3DParams) -> ([f64; 3], [f64; 3]) {
    let h = p.arena_half_width as f64;
    ([-h, -h, p.ground_z as f64], [h, h, p.ceiling_z as f64])
}

fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// One step of the documented equations in `f64`.
struct Reference {
    state: [f64; 9],
    reward: f64,
    terminated: bool,
    /// Distance of every discontinuous decision (wall contact, the goal radius) from
    /// its threshold: where it is tiny, `f32` rounding may legitimately decide the other way.
    margin: f64,
}

fn reference(p: &Reach3DParams, s: [f32; 9], a: [f32; 3]) -> Reference {
    let f = |x: f32| x as f64;
    let dt = f(p.dt);
    let pos = [f(s[0]), f(s[1]), f(s[2])];
    let goal = [f(s[6]), f(s[7]), f(s[8])];
    let mut v = [f(s[3]), f(s[4]), f(s[5])];
    // 1-3: clip, scale, clamp the magnitude.
    let cmd = a.map(|c| f(c).clamp(-1.0, 1.0));
    let mut acc = [cmd[0] * f(p.accel_scale_xy), cmd[1] * f(p.accel_scale_xy), cmd[2] * f(p.accel_scale_z)];
    let na = norm(acc);
    if na > f(p.max_accel) {
        acc = acc.map(|c| c * f(p.max_accel) / na);
    }
    // 4-5: damping of the carried-over velocity, command, gravity.
    for k in 0..3 {
        v[k] = (1.0 - f(p.momentum_damping)) * v[k] + dt * acc[k];
    }
    v[2] -= f(p.gravity) * dt;
    // 6: ground contact, judged on the starting height.
    if pos[2] <= f(p.ground_z) {
        v[2] = v[2].max(0.0);
        v[0] *= 1.0 - f(p.ground_friction);
        v[1] *= 1.0 - f(p.ground_friction);
    }
    // 7: air friction, then implicit quadratic drag.
    v = v.map(|c| c * (1.0 - f(p.air_friction)));
    let speed = norm(v);
    v = v.map(|c| c / (1.0 + f(p.air_drag) * dt * speed));
    // 8-9: speed and fall-speed clamps.
    let speed = norm(v);
    if speed > f(p.max_vel) {
        v = v.map(|c| c * f(p.max_vel) / speed);
    }
    v[2] = v[2].max(-f(p.terminal_vel_z));
    // 10-11: integrate, clamp to the arena, stop motion into a face.
    let (lo, hi) = arena(p);
    let mut new_pos = [0.0; 3];
    let mut excess = 0.0;
    let mut margin = f64::INFINITY;
    for k in 0..3 {
        let r = pos[k] + dt * v[k];
        new_pos[k] = r.clamp(lo[k], hi[k]);
        excess += (r - new_pos[k]).abs();
        if r < lo[k] || r > hi[k] {
            v[k] = 0.0;
        }
        // A start exactly on a face that stays there (zero velocity) is decided identically
        // in f32 (both compute pos + 0); only a moving position can straddle a face.
        if v[k] != 0.0 || r != pos[k] {
            margin = margin.min((r - lo[k]).abs()).min((r - hi[k]).abs());
        }
    }
    // Reward: potential-based shaping (phi = -d, 0 at the terminal state), goal bonus, costs.
    let prev = norm([goal[0] - pos[0], goal[1] - pos[1], goal[2] - pos[2]]);
    let dist = norm([goal[0] - new_pos[0], goal[1] - new_pos[1], goal[2] - new_pos[2]]);
    let terminated = dist < f(p.goal_threshold);
    let next = if terminated { 0.0 } else { dist };
    let mut reward = f(p.progress_scale) * (prev - f(p.shaping_gamma) * next);
    if terminated {
        reward += f(p.goal_bonus);
    }
    reward -= f(p.step_cost);
    reward -= f(p.wall_penalty) * excess;
    reward -= f(p.stamina_penalty) * norm(cmd);
    margin = margin.min((dist - f(p.goal_threshold)).abs());
    let state = [new_pos[0], new_pos[1], new_pos[2], v[0], v[1], v[2], goal[0], goal[1], goal[2]];
    Reference { state, reward, terminated, margin }
}

/// The documented observation in `f64`.
fn reference_obs(p: &Reach3DParams, s: [f32; 9]) -> [f64; 9] {
    let (lo, hi) = arena(p);
    let mut o = [0.0; 9];
    for k in 0..3 {
        let ext = hi[k] - lo[k];
        o[k] = ((s[6 + k] as f64 - s[k] as f64) / ext).clamp(-1.0, 1.0);
        o[3 + k] = (2.0 * (s[k] as f64 - lo[k]) / ext - 1.0).clamp(-1.0, 1.0);
        o[6 + k] = (s[3 + k] as f64 / p.max_vel as f64).clamp(-1.0, 1.0);
    }
    o
}

/// The code under test, one env at a time.
fn step(p: &Reach3DParams, s: [f32; 9], a: [f32; 3]) -> ([f32; 9], f32, bool) {
    let t = Reach3D::step::<f32>(p, &Reach3DState::from_fn(|k| s[k]), &Reach3DAction::from_fn(|k| a[k]));
    let mut out = [0.0; 9];
    t.state.for_each(|k, v| out[k] = v);
    (out, t.reward, t.terminated)
}

fn observe(p: &Reach3DParams, s: [f32; 9]) -> [f32; 9] {
    let o: Reach3DObs<f32> = Reach3D::observe::<f32>(p, &Reach3DState::from_fn(|k| s[k]));
    let mut out = [0.0; 9];
    o.for_each(|k, v| out[k] = v);
    out
}

/// The reward difference a single term makes: reward with `p` minus reward with `without`.
fn term(p: &Reach3DParams, without: &Reach3DParams, s: [f32; 9], a: [f32; 3]) -> f32 {
    step(p, s, a).1 - step(without, s, a).1
}

/// Every quantity the step handles is below B = 25 in magnitude (positions <= 5, speeds <= 15
/// on input, accelerations <= 15, distances <= 15, rewards <= 21), and no output is more than
/// about 40 roundings deep, each off by at most 2^-24 relative. So |f32 - f64| <= 40 * 2^-24 *
/// 25 ~ 6e-5 for every state component, observation and reward; 1e-4 leaves some room.
const TOL: f64 = 1e-4;

/// A state that exercises the edge cases: positions often exactly on a face, speeds beyond
/// both clamps, goals often within a metre (some within the goal radius).
fn random_state(g: &mut Gen, p: &Reach3DParams) -> [f32; 9] {
    let (lo, hi) = arena(p);
    let mut s = [0f32; 9];
    for k in 0..3 {
        s[k] = match (g.unit() * 8.0) as u32 {
            0 => lo[k],
            1 => hi[k],
            _ => g.range(lo[k], hi[k]),
        } as f32;
        s[3 + k] = g.range(-8.0, 8.0) as f32;
        if g.unit() < 0.1 {
            s[3 + k] = 0.0;
        }
    }
    if g.unit() < 0.2 {
        s[VZ] = g.range(-15.0, -4.0) as f32;
    }
    let near = g.unit() < 0.3;
    for k in 0..3 {
        let c = if near { s[k] as f64 + g.range(-0.8, 0.8) } else { g.range(lo[k], hi[k]) };
        s[6 + k] = c.clamp(lo[k], hi[k]) as f32;
    }
    s
}

fn random_action(g: &mut Gen) -> [f32; 3] {
    [0; 3].map(|_| if g.unit() < 0.1 { 0.0 } else { g.range(-1.5, 1.5) as f32 })
}

#[test]
fn params_are_pod_of_expected_size() {
    // 23 f32 fields and one u32, no padding.
    assert_eq!(core::mem::size_of::<Reach3DParams>(), 24 * 4);
    assert_eq!(core::mem::align_of::<Reach3DParams>(), 4);
    let p = Reach3DParams::default();
    let bytes = bytemuck::bytes_of(&p);
    assert_eq!(bytes.len(), 96);
    assert_eq!(*bytemuck::from_bytes::<Reach3DParams>(bytes), p);
    // The time limit is the last field, a u32.
    assert_eq!(u32::from_ne_bytes(bytes[92..].try_into().unwrap()), 1000);
    assert_eq!(p.max_episode_steps, 1000);
    let zero: Reach3DParams = bytemuck::Zeroable::zeroed();
    assert_eq!(zero.max_episode_steps, 0);
}

#[test]
fn one_step_matches_the_f64_reference() {
    let p = Reach3DParams::default();
    let mut g = Gen(42);
    let (mut worst, mut ambiguous, mut terminations, mut clamped) = (0f64, 0, 0, 0);
    let samples = 200_000;
    for _ in 0..samples {
        let s = random_state(&mut g, &p);
        let a = random_action(&mut g);
        let (got, reward, terminated) = step(&p, s, a);
        let want = reference(&p, s, a);
        let mut err = (reward as f64 - want.reward).abs();
        for (g, w) in got.iter().zip(want.state) {
            err = err.max((*g as f64 - w).abs());
        }
        let obs = observe(&p, got);
        let want_obs = reference_obs(&p, got);
        for (o, w) in obs.iter().zip(want_obs) {
            err = err.max((*o as f64 - w).abs());
        }
        if err > TOL || terminated != want.terminated {
            // Only a decision right at its threshold may go the other way.
            assert!(
                want.margin < TOL,
                "state {s:?} action {a:?}: error {err}, got {got:?} {reward}, want {:?} {}",
                want.state,
                want.reward
            );
            ambiguous += 1;
            continue;
        }
        worst = worst.max(err);
        terminations += terminated as usize;
        clamped += (norm([want.state[3], want.state[4], want.state[5]]) >= p.max_vel as f64 - 1e-9) as usize;
    }
    println!("worst |f32 - f64| = {worst:e}; {ambiguous} ambiguous of {samples}; {terminations} terminations; {clamped} at max_vel");
    assert!(ambiguous < samples / 1000, "{ambiguous} samples sat on a threshold");
    assert!(terminations > 100 && clamped > 1000, "the samples missed the goal or the speed clamp");
}

fn mid_air() -> [f32; 9] {
    [0.0, 0.0, 2.5, 0.0, 0.0, 0.0, 4.0, 4.0, 4.5]
}

/// Only the command and the clamps act: no gravity, damping, friction or drag.
fn frictionless() -> Reach3DParams {
    Reach3DParams {
        momentum_damping: 0.0,
        gravity: 0.0,
        ground_friction: 0.0,
        air_friction: 0.0,
        air_drag: 0.0,
        max_vel: 100.0,
        terminal_vel_z: 100.0,
        ..Reach3DParams::default()
    }
}

#[test]
fn command_magnitude_is_clamped_to_max_accel() {
    let p = frictionless();
    let dt = p.dt as f64;
    // (8, 8, 15) has magnitude 18.8 > 15: rescaled to 15, same direction.
    let (s, _, _) = step(&p, mid_air(), [1.0, 1.0, 1.0]);
    let acc = [s[3], s[4], s[5]].map(|v| v as f64 / dt);
    assert!((norm(acc) - p.max_accel as f64).abs() < 1e-4, "{acc:?}");
    let dir = [8.0, 8.0, 15.0].map(|c| c / (353f64).sqrt());
    for k in 0..3 {
        assert!((acc[k] / norm(acc) - dir[k]).abs() < 1e-6, "{acc:?}");
    }
    // Below the limit the command passes unchanged.
    let (s, _, _) = step(&p, mid_air(), [0.5, 0.0, 0.0]);
    assert!((s[VX] as f64 / dt - 4.0).abs() < 1e-5);
    let (s, _, _) = step(&p, mid_air(), [0.0, 0.0, 1.0]);
    assert!((s[VZ] as f64 / dt - 15.0).abs() < 1e-5);
    // A zero command (magnitude 0, the guarded division) gives exactly nothing.
    let (s, _, _) = step(&p, mid_air(), [0.0, 0.0, 0.0]);
    assert_eq!(&s[3..6], &[0.0, 0.0, 0.0]);
}

#[test]
fn gravity_pulls_down_and_the_ground_holds() {
    let p = Reach3DParams::default();
    let (s, _, _) = step(&p, mid_air(), [0.0; 3]);
    assert!(s[VZ] < 0.0 && s[Z] < 2.5, "{s:?}");
    // Resting on the ground: nothing moves and no wall penalty is paid.
    let rest = [1.0, -2.0, 0.0, 0.0, 0.0, 0.0, 4.0, 4.0, 4.5];
    let no_wall = Reach3DParams { wall_penalty: 0.0, ..p };
    for a in [[0.0; 3], [0.0, 0.0, -1.0], [0.0, 0.0, 0.3]] {
        let (s, _, _) = step(&p, rest, a);
        assert_eq!((s[Z], s[VZ]), (0.0, 0.0), "{a:?}");
        assert_eq!(term(&p, &no_wall, rest, a), 0.0);
    }
    // Pushing down from anywhere for a long time: z never below the ground, obs within [-1, 1].
    let n = 32;
    let mut env = VecEnv::<Reach3D>::new(n, 5).unwrap();
    let mut actions = vec![0.0f32; 3 * n];
    actions[2 * n..].fill(-1.0);
    let mut landed = 0;
    for _ in 0..300 {
        let v = env.step(Actions::Continuous(&actions)).unwrap();
        assert!(v.obs.iter().all(|o| (-1.0..=1.0).contains(o)));
        let z = &env.state()[Z * n..(Z + 1) * n];
        assert!(z.iter().all(|&z| z >= p.ground_z), "{z:?}");
        landed = z.iter().filter(|&&z| z == p.ground_z).count();
    }
    assert_eq!(landed, n, "every env should have landed and stayed down");
}

#[test]
fn speed_is_clamped_to_max_vel() {
    let p = Reach3DParams::default();
    for v in [[10.0, -10.0, 5.0], [0.0, 0.0, 30.0], [-6.0, 0.0, 0.0]] {
        let s0 = [0.0, 0.0, 2.5, v[0], v[1], v[2], 4.0, 4.0, 4.5];
        for a in [[0.0; 3], [1.0, -1.0, 1.0]] {
            let (s, _, _) = step(&p, s0, a);
            let speed = norm([s[3], s[4], s[5]].map(f64::from));
            assert!(speed <= p.max_vel as f64 * (1.0 + 1e-6), "{v:?} {a:?}: {speed}");
            assert!(speed >= p.max_vel as f64 * (1.0 - 1e-6), "far above max_vel should land on it: {speed}");
        }
    }
}

#[test]
fn fall_speed_is_clamped_to_terminal_velocity() {
    let p = Reach3DParams::default();
    // |v| = 4.5 is under max_vel, but it falls faster than terminal_vel_z after gravity.
    let (s, _, _) = step(&p, [0.0, 0.0, 4.5, 0.0, 0.0, -4.5, 4.0, 4.0, 4.5], [0.0; 3]);
    assert_eq!(s[VZ], -p.terminal_vel_z);
    assert!((s[Z] as f64 - (4.5 - p.dt as f64 * p.terminal_vel_z as f64)).abs() < 1e-6);
    // Falling is clamped even where the speed limit would allow more; rising is not.
    let fast = Reach3DParams { max_vel: 100.0, ..p };
    let (s, _, _) = step(&fast, [0.0, 0.0, 4.5, 0.0, 0.0, -50.0, 4.0, 4.0, 4.5], [0.0; 3]);
    assert_eq!(s[VZ], -p.terminal_vel_z);
    let (s, _, _) = step(&fast, [0.0, 0.0, 0.5, 0.0, 0.0, 50.0, 4.0, 4.0, 4.5], [0.0; 3]);
    assert!(s[VZ] > 40.0);
}

#[test]
fn positions_stay_inside_the_box_and_faces_stop_motion() {
    let p = Reach3DParams::default();
    let (lo, hi) = arena(&p);
    // Flying into a top corner at full speed: clamped to the corner, outward motion stopped.
    let (s, _, _) = step(&p, [4.9, -4.9, 4.9, 5.0, -5.0, 5.0, 0.0, 0.0, 2.0], [1.0, -1.0, 1.0]);
    assert_eq!(&s[..3], &[hi[0] as f32, lo[1] as f32, hi[2] as f32]);
    assert_eq!(&s[3..6], &[0.0, 0.0, 0.0]);
    let mut g = Gen(3);
    for _ in 0..100_000 {
        let (s, _, _) = step(&p, random_state(&mut g, &p), random_action(&mut g));
        for k in 0..3 {
            assert!(s[k] as f64 >= lo[k] && s[k] as f64 <= hi[k], "{s:?}");
        }
    }
}

#[test]
fn wall_penalty_only_when_pushing_into_a_wall() {
    let p = Reach3DParams::default();
    let no_wall = Reach3DParams { wall_penalty: 0.0, ..p };
    let h = p.arena_half_width;
    let at_wall = [h, 0.0, 2.5, 0.0, 0.0, 0.0, -4.0, 0.0, 2.5];
    let penalty = |s: [f32; 9], a: [f32; 3]| -term(&p, &no_wall, s, a);
    // Pushing outward: penalised by the attempted penetration, dt * vx.
    let (s1, _, _) = step(&p, at_wall, [1.0, 0.0, 0.0]);
    // The velocity before the face stopped it: the f64 reference in an arena with no wall there.
    let vx = reference(&Reach3DParams { arena_half_width: 100.0, ..p }, at_wall, [1.0, 0.0, 0.0]).state[VX];
    let got = penalty(at_wall, [1.0, 0.0, 0.0]) as f64;
    assert!(got > 0.0 && (got - p.wall_penalty as f64 * p.dt as f64 * vx).abs() < 1e-5, "{got} vs {vx}");
    assert_eq!(s1[X], h);
    assert_eq!(s1[VX], 0.0);
    // Letting go afterwards costs nothing: the wall stopped the mass, it is not pinned.
    assert_eq!(penalty(s1, [0.0; 3]), 0.0);
    // Pushing away from the wall, along it, or not at all: no penalty.
    for a in [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.7]] {
        assert_eq!(penalty(at_wall, a), 0.0, "{a:?}");
    }
    // Anywhere inside, any command: no penalty.
    for a in [[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]] {
        assert_eq!(penalty(mid_air(), a), 0.0, "{a:?}");
    }
    // The ceiling and the other walls count too.
    let ceiling = [0.0, 0.0, p.ceiling_z, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
    assert!(penalty(ceiling, [0.0, 0.0, 1.0]) > 0.0);
    assert!(penalty([0.0, -h, 2.5, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [0.0, -1.0, 0.0]) > 0.0);
    // The floor holds a resting or downward-pushing mass without penalty; only a fall that
    // would carry it below the floor within the step is penalised, by the overshoot.
    assert_eq!(penalty([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, -1.0]), 0.0);
    let falling = [0.0, 0.0, 0.1, 0.0, 0.0, -4.0, 0.0, 0.0, 1.0];
    let r = reference(&Reach3DParams { ground_z: -100.0, ..p }, falling, [0.0; 3]);
    let overshoot = -(r.state[Z] - p.ground_z as f64);
    assert!(overshoot > 0.0);
    let got = penalty(falling, [0.0; 3]) as f64;
    assert!((got - p.wall_penalty as f64 * overshoot).abs() < 1e-5, "{got} vs {overshoot}");
}

#[test]
fn reaching_the_goal_terminates_with_the_bonus() {
    let p = Reach3DParams::default();
    let no_bonus = Reach3DParams { goal_bonus: 0.0, ..p };
    let close = [0.0, 0.0, 2.5, 0.0, 0.0, 0.0, 0.1, 0.0, 2.5];
    let (_, _, terminated) = step(&p, close, [0.0; 3]);
    assert!(terminated);
    assert!((term(&p, &no_bonus, close, [0.0; 3]) - p.goal_bonus).abs() < 1e-5);
    // Just outside the goal radius: neither termination nor bonus.
    let outside = [0.0, 0.0, 2.5, 0.0, 0.0, 0.0, 0.4, 0.0, 2.5];
    let (_, _, terminated) = step(&p, outside, [0.0; 3]);
    assert!(!terminated);
    assert_eq!(term(&p, &no_bonus, outside, [0.0; 3]), 0.0);

    // Through the batch: the terminal observation goes to final_obs, and the env restarts.
    let n = 5;
    let mut env = VecEnv::<Reach3D>::new(n, 1).unwrap();
    env.set_env_state(2, &close, 17).unwrap();
    let terminal = step(&p, close, [0.0; 3]).0;
    let v = env.step(Actions::Continuous(&vec![0.0; 3 * n])).unwrap();
    assert!(v.terminated[2] && !v.truncated[2]);
    assert!(v.terminated.iter().filter(|&&t| t).count() == 1);
    let want = observe(&p, terminal);
    for (k, w) in want.iter().enumerate() {
        assert_eq!(v.final_obs.get(2).unwrap()[k], *w);
    }
    // The terminal state's potential is 0: the step pays k d_prev + goal_bonus - step_cost,
    // wherever inside the goal radius it ends.
    let want_reward = p.progress_scale * 0.1 + p.goal_bonus - p.step_cost;
    assert!((v.reward[2] - want_reward).abs() < 1e-5, "{}", v.reward[2]);
    assert_eq!(env.episodes()[2], 1);
    assert_eq!(env.elapsed()[2], 0);
    let state = env.env_state(2).unwrap();
    assert_eq!(&state[3..6], &[0.0, 0.0, 0.0], "a fresh episode starts at rest");
}

#[test]
fn stamina_penalty_grows_with_the_command() {
    // Off by default (docs: why); switched on here.
    assert_eq!(Reach3DParams::default().stamina_penalty, 0.0);
    let p = Reach3DParams { stamina_penalty: 0.01, ..Reach3DParams::default() };
    let none = Reach3DParams { stamina_penalty: 0.0, ..p };
    let dir = [0.48f32, -0.64, 0.6]; // unit length
    let mut last = 0.0f32;
    for m in [0.0f32, 0.25, 0.5, 1.0] {
        let a = dir.map(|c| c * m);
        let cost = -term(&p, &none, mid_air(), a);
        assert!((cost as f64 - p.stamina_penalty as f64 * m as f64).abs() < 1e-6, "{m}: {cost}");
        if m > 0.0 {
            assert!(cost > last, "{m}: {cost} <= {last}");
        } else {
            assert_eq!(cost, 0.0);
        }
        last = cost;
    }
}

#[test]
fn shaping_is_progress_scale_times_d_minus_shaping_gamma_times_d_next() {
    let p = Reach3DParams { step_cost: 0.0, ..frictionless() };
    // 2 m/s for 0.05 s: 0.1 m along the line to the goal 3 m away, far from its radius and
    // every wall.
    let toward = [0.0, 0.0, 2.5, 2.0, 0.0, 0.0, 3.0, 0.0, 2.5];
    let away = [0.0, 0.0, 2.5, -2.0, 0.0, 0.0, 3.0, 0.0, 2.5];
    let still = [0.0, 0.0, 2.5, 0.0, 0.0, 0.0, 3.0, 0.0, 2.5];
    for gs in [1.0f32, 0.999, 0.99, 0.9, 0.5, 0.0] {
        let q = Reach3DParams { shaping_gamma: gs, ..p };
        let (k, g) = (q.progress_scale as f64, gs as f64);
        let r = |s: [f32; 9]| step(&q, s, [0.0; 3]).1 as f64;
        assert!((r(toward) - k * (3.0 - g * 2.9)).abs() < 1e-5, "{gs}: {}", r(toward));
        assert!((r(away) - k * (3.0 - g * 3.1)).abs() < 1e-5, "{gs}: {}", r(away));
        assert!((r(still) - k * 3.0 * (1.0 - g)).abs() < 1e-5, "{gs}: {}", r(still));
    }
    // Undiscounted (the default shaping_gamma = 1) the shaping is symmetric: there and back
    // nets nothing, and standing still earns exactly nothing.
    let r = |s: [f32; 9]| step(&p, s, [0.0; 3]).1 as f64;
    assert_eq!(p.shaping_gamma, 1.0);
    assert!((r(toward) + r(away)).abs() < 1e-6);
    assert_eq!(step(&p, still, [0.0; 3]).1, 0.0);
    // The step cost is paid every step, whatever the action.
    let d = Reach3DParams::default();
    let free = Reach3DParams { step_cost: 0.0, ..d };
    let mut g = Gen(21);
    for _ in 0..1000 {
        let (s, a) = (random_state(&mut g, &d), random_action(&mut g));
        assert!((term(&d, &free, s, a) + d.step_cost).abs() < 1e-5);
    }
}

/// Along any trajectory, sum_t gamma^t * shaping_t = k (d_0 - gamma^n d_n) when the shaping's
/// discount equals gamma (d_n = 0 if the goal was reached): the telescoping behind the docs'
/// argument, checked on the f32 code.
#[test]
fn shaping_telescopes_along_trajectories() {
    let mut g = Gen(99);
    let (mut reached, mut long) = (0, 0);
    for gs in [1.0f32, 0.999, 0.99, 0.9] {
        // Only the shaping: no bonus, step cost, wall or stamina terms.
        let p = Reach3DParams { shaping_gamma: gs, goal_bonus: 0.0, step_cost: 0.0, wall_penalty: 0.0, ..Reach3DParams::default() };
        let (k, gamma) = (p.progress_scale as f64, gs as f64);
        for _ in 0..500 {
            let mut s = random_state(&mut g, &p);
            let d = |s: &[f32; 9]| norm([0, 1, 2].map(|j| s[6 + j] as f64 - s[j] as f64));
            let d0 = d(&s);
            if d0 < p.goal_threshold as f64 + 1e-3 {
                continue;
            }
            let (mut sum, mut discount, mut end) = (0.0, 1.0, d0);
            let mut a = random_action(&mut g);
            for t in 0..300 {
                if t % 20 == 0 {
                    a = random_action(&mut g);
                }
                let (next, r, terminated) = step(&p, s, a);
                sum += discount * r as f64;
                discount *= gamma;
                s = next;
                end = if terminated { 0.0 } else { d(&s) };
                if terminated {
                    reached += 1;
                    break;
                }
                long += (t == 299) as usize;
            }
            let want = k * (d0 - discount * end);
            assert!((sum - want).abs() < 1e-3, "gamma {gs}: {sum} vs {want}");
        }
    }
    assert!(reached > 0 && long > 0, "{reached} reached, {long} ran 300 steps");
}

#[test]
fn out_of_range_actions_are_clipped() {
    let p = Reach3DParams::default();
    let mut g = Gen(8);
    for _ in 0..1000 {
        let s = random_state(&mut g, &p);
        let a = [0; 3].map(|_| g.range(-10.0, 10.0) as f32);
        let clipped = a.map(|c| c.clamp(-1.0, 1.0));
        let (sa, ra, ta) = step(&p, s, a);
        let (sc, rc, tc) = step(&p, s, clipped);
        assert_eq!((sa.map(f32::to_bits), ra.to_bits(), ta), (sc.map(f32::to_bits), rc.to_bits(), tc), "{a:?}");
    }
    // Through the batch too.
    let n = 4;
    let mut a = VecEnv::<Reach3D>::new(n, 2).unwrap();
    let mut b = VecEnv::<Reach3D>::new(n, 2).unwrap();
    let wild: Vec<f32> = (0..3 * n).map(|k| if k.is_multiple_of(2) { 1e6 } else { -3.5 }).collect();
    let tame: Vec<f32> = wild.iter().map(|c| c.clamp(-1.0, 1.0)).collect();
    for _ in 0..50 {
        a.step(Actions::Continuous(&wild)).unwrap();
        b.step(Actions::Continuous(&tame)).unwrap();
        assert_eq!(a.state(), b.state());
        assert_eq!(a.view().reward, b.view().reward);
    }
}

#[test]
fn non_finite_actions_are_rejected() {
    let n = 4;
    let mut env = VecEnv::<Reach3D>::new(n, 0).unwrap();
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut a = vec![0.0f32; 3 * n];
        a[5] = bad;
        match env.step(Actions::Continuous(&a)) {
            Err(Error::NonFiniteAction { env, index, .. }) => {
                assert_eq!((env, index), ("Reach3D-v1", 5));
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn discrete_actions_are_rejected() {
    let n = 4;
    let mut env = VecEnv::<Reach3D>::new(n, 0).unwrap();
    let before = env.state().to_vec();
    assert!(matches!(env.step(Actions::Discrete(&[0u32; 12])), Err(Error::ActionType { .. })));
    assert!(matches!(env.step(Actions::DiscreteI32(&[0i32; 12])), Err(Error::ActionType { .. })));
    assert!(matches!(env.step(Actions::Continuous(&[0.0; 4])), Err(Error::ActionLength { expected: 12, .. })));
    assert_eq!(env.state(), &before[..], "a rejected step changes nothing");
}

#[test]
fn truncates_at_exactly_1000_steps() {
    let n = 3;
    let p = Reach3DParams::default();
    let mut env = VecEnv::<Reach3D>::new(n, 4).unwrap();
    // At rest on the ground, far below the goal: a zero command never moves it.
    let parked = [-4.0, -4.0, 0.0, 0.0, 0.0, 0.0, 4.0, 4.0, 4.5];
    for i in 0..n {
        env.set_env_state(i, &parked, 0).unwrap();
    }
    let zero = vec![0.0f32; 3 * n];
    for t in 1..1000 {
        let v = env.step(Actions::Continuous(&zero)).unwrap();
        assert!(!v.truncated.iter().any(|&x| x) && !v.terminated.iter().any(|&x| x), "step {t}");
    }
    assert_eq!(env.elapsed(), &[999; 3]);
    let v = env.step(Actions::Continuous(&zero)).unwrap();
    assert!(v.truncated.iter().all(|&x| x));
    assert!(!v.terminated.iter().any(|&x| x));
    // The last observation of the episode, from the documented formula.
    let want = [0.8, 0.8, 0.9, -0.8, -0.8, -1.0, 0.0, 0.0, 0.0];
    for i in 0..n {
        for (k, w) in want.iter().enumerate() {
            assert!((v.final_obs.get(i).unwrap()[k] as f64 - w).abs() < 1e-6, "final_obs[{k}] of env {i}");
        }
    }
    // ...and the next episode has begun.
    assert_ne!(v.obs[3 * n..4 * n], v.final_obs.to_dense()[3 * n..4 * n]);
    assert_eq!(env.elapsed(), &[0; 3]);
    assert_eq!(env.episodes(), &[1; 3]);
    assert_eq!(p.max_episode_steps, 1000);
}

#[test]
fn reset_draws_inside_the_box_and_differs_across_envs() {
    let p = Reach3DParams::default();
    let h = p.arena_half_width;
    let n = 512;
    for seed in [0, 1, 12345] {
        let env = VecEnv::<Reach3D>::new(n, seed).unwrap();
        let s = env.state();
        let col = |k: usize| &s[k * n..(k + 1) * n];
        let within = |k: usize, lo: f32, hi: f32| {
            assert!(col(k).iter().all(|&x| x >= lo && x < hi), "component {k} outside [{lo}, {hi})");
            let (min, max) = col(k).iter().fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
            assert!(max - min > 0.9 * (hi - lo), "component {k} covers only [{min}, {max}]");
        };
        within(0, -h + p.start_margin, h - p.start_margin);
        within(1, -h + p.start_margin, h - p.start_margin);
        within(2, p.ground_z, p.ceiling_z - p.start_margin);
        within(6, -h + p.goal_margin, h - p.goal_margin);
        within(7, -h + p.goal_margin, h - p.goal_margin);
        within(8, p.ground_z + p.goal_margin, p.ceiling_z - p.goal_margin);
        assert!(s[3 * n..6 * n].iter().all(|&v| v == 0.0), "starts at rest");
        let mut starts: Vec<[u32; 6]> = (0..n).map(|i| [0, 1, 2, 6, 7, 8].map(|k| s[k * n + i].to_bits())).collect();
        starts.sort();
        starts.dedup();
        assert_eq!(starts.len(), n, "two envs drew the same start and goal");
        assert!(env.obs().iter().all(|o| (-1.0..=1.0).contains(o)));
    }
}

/// The six reset draws in order: (state index, lower bound, upper bound) of each.
fn reset_intervals(p: &Reach3DParams) -> [(usize, f32, f32); 6] {
    let (h, sm, gm) = (p.arena_half_width, p.start_margin, p.goal_margin);
    [
        (0, -h + sm, h - sm),
        (1, -h + sm, h - sm),
        (2, p.ground_z, p.ceiling_z - sm),
        (6, -h + gm, h - gm),
        (7, -h + gm, h - gm),
        (8, p.ground_z + gm, p.ceiling_z - gm),
    ]
}

/// The inverse of `rng::mix` (lowbias32), to build a key whose next draw has chosen bits.
fn unmix(y: u32) -> u32 {
    // Newton's iteration for the inverse of an odd number mod 2^32 (3 correct bits, doubling).
    let inv = |a: u32| (0..5).fold(a, |x: u32, _| x.wrapping_mul(2u32.wrapping_sub(a.wrapping_mul(x))));
    let x = y ^ (y >> 16);
    let x = x.wrapping_mul(inv(0x846c_a68b));
    let x = x ^ (x >> 15) ^ (x >> 30);
    let x = x.wrapping_mul(inv(0x7feb_352d));
    x ^ (x >> 16)
}

/// The docs' reset intervals are half-open, `U[low, high)`: no draw is ever `high`, even the
/// one whose `low + (high - low) u` rounds up to it (`goal_z` with the defaults).
#[test]
fn reset_draws_never_reach_their_upper_bounds() {
    let p = Reach3DParams::default();
    // The case the interval is about: the largest 24-bit draw for goal_z ~ U[0.5, 4.5).
    let (lo, hi) = (p.ground_z + p.goal_margin, p.ceiling_z - p.goal_margin);
    assert_eq!((lo, hi), (0.5, 4.5));
    let top = 0xff_ffff as f32 * ((hi - lo) / 16_777_216.0);
    assert_eq!(lo + top, hi, "the unguarded formula rounds the largest draw up to high");
    for bits in [0xffff_ffffu32, 0xffff_ff00, 0xffff_fe00] {
        let v: f32 = rng::uniform_lanes(bits, lo, hi);
        assert!((lo..hi).contains(&v), "{bits:#x}: {v}");
    }
    assert_eq!(rng::uniform_lanes::<f32>(0xffff_ffff, lo, hi), lo, "a draw that rounds to high is low");
    assert_eq!(rng::uniform_lanes::<f32>(0, lo, hi), lo);

    // Through Reach3D::reset: force draw d to all ones (then to zero) with a key built for it.
    for x in [0u32, 1, 0xdead_beef, 0xffff_ffff] {
        assert_eq!(rng::mix(unmix(x)), x);
    }
    for (d, (k, lo, hi)) in reset_intervals(&p).into_iter().enumerate() {
        for (bits, want_lo) in [(0xffff_ffffu32, false), (0, true)] {
            let key = unmix(bits).wrapping_sub((d as u32).wrapping_mul(rng::GOLDEN));
            let mut r = Rng::<f32>::from_key(key);
            let mut s = [0f32; 9];
            Reach3D::reset::<f32>(&p, &mut r).for_each(|j, v| s[j] = v);
            assert!(s[k] >= lo && s[k] < hi, "draw {d} with bits {bits:#x}: {} outside [{lo}, {hi})", s[k]);
            if want_lo {
                assert_eq!(s[k], lo, "draw {d}: zero bits give low");
            } else {
                assert!(s[k] > hi - 1e-5 || s[k] == lo, "draw {d}: all-ones bits give {}", s[k]);
            }
        }
    }

    // Many envs, seeds and episodes (reset() continues each env's episode stream).
    let n = 1 << 16;
    let mut seen_top = [f32::MIN; 6];
    for seed in [0, 7, 2024] {
        let mut env = VecEnv::<Reach3D>::new(n, seed).unwrap();
        for episode in 0..4 {
            if episode > 0 {
                env.reset();
            }
            let s = env.state();
            for (j, (k, lo, hi)) in reset_intervals(&p).into_iter().enumerate() {
                for &x in &s[k * n..(k + 1) * n] {
                    assert!(x >= lo && x < hi, "seed {seed}, episode {episode}: component {k} = {x} outside [{lo}, {hi})");
                    seen_top[j] = seen_top[j].max(x);
                }
            }
        }
    }
    // The draws do reach up to their bounds, just not onto them.
    for (j, (_, lo, hi)) in reset_intervals(&p).into_iter().enumerate() {
        assert!(seen_top[j] > hi - 1e-4 * (hi - lo), "draw {j} tops out at {}", seen_top[j]);
    }
}

#[test]
fn observation_includes_velocity_and_determines_the_state() {
    let p = Reach3DParams::default();
    let s = [1.0, -2.0, 3.0, 2.5, -1.0, 0.5, 0.0, 0.0, 1.0];
    let o = observe(&p, s);
    assert_eq!(o[6..], [2.5 / p.max_vel, -1.0 / p.max_vel, 0.5 / p.max_vel]);
    // Beyond max_vel (only set_env_state can hand such a state in) the components are clipped.
    let o = observe(&p, [1.0, -2.0, 3.0, 12.0, -30.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(o[6..], [1.0, -1.0, 0.0]);
    // Positions and goals set outside the arena are clipped too (inside it the clip is a
    // no-op): 1e4 m above an arena one ulp high was a quotient of inf before.
    let flat = Reach3DParams { ground_z: 0.0, ceiling_z: f32::from_bits(1), goal_margin: 0.0, ..p };
    let o = observe(&flat, [0.0, 20.0, 1e4, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(o[..6], [0.0, -1.0, -1.0, 0.0, 1.0, 1.0]);
    // v0's observation was not Markov: these two states observed alike and stepped apart.
    let (a, b) = (mid_air(), [0.0, 0.0, 2.5, 3.0, 0.0, 0.0, 4.0, 4.0, 4.5]);
    assert_eq!(observe(&p, a)[..6], observe(&p, b)[..6]);
    assert_ne!(observe(&p, a)[6..], observe(&p, b)[6..]);
    assert_ne!(step(&p, a, [0.0; 3]).0[X], step(&p, b, [0.0; 3]).0[X]);
    // The observation now determines the state: invert it along random runs.
    let (lo, hi) = arena(&p);
    let n = 64;
    let mut env = VecEnv::<Reach3D>::new(n, 3).unwrap();
    let mut g = Gen(5);
    let mut actions = vec![0.0f32; 3 * n];
    for _ in 0..500 {
        actions.iter_mut().for_each(|a| *a = g.range(-1.0, 1.0) as f32);
        env.step(Actions::Continuous(&actions)).unwrap();
        let (obs, state) = (env.obs(), env.state());
        for i in 0..n {
            let o = |k: usize| obs[k * n + i] as f64;
            for k in 0..3 {
                let ext = hi[k] - lo[k];
                let pos = lo[k] + (o(3 + k) + 1.0) * ext / 2.0;
                let goal = pos + o(k) * ext;
                let vel = o(6 + k) * p.max_vel as f64;
                for (got, j) in [(pos, k), (vel, 3 + k), (goal, 6 + k)] {
                    assert!((got - state[j * n + i] as f64).abs() < 1e-5, "env {i}, component {j}");
                }
            }
        }
    }
}

#[test]
fn random_policy_never_produces_nan_or_leaves_the_box() {
    let p = Reach3DParams::default();
    let (lo, hi) = arena(&p);
    let n = 64;
    let mut env = VecEnv::<Reach3D>::new(n, 9).unwrap();
    let mut g = Gen(77);
    let mut actions = vec![0.0f32; 3 * n];
    let (mut truncations, mut terminations) = (0, 0);
    for t in 0..10_000 {
        // Mostly in range, sometimes far outside it, sometimes sticking to one command.
        if t % 10 == 0 || g.unit() < 0.5 {
            for a in actions.iter_mut() {
                *a = if g.unit() < 0.05 { g.range(-100.0, 100.0) } else { g.range(-1.2, 1.2) } as f32;
            }
        }
        let v = env.step(Actions::Continuous(&actions)).unwrap();
        assert!(v.obs.iter().all(|o| o.is_finite() && (-1.0..=1.0).contains(o)), "step {t}");
        assert!(v.reward.iter().all(|r| r.is_finite()), "step {t}");
        for i in 0..n {
            if v.terminated[i] || v.truncated[i] {
                assert!((0..9).all(|k| (-1.0..=1.0).contains(&v.final_obs.get(i).unwrap()[k])), "step {t}");
            }
        }
        terminations += v.terminated.iter().filter(|&&x| x).count();
        truncations += v.truncated.iter().filter(|&&x| x).count();
        let s = env.state();
        assert!(s.iter().all(|x| x.is_finite()), "step {t}");
        for i in 0..n {
            for k in 0..3 {
                let x = s[k * n + i] as f64;
                assert!(x >= lo[k] && x <= hi[k], "step {t}, env {i}: position {k} = {x}");
            }
            let vel = [3, 4, 5].map(|k| s[k * n + i] as f64);
            assert!(norm(vel) <= p.max_vel as f64 * (1.0 + 1e-6), "step {t}, env {i}: speed {}", norm(vel));
            assert!(vel[2] >= -p.terminal_vel_z as f64, "step {t}, env {i}");
        }
    }
    println!("{terminations} terminations, {truncations} truncations");
    assert!(truncations > 0);
}

// ---------------------------------------------------------------------------------------------
// Scripted policies: reaching the goal must beat every way of not reaching it (docs: "Why
// reaching the goal is the best return").

/// The discounts the claim is checked at; 1 is the undiscounted return.
const GAMMAS: [f64; 4] = [0.9, 0.99, 0.999, 1.0];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Script {
    /// PD control to the goal (with gravity compensation): reaches it.
    Reach,
    /// PD control to the point 0.6 m from the goal on the mass's side of it: hovers there
    /// (v0's exploit).
    Loiter,
    /// PD control to a point circling the goal at 1.5 m in its horizontal plane.
    Orbit,
    /// No command: falls to the ground and rests there. From a start on the ground under a
    /// low goal, this is v0's ground-sitter.
    Sit,
}

const SCRIPTS: [Script; 4] = [Script::Reach, Script::Loiter, Script::Orbit, Script::Sit];

/// The command that drives the mass toward `target`: a PD law on position with gravity
/// compensation, divided by each axis's gain and clipped.
fn pd(p: &Reach3DParams, s: &[f32; 9], target: [f64; 3]) -> [f32; 3] {
    let (kp, kd) = (8.0, 6.0);
    let mut a = [0.0; 3];
    for k in 0..3 {
        let mut acc = kp * (target[k] - s[k] as f64) - kd * s[3 + k] as f64;
        let mut gain = p.accel_scale_xy as f64;
        if k == Z {
            acc += p.gravity as f64;
            gain = p.accel_scale_z as f64;
        }
        a[k] = (acc / gain).clamp(-1.0, 1.0) as f32;
    }
    a
}

/// The action of `script` at step `t` in state `s`; `angle` is the orbit's starting angle.
fn scripted(script: Script, p: &Reach3DParams, s: &[f32; 9], t: u32, angle: f64) -> [f32; 3] {
    let (lo, hi) = arena(p);
    let inside = |q: [f64; 3]| [0, 1, 2].map(|k| q[k].clamp(lo[k] + 0.1, hi[k] - 0.1));
    let goal = [s[6] as f64, s[7] as f64, s[8] as f64];
    match script {
        Script::Reach => pd(p, s, goal),
        Script::Loiter => {
            let off = [0, 1, 2].map(|k| s[k] as f64 - goal[k]);
            let d = norm(off).max(1e-9);
            pd(p, s, inside([0, 1, 2].map(|k| goal[k] + 0.6 * off[k] / d)))
        }
        Script::Orbit => {
            let theta = angle + 0.5 * p.dt as f64 * t as f64;
            pd(p, s, inside([goal[0] + 1.5 * theta.cos(), goal[1] + 1.5 * theta.sin(), goal[2]]))
        }
        Script::Sit => [0.0; 3],
    }
}

/// One episode of a script: its returns at [`GAMMAS`], whether it reached the goal, its
/// length, its start distance, and whether it ever ended a step on a face of the arena.
#[derive(Clone, Copy, Debug, Default)]
struct Episode {
    returns: [f64; 4],
    reached: bool,
    steps: u32,
    d0: f64,
    touched: bool,
}

/// Plays the first episode from each start with `script` (a batch of `starts.len()` envs).
fn play(p: Reach3DParams, starts: &[[f32; 9]], script: Script) -> Vec<Episode> {
    let n = starts.len();
    let mut env = VecEnv::<Reach3D>::with_params(p, n, 0).unwrap();
    let mut out = vec![Episode::default(); n];
    let mut angle = vec![0.0; n];
    for (i, s) in starts.iter().enumerate() {
        env.set_env_state(i, s, 0).unwrap();
        out[i].d0 = norm([0, 1, 2].map(|k| s[6 + k] as f64 - s[k] as f64));
        angle[i] = (s[1] as f64 - s[7] as f64).atan2(s[0] as f64 - s[6] as f64);
    }
    let (lo, hi) = arena(&p);
    let mut done = vec![false; n];
    let mut discount = [1.0; 4];
    let mut actions = vec![0.0f32; 3 * n];
    for t in 0..p.max_episode_steps {
        let state = env.state();
        for i in (0..n).filter(|&i| !done[i]) {
            let s: [f32; 9] = core::array::from_fn(|k| state[k * n + i]);
            let a = scripted(script, &p, &s, t, angle[i]);
            for k in 0..3 {
                actions[k * n + i] = a[k];
            }
        }
        let v = env.step(Actions::Continuous(&actions)).unwrap();
        let (reward, terminated, truncated) = (v.reward.to_vec(), v.terminated.to_vec(), v.truncated.to_vec());
        let state = env.state();
        for i in 0..n {
            if done[i] {
                continue;
            }
            for (j, d) in discount.iter().enumerate() {
                out[i].returns[j] += d * reward[i] as f64;
            }
            if terminated[i] || truncated[i] {
                done[i] = true;
                out[i].reached = terminated[i];
                out[i].steps = t + 1;
            } else {
                // Ended the step on a face (the ground counts once the mass has left it).
                let on_face = (0..3).any(|k| {
                    let x = state[k * n + i] as f64;
                    x >= hi[k] || (x <= lo[k] && (k != Z || t > 0))
                });
                out[i].touched |= on_face;
            }
        }
        for (j, d) in discount.iter_mut().enumerate() {
            *d *= GAMMAS[j];
        }
        if done.iter().all(|&d| d) {
            break;
        }
    }
    out
}

/// Random starts (reset draws of two seeds), and starts on the ground under a goal lower than
/// 1 m (the ground-sitter's case).
fn scripted_starts() -> (Vec<[f32; 9]>, Vec<[f32; 9]>) {
    let mut random = Vec::new();
    for seed in [11, 12] {
        let n = 1024;
        let env = VecEnv::<Reach3D>::new(n, seed).unwrap();
        let s = env.state();
        random.extend((0..n).map(|i| core::array::from_fn(|k| s[k * n + i])));
    }
    let mut g = Gen(13);
    let low = random[..512]
        .iter()
        .map(|s| {
            let gz = g.range(0.5, 1.0) as f32;
            [s[6], s[7], 0.0, 0.0, 0.0, 0.0, s[6], s[7], gz]
        })
        .collect();
    (random, low)
}

/// The documented bounds for an agent with discount `gamma` and the shaping's `gs`: the most a
/// non-reaching episode can earn (U), and what a reaching episode of `n` steps that touches no
/// wall earns at least (L), with the distance bound `dmax`.
fn bounds_of(p: &Reach3DParams, gamma: f64, gs: f64, n: u32, d0: f64, dmax: f64) -> (f64, f64) {
    let (k, b, c, eps) = (p.progress_scale as f64, p.goal_bonus as f64, p.step_cost as f64, p.goal_threshold as f64);
    let t = p.max_episode_steps;
    // sum_{j < m} gamma^j
    let geo = |m: u32| {
        if gamma == 1.0 {
            m as f64
        } else {
            (1.0 - gamma.powi(m as i32)) / (1.0 - gamma)
        }
    };
    let upper = k * d0 - k * gamma.powi(t as i32) * eps - (c + k * (gs - gamma) * eps) * geo(t);
    let lower = k * d0 + gamma.powi(n as i32 - 1) * b - c * geo(n) - k * (gs - gamma) * dmax * geo(n - 1);
    (upper, lower)
}

#[test]
fn reaching_the_goal_beats_loitering_orbiting_and_sitting() {
    let (random, low) = scripted_starts();
    let dflt = Reach3DParams::default();
    // The default shaping (shaping_gamma = 1) at every discount, and the shaping matched to each
    // discount (the docs' exact case).
    let mut cases = vec![(dflt, vec![0, 1, 2, 3])];
    for (j, &gamma) in GAMMAS[..3].iter().enumerate() {
        cases.push((Reach3DParams { shaping_gamma: gamma as f32, ..dflt }, vec![j]));
    }
    let mut table = Vec::new();
    for (p, gammas) in &cases {
        for (set, starts) in [("random", &random), ("low goal", &low)] {
            let played: Vec<Vec<Episode>> = SCRIPTS.iter().map(|&s| play(*p, starts, s)).collect();
            let reach = &played[0];
            let longest = reach.iter().map(|e| e.steps).max().unwrap();
            let mean_steps = reach.iter().map(|e| e.steps as f64).sum::<f64>() / reach.len() as f64;
            for e in reach {
                assert!(e.reached && !e.touched, "the PD controller must reach without touching a wall: {e:?}");
            }
            for (script, eps) in SCRIPTS.iter().zip(&played).skip(1) {
                for (i, e) in eps.iter().enumerate() {
                    assert!(!e.reached, "{script:?} reached the goal from start {i}: {:?}", starts[i]);
                    for &j in gammas {
                        let (r, o) = (reach[i].returns[j], e.returns[j]);
                        assert!(
                            r > o,
                            "gamma {}, shaping_gamma {}, {set} start {i}: Reach {r} <= {script:?} {o}",
                            GAMMAS[j],
                            p.shaping_gamma
                        );
                    }
                }
            }
            // The documented bounds hold episode by episode (exactly where shaping_gamma =
            // gamma; with the 15 m arena diagonal as the distance bound otherwise).
            for &j in gammas {
                let (gamma, gs) = (GAMMAS[j], p.shaping_gamma as f64);
                for i in 0..starts.len() {
                    let (upper, lower) = bounds_of(p, gamma, gs, reach[i].steps, reach[i].d0, 15.0);
                    assert!(reach[i].returns[j] >= lower - 1e-3, "gamma {gamma}: reach {} < L = {lower}", reach[i].returns[j]);
                    if gs == gamma {
                        // Matched, with no wall and no stamina cost, L is the return itself.
                        assert!((reach[i].returns[j] - lower).abs() < 1e-3, "gamma {gamma}: reach {} != L = {lower}", reach[i].returns[j]);
                    }
                    for eps in &played[1..] {
                        assert!(eps[i].returns[j] <= upper + 1e-3, "gamma {gamma}: {} > U = {upper}", eps[i].returns[j]);
                    }
                }
            }
            for &j in gammas {
                let mean = |eps: &Vec<Episode>| eps.iter().map(|e| e.returns[j]).sum::<f64>() / eps.len() as f64;
                let worst_margin = (1..SCRIPTS.len())
                    .map(|s| (0..starts.len()).map(|i| reach[i].returns[j] - played[s][i].returns[j]).fold(f64::MAX, f64::min))
                    .fold(f64::MAX, f64::min);
                table.push(format!(
                    "| {} | {} | {set} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {mean_steps:.1} / {longest} |",
                    GAMMAS[j],
                    p.shaping_gamma,
                    mean(&played[0]),
                    mean(&played[1]),
                    mean(&played[2]),
                    mean(&played[3]),
                    worst_margin
                ));
            }
        }
    }
    println!("| gamma | shaping_gamma | starts | Reach | Loiter | Orbit | Sit | min(Reach - other) | Reach steps, mean / max |");
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|");
    for row in table {
        println!("{row}");
    }
}

/// Why `stamina_penalty` is off by default: with it, idling beats a long flight for a small
/// discount even with the shaping matched, while a discount near 1 still prefers reaching.
#[test]
fn a_stamina_penalty_makes_idling_pay_at_small_discounts() {
    let (random, _) = scripted_starts();
    let count = |gamma: f64| {
        let j = GAMMAS.iter().position(|&g| g == gamma).unwrap();
        let p = Reach3DParams { stamina_penalty: 0.01, shaping_gamma: gamma as f32, ..Reach3DParams::default() };
        let (reach, sit) = (play(p, &random, Script::Reach), play(p, &random, Script::Sit));
        reach.iter().zip(&sit).filter(|(r, s)| s.returns[j] >= r.returns[j]).count()
    };
    let (small, large) = (count(0.9), count(0.999));
    println!("with stamina_penalty = 0.01, sitting beats reaching from {small} of {} starts at gamma 0.9, {large} at 0.999", random.len());
    assert!(small > 0 && large == 0, "{small} {large}");
}
