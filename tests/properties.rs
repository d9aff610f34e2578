//! Property tests (proptest) of every environment:
//!
//! 1. for parameters drawn in their declared valid ranges and any finite action sequence, the
//!    state, observations (final ones included) and rewards stay finite, and observations stay
//!    inside the bounds the env's docs state, over 10,000 steps, in every autoreset mode;
//! 2. every reset (the first, and each autoreset) lands inside the documented reset ranges;
//! 3. no two of 1,000,000 envs replay the same first episode.
//!
//! The harness is generic over the env type; the list of types is checked against the
//! registry (`ENVS`), so a newly registered env fails [`every_registered_env_has_properties`]
//! until it has its bounds here. Bounds are written from each env's documentation (the
//! observation table of its module docs and `docs/envs/<env>.md`), not from its code.
//!
//! Parameters, per field of the `params!` declaration:
//! - "around the default" (`PROPTEST_CASES` cases per env, default 24): each field is kept at
//!   its default or, with probability 1/2, drawn log-uniformly in `[default / 2, 2 default]`
//!   (additively `default ± 1` for fields whose default is 0 or whose sign is free), clamped
//!   into the declared range;
//! - "extremes" (every field, both extremes, 2 cases each): one field at an extreme of its
//!   declared range, the rest default: both ends of its interval (the float inside an open
//!   end; every declared range is bounded now, the rules for unbounded ones remain for any
//!   that is not: `default × 1e-3` and `max(default, 1) × 1e3` for `(0, inf)`, `0` and
//!   `max(default, 1) × 1e3` for `[0, inf)`, `default ± 1e3 max(|default|, 1)` for any-finite
//!   fields). Every extreme holds every property (the bugs they found are fixed and pinned by
//!   the tests at the end of this file). Extremes of several fields at once, every corner and
//!   per-env ranges are `tests/extremes.rs`'s scan (finiteness only: the documented bounds
//!   below are written for one configuration per batch).
//!
//! A draw that breaks a constraint between fields (`min_position < max_position`,
//! `ground_z + 2 goal_margin < ceiling_z` ...) has the constraint's fields put back to their
//! defaults. Each case: 67 envs (a full 64-env block and a tail of 3)
//! × 10,000 steps, in an autoreset mode, action sequence and seed drawn by proptest. About 30 s
//! in all (release or `--profile fast`, 2 busy cores).

use fusegym::envs::{Acrobot, CartPole, MountainCar, MountainCarContinuous, Pendulum, Reach3D};
use fusegym::record::Record;
use fusegym::{ActionSpace, Actions, Autoreset, Env, ParamSet, Policy, Valid, VecEnv, ENVS};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Steps per case.
const STEPS: usize = 10_000;
/// Envs per case: one full 64-env block plus a tail of 3.
const ENVS_PER_CASE: usize = 67;

/// What an env's documentation promises, as closed intervals per component.
trait Documented: Env {
    /// Bounds of an observation that is not a final one (after a step that did not end the
    /// episode, or a reset's).
    fn obs_bounds(p: &Self::Params) -> Vec<(f32, f32)>;
    /// Bounds of a final observation (the state an episode ended in). `None`: finite only.
    fn final_obs_bounds(p: &Self::Params) -> Vec<Option<(f32, f32)>> {
        Self::obs_bounds(p).into_iter().map(Some).collect()
    }
    /// Reset ranges per state component: `[low, high)` (`low` itself when `low >= high`).
    fn reset_ranges(p: &Self::Params) -> Vec<(f32, f32)>;
    /// Bounds of the internal state after a step, where the docs state them; finite only by
    /// default.
    fn state_bounds(p: &Self::Params) -> Vec<(f32, f32)> {
        vec![UNBOUNDED; Self::reset_ranges(p).len()]
    }
}

const UNBOUNDED: (f32, f32) = (f32::NEG_INFINITY, f32::INFINITY);

impl Documented for CartPole {
    fn obs_bounds(p: &Self::Params) -> Vec<(f32, f32)> {
        // `|x| > x_threshold` or `|theta| > theta_threshold` terminates, so a non-final
        // observation is inside the thresholds, or is a reset's (inside ±reset_bound).
        let x = p.x_threshold.max(p.reset_bound);
        let t = p.theta_threshold_radians.max(p.reset_bound);
        vec![(-x, x), UNBOUNDED, (-t, t), UNBOUNDED]
    }
    fn final_obs_bounds(_: &Self::Params) -> Vec<Option<(f32, f32)>> {
        // A terminal state lies beyond a threshold by one step's motion: documented unbounded.
        vec![None; 4]
    }
    fn reset_ranges(p: &Self::Params) -> Vec<(f32, f32)> {
        vec![(-p.reset_bound, p.reset_bound); 4]
    }
}

impl Documented for MountainCar {
    fn obs_bounds(p: &Self::Params) -> Vec<(f32, f32)> {
        vec![(p.min_position, p.max_position), (-p.max_speed, p.max_speed)]
    }
    fn reset_ranges(p: &Self::Params) -> Vec<(f32, f32)> {
        vec![(p.reset_low, p.reset_high), (0.0, 0.0)]
    }
}

impl Documented for MountainCarContinuous {
    fn obs_bounds(p: &Self::Params) -> Vec<(f32, f32)> {
        vec![(p.min_position, p.max_position), (-p.max_speed, p.max_speed)]
    }
    fn reset_ranges(p: &Self::Params) -> Vec<(f32, f32)> {
        vec![(p.reset_low, p.reset_high), (0.0, 0.0)]
    }
}

impl Documented for Pendulum {
    fn obs_bounds(p: &Self::Params) -> Vec<(f32, f32)> {
        // theta_dot is clipped to ±max_speed by a step; a reset draws it in ±y_init.
        let v = p.max_speed.max(p.y_init);
        vec![(-1.0, 1.0), (-1.0, 1.0), (-v, v)]
    }
    fn reset_ranges(p: &Self::Params) -> Vec<(f32, f32)> {
        vec![(-p.x_init, p.x_init), (-p.y_init, p.y_init)]
    }
}

impl Documented for Acrobot {
    fn obs_bounds(p: &Self::Params) -> Vec<(f32, f32)> {
        // Velocities are clipped to ±max_vel_k by a step; a reset draws them in ±reset_bound.
        let (v1, v2) = (p.max_vel_1.max(p.reset_bound), p.max_vel_2.max(p.reset_bound));
        vec![(-1.0, 1.0), (-1.0, 1.0), (-1.0, 1.0), (-1.0, 1.0), (-v1, v1), (-v2, v2)]
    }
    fn reset_ranges(p: &Self::Params) -> Vec<(f32, f32)> {
        vec![(-p.reset_bound, p.reset_bound); 4]
    }
    fn state_bounds(p: &Self::Params) -> Vec<(f32, f32)> {
        // "both are wrapped into [-π, π] after every step"; a reset draws them in ±reset_bound.
        let pi = std::f32::consts::PI.max(p.reset_bound);
        let (v1, v2) = (p.max_vel_1.max(p.reset_bound), p.max_vel_2.max(p.reset_bound));
        vec![(-pi, pi), (-pi, pi), (-v1, v1), (-v2, v2)]
    }
}

impl Documented for Reach3D {
    fn obs_bounds(_: &Self::Params) -> Vec<(f32, f32)> {
        vec![(-1.0, 1.0); 9]
    }
    fn reset_ranges(p: &Self::Params) -> Vec<(f32, f32)> {
        let (h, sm, gm) = (p.arena_half_width, p.start_margin, p.goal_margin);
        vec![
            (-h + sm, h - sm),
            (-h + sm, h - sm),
            (p.ground_z, p.ceiling_z - sm),
            (0.0, 0.0),
            (0.0, 0.0),
            (0.0, 0.0),
            (-h + gm, h - gm),
            (-h + gm, h - gm),
            (p.ground_z + gm, p.ceiling_z - gm),
        ]
    }
}

/// Runs `$body::<E>()` for every env type, and checks that the types are the registry's.
macro_rules! for_each_env {
    ($f:ident) => {{
        let ran =
            [$f::<CartPole>(), $f::<MountainCar>(), $f::<MountainCarContinuous>(), $f::<Pendulum>(), $f::<Acrobot>(), $f::<Reach3D>()];
        ran
    }};
}

fn id_of<E: Env>() -> &'static str {
    E::SPEC.id
}

#[test]
fn every_registered_env_has_properties() {
    let mut ours = for_each_env!(id_of).to_vec();
    let mut registered: Vec<&str> = ENVS.iter().map(|e| e.id).collect();
    ours.sort_unstable();
    registered.sort_unstable();
    assert_eq!(ours, registered, "tests/properties.rs must cover exactly the registered envs");
}

// ---------------------------------------------------------------------------------------------
// Parameter strategies, from the declaration.

/// A draw of `[default / 2, 2 default]` (or `default ± 1`) for field `valid`/`default`, from
/// `u` in [0, 1].
fn around_default(valid: Valid, default: f32, u: f64) -> f32 {
    let v = if default != 0.0 && (valid.lo >= 0.0 || valid.hi <= 0.0) {
        // A field of fixed sign: log-uniform in [d/2, 2d].
        (default as f64 * (2f64).powf(2.0 * u - 1.0)) as f32
    } else {
        (default as f64 + (2.0 * u - 1.0)) as f32
    };
    clamp_into(valid, v, default)
}

/// `v` moved into `valid` (the nearest allowed value, or `fallback` when there is none).
fn clamp_into(valid: Valid, v: f32, fallback: f32) -> f32 {
    if valid.contains(v) {
        return v;
    }
    let lo = if valid.lo_closed { valid.lo } else { valid.lo.next_up() };
    let hi = if valid.hi_closed { valid.hi } else { valid.hi.next_down() };
    let c = v.clamp(lo, hi);
    if valid.contains(c) {
        c
    } else {
        fallback
    }
}

/// The extremes of field `valid` with default `default` (see the module docs).
fn extremes(valid: Valid, default: f32) -> Vec<f32> {
    let big = 1e3 * default.abs().max(1.0);
    let mut out = vec![];
    if valid.lo.is_finite() {
        out.push(if valid.lo_closed { valid.lo } else { (default * 1e-3).max(valid.lo.next_up()) });
    } else {
        out.push(default - big);
    }
    if valid.hi.is_finite() {
        out.push(if valid.hi_closed { valid.hi } else { valid.hi.next_down() });
    } else {
        out.push(if valid.lo >= 0.0 { default.max(1.0) * 1e3 } else { default + big });
    }
    out.into_iter().map(|v| clamp_into(valid, v, default)).collect()
}

/// Puts back to their defaults the fields of every constraint between fields the values break.
fn repair_order<P: ParamSet>(p: &mut P) {
    let d = P::default();
    for _ in 0..P::ORDER.len() {
        for o in P::ORDER {
            if !o.holds_for(p) {
                for k in o.fields() {
                    p.set(k, d.get(k));
                }
            }
        }
    }
}

/// How a case picks its parameters.
#[derive(Clone, Debug)]
enum ParamDraw {
    /// Per field: `None` keeps the default, `Some(u)` draws around it.
    Around(Vec<Option<f64>>),
    /// Field `.0` at its extreme number `.1` (see [`extremes`]).
    Extreme(usize, usize),
}

fn param_draw<E: Env>() -> impl Strategy<Value = ParamDraw> {
    let n = <E::Params as ParamSet>::FIELDS.len();
    proptest::collection::vec(proptest::option::of(0.0..=1.0f64), n).prop_map(ParamDraw::Around)
}

fn params_of<E: Env>(draw: &ParamDraw) -> E::Params {
    let fields = <E::Params as ParamSet>::FIELDS;
    let mut p = E::Params::default();
    match draw {
        ParamDraw::Around(us) => {
            for (k, u) in us.iter().enumerate() {
                if let Some(u) = u {
                    p.set(k, around_default(fields[k].valid, fields[k].default, *u));
                }
            }
        }
        ParamDraw::Extreme(k, e) => p.set(*k, extremes(fields[*k].valid, fields[*k].default)[*e]),
    }
    repair_order(&mut p);
    p
}

// ---------------------------------------------------------------------------------------------
// Actions: any finite sequence.

/// Continuous values a policy might send: inside the space, just outside, huge (up to the
/// largest magnitude the core accepts, below 2^60), signed zeros and subnormals.
fn continuous_value() -> BoxedStrategy<f32> {
    let largest = ((1u64 << 60) as f32).next_down();
    prop_oneof![
        4 => -1.0f32..=1.0,
        2 => -3.0f32..=3.0,
        1 => -1e18f32..=1e18,
        1 => Just(largest),
        1 => Just(-largest),
        1 => Just(0.0f32),
        1 => Just(-0.0f32),
        1 => Just(f32::from_bits(1)),
    ]
    .boxed()
}

/// A case's actions: a pool of values and a salt; the action of component `k` of env `i` at
/// step `t` is `pool[hash(t, i, k, salt) % len]`, so every case is a different sequence over
/// the whole 10,000 steps without proptest storing 670,000 values.
#[derive(Clone, Debug)]
struct ActionPlan {
    discrete: Vec<u32>,
    continuous: Vec<f32>,
    salt: u32,
}

fn action_plan(space: ActionSpace) -> BoxedStrategy<ActionPlan> {
    match space {
        ActionSpace::Discrete { n } => (proptest::collection::vec(0..n, 1..16), any::<u32>())
            .prop_map(|(discrete, salt)| ActionPlan { discrete, continuous: vec![], salt })
            .boxed(),
        ActionSpace::Box { .. } => (proptest::collection::vec(continuous_value(), 1..16), any::<u32>())
            .prop_map(|(continuous, salt)| ActionPlan { discrete: vec![], continuous, salt })
            .boxed(),
    }
}

fn pick(t: usize, i: usize, k: usize, salt: u32, len: usize) -> usize {
    let mut x = (t as u64) << 32 ^ (i as u64) << 8 ^ k as u64 ^ (salt as u64) << 40;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % len as u64) as usize
}

impl ActionPlan {
    fn fill(&self, t: usize, n: usize, dim: usize, discrete: &mut [u32], continuous: &mut [f32]) {
        if self.discrete.is_empty() {
            for k in 0..dim {
                for i in 0..n {
                    continuous[k * n + i] = self.continuous[pick(t, i, k, self.salt, self.continuous.len())];
                }
            }
        } else {
            for (i, a) in discrete.iter_mut().enumerate() {
                *a = self.discrete[pick(t, i, 0, self.salt, self.discrete.len())];
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The checks.

fn inside(v: f32, (lo, hi): (f32, f32)) -> bool {
    v.is_finite() && v >= lo && v <= hi
}

/// Whether `v` is a draw of `[lo, hi)` as documented (`lo` when the interval is empty).
fn in_reset_range(v: f32, (lo, hi): (f32, f32)) -> bool {
    if lo < hi {
        v >= lo && v < hi
    } else {
        v == lo
    }
}

struct Case<'a, E: Env> {
    params: &'a E::Params,
    mode: Autoreset,
    obs_bounds: Vec<(f32, f32)>,
    final_bounds: Vec<Option<(f32, f32)>>,
    reset: Vec<(f32, f32)>,
    state_bounds: Vec<(f32, f32)>,
}

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

impl<E: Documented> Case<'_, E> {
    fn check_reset(&self, env: &VecEnv<E>, i: usize, t: usize) -> Result<(), TestCaseError> {
        let s = env.env_state(i).map_err(|e| fail(e.to_string()))?;
        for (k, (&v, &r)) in s.iter().zip(&self.reset).enumerate() {
            if !in_reset_range(v, r) {
                return Err(fail(format!(
                    "{}: env {i} reset at step {t}: state[{k}] = {v:e} outside [{:e}, {:e}) ({:?}, {:?})",
                    E::SPEC.id,
                    r.0,
                    r.1,
                    self.mode,
                    self.params
                )));
            }
        }
        Ok(())
    }

    fn check_obs(&self, what: &str, t: usize, i: usize, obs: impl Iterator<Item = f32>, final_obs: bool) -> Result<(), TestCaseError> {
        for (k, v) in obs.enumerate() {
            let bound = if final_obs { self.final_bounds[k] } else { Some(self.obs_bounds[k]) };
            let ok = match bound {
                Some(b) => inside(v, b),
                None => v.is_finite(),
            };
            if !ok {
                return Err(fail(format!(
                    "{}: {what} of env {i} at step {t}: component {k} = {v:e} outside {bound:?} ({:?}, {:?})",
                    E::SPEC.id,
                    self.mode,
                    self.params
                )));
            }
        }
        Ok(())
    }
}

/// Property 1 and 2 for one case.
fn run_case<E: Documented>(params: E::Params, mode: Autoreset, plan: &ActionPlan, seed: u64) -> Result<(), TestCaseError> {
    let n = ENVS_PER_CASE;
    let mut env = match VecEnv::<E>::builder(n).seed(seed).params(params).autoreset(mode).build() {
        Ok(env) => env,
        // Combinations the declaration cannot express (e.g. a start margin taller than the
        // arena) are rejected at construction: nothing to step.
        Err(e) => return Err(TestCaseError::reject(e.to_string())),
    };
    let case = Case::<E> {
        params: &params,
        mode,
        obs_bounds: E::obs_bounds(&params),
        final_bounds: E::final_obs_bounds(&params),
        reset: E::reset_ranges(&params),
        state_bounds: E::state_bounds(&params),
    };
    let space = env.action_space();
    let dim = space.dim();
    let od = env.obs_dim();
    let mut discrete = vec![0u32; n];
    let mut continuous = vec![0f32; dim * n];
    for i in 0..n {
        case.check_reset(&env, i, 0)?;
    }
    for t in 0..STEPS {
        plan.fill(t, n, dim, &mut discrete, &mut continuous);
        let actions = if space.is_discrete() { Actions::Discrete(&discrete) } else { Actions::Continuous(&continuous) };
        let step = env.step(actions).map_err(|e| fail(format!("{}: step {t}: {e}", E::SPEC.id)))?;
        let done: Vec<bool> = (0..n).map(|i| step.terminated[i] || step.truncated[i]).collect();
        for (i, &finished) in done.iter().enumerate() {
            if !step.reward[i].is_finite() {
                return Err(fail(format!("{}: reward of env {i} at step {t} = {} ({mode:?}, {params:?})", E::SPEC.id, step.reward[i])));
            }
            // In same-step mode a finished env already shows its next episode's first
            // observation; in the other modes it shows the state it ended in.
            let shows_final = finished && mode != Autoreset::SameStep;
            case.check_obs("obs", t, i, (0..od).map(|k| step.obs[k * n + i]), shows_final)?;
        }
        let mut finals = 0;
        for (i, o) in step.final_obs.iter() {
            finals += 1;
            if !done[i] {
                return Err(fail(format!("{}: final obs for env {i} at step {t}, which did not finish", E::SPEC.id)));
            }
            case.check_obs("final obs", t, i, o.iter().copied(), true)?;
        }
        if mode == Autoreset::SameStep && finals != done.iter().filter(|&&d| d).count() {
            return Err(fail(format!("{}: {finals} final obs at step {t} for a different number of finished envs", E::SPEC.id)));
        }
        let state = env.state();
        for (k, &b) in case.state_bounds.iter().enumerate() {
            if let Some(i) = (0..n).find(|&i| !inside(state[k * n + i], b)) {
                let v = state[k * n + i];
                return Err(fail(format!(
                    "{}: state[{k}] of env {i} at step {t} = {v:e} outside {b:?} ({mode:?}, {params:?})",
                    E::SPEC.id
                )));
            }
        }
        match mode {
            Autoreset::SameStep => {
                for i in (0..n).filter(|&i| done[i]) {
                    case.check_reset(&env, i, t)?;
                }
            }
            Autoreset::Disabled => {
                if done.iter().any(|&d| d) {
                    env.reset_envs(&done).map_err(|e| fail(e.to_string()))?;
                    for i in (0..n).filter(|&i| done[i]) {
                        case.check_reset(&env, i, t)?;
                        let o = env.obs();
                        case.check_obs("obs after reset_envs", t, i, (0..od).map(|k| o[k * n + i]), false)?;
                    }
                }
            }
            Autoreset::NextStep => {}
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
}

/// Cases per extreme parameter value.
const EXTREME_CASES: u32 = 2;

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, max_global_rejects: 4096, ..Config::default() })
}

fn mode() -> impl Strategy<Value = Autoreset> {
    prop_oneof![Just(Autoreset::SameStep), Just(Autoreset::NextStep), Just(Autoreset::Disabled)]
}

fn around<E: Documented>() -> Result<(), String> {
    let space = E::action_space(&E::Params::default());
    let strategy = (param_draw::<E>(), mode(), action_plan(space), any::<u64>());
    runner(cases())
        .run(&strategy, |(draw, mode, plan, seed)| run_case::<E>(params_of::<E>(&draw), mode, &plan, seed))
        .map_err(|e| format!("{}: {e}", E::SPEC.id))
}

/// Every extreme of every field (not a sample of them), each with `EXTREME_CASES` drawn
/// modes, action sequences and seeds.
fn extreme<E: Documented>() -> Result<(), String> {
    let space = E::action_space(&E::Params::default());
    let fields = <E::Params as ParamSet>::FIELDS;
    let mut failures = vec![];
    for (k, field) in fields.iter().enumerate() {
        for e in 0..2 {
            let params = params_of::<E>(&ParamDraw::Extreme(k, e));
            if let Err(err) = runner(EXTREME_CASES)
                .run(&(mode(), action_plan(space), any::<u64>()), |(mode, plan, seed)| run_case::<E>(params, mode, &plan, seed))
            {
                failures.push(format!("{}: {} = {}: {err}", E::SPEC.id, field.name, params.get(k)));
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

fn report(results: &[Result<(), String>]) {
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} env(s) failed:\n{}",
        failures.len(),
        failures.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn parameters_around_the_defaults_keep_everything_finite_and_inside_the_documented_bounds() {
    report(&for_each_env!(around));
}

#[test]
fn parameters_at_the_extremes_of_their_ranges_keep_everything_finite_and_inside_the_documented_bounds() {
    report(&for_each_env!(extreme));
}

// ---------------------------------------------------------------------------------------------
// Property 3: first episodes are distinct.

/// Envs in the distinctness test.
const MANY: usize = 1_000_000;
/// Steps of each first episode hashed (with the random policy, inside the fused loop).
const FIRST_STEPS: usize = 32;

fn fold(h: u64, v: u32) -> u64 {
    (h ^ v as u64).wrapping_mul(0x100_0000_01b3).rotate_left(23)
}

/// Number of pairs of equal values among `keys` (sorted in place).
fn equal_pairs<T: Ord>(keys: &mut [T]) -> u64 {
    keys.sort_unstable();
    let mut pairs = 0u64;
    let mut run = 1u64;
    for w in 1..keys.len() {
        if keys[w] == keys[w - 1] {
            run += 1;
        } else {
            pairs += run * (run - 1) / 2;
            run = 1;
        }
    }
    pairs + run * (run - 1) / 2
}

fn first_episodes_are_distinct<E: Env>() -> Result<(), String> {
    let id = E::SPEC.id;
    let n = MANY;
    let mut env = VecEnv::<E>::new(n, 0x5eed).map_err(|e| e.to_string())?;
    let s = E::State::<f32>::LEN;
    let first: Vec<Vec<u32>> = (0..n).map(|i| (0..s).map(|k| env.state()[k * n + i].to_bits()).collect()).collect();
    // Bit 0 of a hash marks an env whose first episode has ended (it is hashed no further).
    let mut hashes: Vec<u64> = first.iter().map(|st| st.iter().fold(0xcbf2_9ce4_8422_2325, |h, &v| fold(h, v)) & !1).collect();
    // The random draws behind each component.
    let drawn = (0..s).filter(|&k| (0..n).any(|i| first[i][k] != first[0][k])).count();
    let mut states = first;
    let state_pairs = equal_pairs(&mut states);
    if drawn >= 2 && state_pairs != 0 {
        return Err(format!("{id}: {state_pairs} pairs of the {n} envs start from the same state"));
    }
    if drawn < 2 {
        // One f32 draw per reset (MountainCar's position): at least 2^22 values are reachable
        // in the reset interval, so by the birthday bound about n^2 / 2^23 pairs coincide by
        // chance; a broken keying (envs sharing a stream) would give far more.
        let bound = (n as f64).powi(2) / (1u64 << 23) as f64;
        println!("{id}: {state_pairs} pairs of the {n} envs share a first state (birthday bound ~{bound:.0})");
        if state_pairs as f64 > 1.5 * bound {
            return Err(format!("{id}: {state_pairs} pairs of first states coincide, more than chance (~{bound:.0})"));
        }
    }
    // The first steps of each first episode under the random policy.
    let od = env.obs_dim();
    for _ in 0..FIRST_STEPS {
        let stats = env.rollout(1, Policy::Random, None).map_err(|e| e.to_string())?;
        let finished: Vec<bool> = stats.episodes.iter().map(|&k| k > 0).collect();
        let obs = env.obs();
        for i in 0..n {
            // Steps after an episode ends belong to the next one: stop hashing that env.
            if finished[i] || hashes[i] & 1 == 1 {
                hashes[i] |= 1;
                continue;
            }
            for k in 0..od {
                hashes[i] = fold(hashes[i], obs[k * n + i].to_bits()) & !1;
            }
        }
    }
    let pairs = equal_pairs(&mut hashes);
    if pairs != 0 {
        return Err(format!("{id}: {pairs} pairs of the {n} envs replay the same first episode ({FIRST_STEPS} steps hashed)"));
    }
    Ok(())
}

#[test]
fn no_two_of_a_million_envs_replay_the_same_first_episode() {
    report(&for_each_env!(first_episodes_are_distinct));
}

// ---------------------------------------------------------------------------------------------
// Bugs the extremes found in session 4, each fixed: the tests failed before the fix.

/// Acrobot with a large `dt` (session 4 used 2, 10x the default, then inside the declared range):
/// the RK4 stages integrate unclipped velocities, so `theta` reaches ~1e7 within a step, where one
/// reduction `x - turns * 2pi` in f32 is off by more than pi (the state kept `theta2 = 9.72`).
/// `wrap` now reduces again until the angle is inside. `dt` is now declared in [1e-4, 1]; its
/// largest value still moves angles by ~1e10 in a step, and `wrap` of any finite angle is
/// `core/tests/acrobot.rs::wrap_reduces_any_finite_angle_into_pi`.
#[test]
fn acrobot_with_a_large_dt_keeps_its_angles_wrapped() {
    let params = fusegym::envs::AcrobotParams { dt: 1.0, ..Default::default() };
    let plan = ActionPlan { discrete: vec![0, 1, 2], continuous: vec![], salt: 7 };
    run_case::<Acrobot>(params, Autoreset::SameStep, &plan, 1).unwrap();
}

/// The same with every one of the three fields that broke it at once, each at the end of its
/// range now (`dt = 1`, `link_mass_2 = 10`, `reset_bound = pi`; session 4 used a mass of 100 and
/// `dt = 1000`, which gave `cos/sin` of unreduced angles up to 2.8e33), and the same with the
/// longest, heaviest links and velocity limits.
#[test]
fn acrobot_with_huge_steps_masses_and_resets_keeps_its_angles_wrapped() {
    let params = fusegym::envs::AcrobotParams { dt: 1.0, link_mass_2: 10.0, reset_bound: core::f32::consts::PI, ..Default::default() };
    let plan = ActionPlan { discrete: vec![2, 2, 0, 0], continuous: vec![], salt: 3 };
    for mode in [Autoreset::SameStep, Autoreset::NextStep] {
        run_case::<Acrobot>(params, mode, &plan, 2).unwrap();
    }
    let params = fusegym::envs::AcrobotParams {
        link_length_1: 10.0,
        link_com_pos_2: 10.0,
        link_mass_1: 10.0,
        max_vel_1: 100.0,
        max_vel_2: 100.0,
        ..params
    };
    run_case::<Acrobot>(params, Autoreset::SameStep, &plan, 3).unwrap();
}

/// MountainCarContinuous with `action_cost_coef = 1000` and an action of 1e18 (below the 2^60
/// limit) gave `-coef * a^2` = -1e39, a reward of -inf. The coefficient is now declared in
/// [0, 100] and `goal_reward` in [-1e6, 1e6], which keeps every accepted action's reward finite:
/// the largest of both is finite, and 1000 is refused with the field named.
#[test]
fn mountain_car_continuous_with_the_largest_action_cost_keeps_its_reward_finite() {
    let params = fusegym::envs::MountainCarContinuousParams { action_cost_coef: 100.0, goal_reward: -1e6, ..Default::default() };
    let largest = ((1u64 << 60) as f32).next_down();
    let plan = ActionPlan { discrete: vec![], continuous: vec![largest, -largest, 1e18], salt: 7 };
    run_case::<MountainCarContinuous>(params, Autoreset::SameStep, &plan, 1).unwrap();
    let too_costly = fusegym::envs::MountainCarContinuousParams { action_cost_coef: 1000.0, ..Default::default() };
    let err = VecEnv::<MountainCarContinuous>::builder(4).params(too_costly).build().err().expect("coefficient 1000 accepted");
    assert!(err.to_string().contains("action_cost_coef"), "{err}");
}
