//! Replaying a golden file through our step, teacher-forced and free-running.
//!
//! Tolerances (the reasoning is in `docs/parity.md`):
//! * Teacher-forced (state set from the float64 record, one recorded action applied): every
//!   number must be within [`TEACHER_ULPS`] units of `f32::EPSILON * M`, where `M` is the
//!   largest magnitude (at least 1) among the step's input state, recorded output state,
//!   observation and reward; for MountainCar's velocity, position and reward, among those of
//!   the same quantity only ([`scale_groups`]). Flags must match exactly.
//! * Free-running (state set once, recorded actions replayed): float32 and float64 part ways in
//!   chaotic systems, so the check measures how long float32 *itself* can follow a trajectory
//!   when every step is off by rounding: an ensemble of twins of our trajectory, each perturbed
//!   at every step by rounding-sized noise ([`FreeRunning`]). Our trajectory must follow the
//!   record within [`FREE_REL`] of `M` with identical flags and rewards for at least a low
//!   quantile of the twins' horizons (the slack is the size of the noise), and never less
//!   than a fixed fraction of the episode.

use super::num;
use super::schema::{Episode, GoldenFile};
use fusegym_core::{ActionSpace, Actions, Env, SimdPath, VecEnv};

/// Teacher-forced tolerance in units of `f32::EPSILON * M` (see module docs).
pub const TEACHER_ULPS: f64 = 16.0;
/// Free-running divergence threshold, relative to `M`.
pub const FREE_REL: f64 = 1e-3;

/// Parameters of the free-running criterion (defaults: `docs/parity.md`, section 3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FreeRunning {
    /// Twins per episode.
    pub twins: usize,
    /// Before every step, each state component `x` of each twin moves by a uniform draw from
    /// `±noise · ε · |x|`. One rounding of a float32 step is about `noise = 1`; the default
    /// 16 is the slack: it accepts per-step errors that act like up to 16 roundings.
    pub noise: f64,
    /// The bar is this quantile of the twins' horizons (0.1 of 32 twins: the 4th shortest)...
    pub quantile: f64,
    /// ...and never below this fraction of the episode's length (guard: the twins run our own
    /// dynamics, so a bug that made them more chaotic would otherwise lower its own bar).
    pub floor: f64,
}

impl Default for FreeRunning {
    fn default() -> Self {
        FreeRunning { twins: 32, noise: 16.0, quantile: 0.1, floor: 0.05 }
    }
}

/// Worst teacher-forced error seen, and where.
#[derive(Clone, Debug, Default)]
pub struct Worst {
    /// Largest |ours - record|.
    pub abs: f64,
    /// Largest error in units of `EPSILON * M`.
    pub ulps: f64,
    /// Where the largest `ulps` happened.
    pub at: String,
    /// Where a non-finite error happened first (ours or the record overflowed), if anywhere.
    pub non_finite: Option<String>,
}

/// Free-running result of one episode.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FreeRun {
    /// Recorded steps.
    pub length: usize,
    /// Steps our trajectory followed the record before leaving it (`length` if it never did).
    pub followed: usize,
    /// Steps it had to follow.
    pub bar: usize,
    /// The twins' horizons, sorted (a twin's horizon is the steps it followed ours).
    pub twin_horizons: Vec<usize>,
}

impl FreeRun {
    /// True when the record was followed long enough.
    pub fn passed(&self) -> bool {
        self.followed >= self.bar
    }
}

/// Outcome of replaying one file.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Teacher-forced steps checked.
    pub steps: usize,
    /// Worst teacher-forced error.
    pub worst: Worst,
    /// Free-running result of each episode.
    pub free: Vec<FreeRun>,
    /// Human-readable failures (first few).
    pub failures: Vec<String>,
    /// Failures beyond the first few, counted only.
    pub more_failures: usize,
}

impl Outcome {
    /// Checks one teacher-forced number against the record at scale `m`.
    fn compare(&mut self, at: &str, what: &str, ours: f64, theirs: f64, m: f64) {
        let err = (ours - theirs).abs();
        let ulps = err / (f32::EPSILON as f64 * m);
        if !ulps.is_finite() {
            if self.worst.non_finite.is_none() {
                self.worst.non_finite = Some(format!("{at} {what}: ours {}, record {}", num(ours), num(theirs)));
            }
        } else if ulps > self.worst.ulps {
            self.worst.ulps = ulps;
            self.worst.at = format!("{at} {what}");
        }
        if err.is_finite() {
            self.worst.abs = self.worst.abs.max(err);
        }
        if ulps.is_nan() || ulps > TEACHER_ULPS {
            let error = if ulps.is_finite() { format!("{} eps*M", num((ulps * 10.0).round() / 10.0)) } else { "not finite".to_string() };
            self.fail(format!(
                "{at}: {what} = {}, record {} (error {error}, M = {}, limit {TEACHER_ULPS} eps*M)",
                num(ours),
                num(theirs),
                num(m)
            ));
        }
    }
    fn fail(&mut self, msg: String) {
        if self.failures.len() < 8 {
            self.failures.push(msg);
        } else {
            self.more_failures += 1;
        }
    }
    /// Free-running steps followed, over all episodes.
    pub fn free_followed(&self) -> usize {
        self.free.iter().map(|f| f.followed).sum()
    }
    /// Free-running steps required, over all episodes.
    pub fn free_bar(&self) -> usize {
        self.free.iter().map(|f| f.bar).sum()
    }
    /// Recorded steps, over all episodes.
    pub fn free_length(&self) -> usize {
        self.free.iter().map(|f| f.length).sum()
    }
}

fn magnitude<'a>(floor: f64, vals: impl IntoIterator<Item = &'a f64>) -> f64 {
    vals.into_iter().fold(floor, |m, v| m.max(v.abs()))
}

/// Components of a step compared on one scale `M`: the largest magnitude among them (in the
/// input state, the recorded output state, observation and reward), at least `floor`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaleGroup {
    /// State components.
    pub state: Vec<usize>,
    /// Observation components.
    pub obs: Vec<usize>,
    /// Whether the reward belongs to the group.
    pub reward: bool,
    /// Smallest `M`.
    pub floor: f64,
}

/// How the teacher-forced check scales errors for `file`'s env (`docs/parity.md`, section 2).
///
/// One group of everything, floored at 1, except MountainCar-v0 and MountainCarContinuous-v0,
/// whose velocity (at most 0.07) and reward (-1; or -0.1 a^2 and +100 on the goal step) are
/// not on the scale of the position: position (floor `max_speed`, the largest change of it in
/// a step), velocity (floor: the largest change of it in a step, `force + gravity` or
/// `power + gravity_term`) and reward (its own magnitude) are three groups there. The
/// constants come from the header, which the constants check holds to ours.
pub fn scale_groups(file: &GoldenFile, state_dim: usize, obs_dim: usize) -> Vec<ScaleGroup> {
    let h = &file.header;
    let c = |name: &str| -> Option<f64> {
        let top = h.constants.get(name).and_then(|v| v.as_f64());
        let inner = || h.constants.get("code_constants").and_then(|v| v.get(name)).and_then(|v| v.as_f64());
        top.or_else(inner)
    };
    let car = match h.env_id.as_str() {
        "MountainCar-v0" => c("max_speed").zip(c("force").zip(c("gravity")).map(|(f, g)| f + g)),
        "MountainCarContinuous-v0" => c("max_speed").zip(c("power").zip(c("gravity_term")).map(|(p, g)| p + g)),
        _ => None,
    };
    match car {
        Some((max_speed, dv)) if state_dim == 2 && obs_dim == 2 => vec![
            ScaleGroup { state: vec![0], obs: vec![0], reward: false, floor: max_speed.abs() },
            ScaleGroup { state: vec![1], obs: vec![1], reward: false, floor: dv.abs() },
            ScaleGroup { state: vec![], obs: vec![], reward: true, floor: f64::MIN_POSITIVE },
        ],
        _ => vec![ScaleGroup { state: (0..state_dim).collect(), obs: (0..obs_dim).collect(), reward: true, floor: 1.0 }],
    }
}

/// `M` of each state component, observation component and of the reward of step `t`.
struct Scales {
    state: Vec<f64>,
    obs: Vec<f64>,
    reward: f64,
}

impl Scales {
    /// Scales of a step from `input` (state) to `output` (state), `obs` and `reward`.
    fn of(groups: &[ScaleGroup], input: &[f64], output: &[f64], obs: &[f64], reward: f64) -> Scales {
        let mut s = Scales { state: vec![1.0; input.len()], obs: vec![1.0; obs.len()], reward: 1.0 };
        for g in groups {
            let st = g.state.iter().flat_map(|&c| [&input[c], &output[c]]);
            let ob = g.obs.iter().map(|&c| &obs[c]);
            let rw = g.reward.then_some(&reward);
            let m = magnitude(g.floor, st.chain(ob).chain(rw));
            g.state.iter().for_each(|&c| s.state[c] = m);
            g.obs.iter().for_each(|&c| s.obs[c] = m);
            if g.reward {
                s.reward = m;
            }
        }
        s
    }
}

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|x| *x as f32).collect()
}

/// One column of a feature-major buffer.
/// Env `i`'s final observation (same-step mode: present for every env that finished).
fn final_column(v: &fusegym_core::StepView<'_>, i: usize) -> Vec<f64> {
    v.final_obs.get(i).expect("a finished env has a final observation").iter().map(|&x| x as f64).collect()
}

fn column(buf: &[f32], n: usize, i: usize, dim: usize) -> Vec<f64> {
    (0..dim).map(|k| buf[k * n + i] as f64).collect()
}

/// Actions of step `t` for every lane; lanes past their episode get action 0 / 0.0.
struct ActionBatch {
    disc: Vec<u32>,
    cont: Vec<f32>,
}
impl ActionBatch {
    fn new() -> Self {
        ActionBatch { disc: vec![], cont: vec![] }
    }
    fn fill<'a>(&mut self, space: ActionSpace, lanes: impl Iterator<Item = &'a Episode>, t: usize) {
        self.disc.clear();
        self.cont.clear();
        for ep in lanes {
            let a = if t < ep.length { ep.actions[t] } else { 0.0 };
            match space {
                ActionSpace::Discrete { .. } => self.disc.push(a as u32),
                ActionSpace::Box { .. } => self.cont.push(a as f32),
            }
        }
    }
    fn get(&self, space: ActionSpace) -> Actions<'_> {
        if space.is_discrete() {
            Actions::Discrete(&self.disc)
        } else {
            Actions::Continuous(&self.cont)
        }
    }
}

/// Checks the recorded actions: valid indices of a discrete space, float32 numbers for a box
/// (else the file is malformed).
pub fn check_actions(file: &GoldenFile, space: ActionSpace) -> Result<(), String> {
    for (e, ep) in file.episodes.iter().enumerate() {
        for (t, a) in ep.actions.iter().enumerate() {
            match space {
                ActionSpace::Discrete { n } => {
                    if a.fract() != 0.0 || *a < 0.0 || *a >= n as f64 {
                        return Err(format!(
                            "episodes[{e}].actions[{t}] (episode {e}, step {t}): {} is not an action of Discrete({n})",
                            num(*a)
                        ));
                    }
                }
                ActionSpace::Box { .. } => {
                    if !(*a as f32).is_finite() {
                        return Err(format!(
                            "episodes[{e}].actions[{t}] (episode {e}, step {t}): {} does not fit in float32 (largest {:e}), the action type",
                            num(*a),
                            f32::MAX
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn batch<E: Env>(n: usize, path: SimdPath) -> Result<VecEnv<E>, String> {
    let mut env = VecEnv::<E>::with_params(E::Params::default(), n, 0).map_err(|e| e.to_string())?;
    env.set_simd_path(path).map_err(|e| e.to_string())?;
    Ok(env)
}

/// What a replay needs of a batch of `n` envs (default parameters, seed 0, same-step mode):
/// the CPU's `VecEnv` on a SIMD path, or the GPU batch (`golden::gpu`).
pub trait ReplayBatch {
    /// The action space.
    fn action_space(&self) -> ActionSpace;
    /// Observation components per env.
    fn obs_dim(&self) -> usize;
    /// State components per env.
    fn state_dim(&self) -> usize;
    /// Sets env `i` mid-episode at `state` with `elapsed` steps taken.
    fn set_env_state(&mut self, i: usize, state: &[f32], elapsed: u32) -> Result<(), String>;
    /// Observations after the last step or `set_env_state`, feature-major.
    fn obs(&mut self) -> Result<Vec<f32>, String>;
    /// One step of every env.
    fn step(&mut self, actions: Actions<'_>) -> Result<(), String>;
    /// `(terminated, truncated, reward)` of env `i` on the last step.
    fn outcome(&self, i: usize) -> (bool, bool, f32);
    /// The final observation of env `i`, which finished on the last step.
    fn final_obs(&self, i: usize) -> Vec<f64>;
    /// Internal states, feature-major.
    fn state(&self) -> &[f32];
}

impl<E: Env> ReplayBatch for VecEnv<E> {
    fn action_space(&self) -> ActionSpace {
        VecEnv::action_space(self)
    }
    fn obs_dim(&self) -> usize {
        VecEnv::obs_dim(self)
    }
    fn state_dim(&self) -> usize {
        VecEnv::state_dim(self)
    }
    fn set_env_state(&mut self, i: usize, state: &[f32], elapsed: u32) -> Result<(), String> {
        VecEnv::set_env_state(self, i, state, elapsed).map_err(|e| e.to_string())
    }
    fn obs(&mut self) -> Result<Vec<f32>, String> {
        Ok(self.view().obs.to_vec())
    }
    fn step(&mut self, actions: Actions<'_>) -> Result<(), String> {
        VecEnv::step(self, actions).map(|_| ()).map_err(|e| e.to_string())
    }
    fn outcome(&self, i: usize) -> (bool, bool, f32) {
        let v = self.view();
        (v.terminated[i], v.truncated[i], v.reward[i])
    }
    fn final_obs(&self, i: usize) -> Vec<f64> {
        final_column(&self.view(), i)
    }
    fn state(&self) -> &[f32] {
        VecEnv::state(self)
    }
}

/// Teacher-forced replay: every step starts from the recorded state.
pub fn teacher_forced<E: Env>(file: &GoldenFile, path: SimdPath, out: &mut Outcome) -> Result<(), String> {
    teacher_forced_on(&mut batch::<E>(file.episodes.len(), path)?, file, out)
}

/// [`teacher_forced`] on any batch of `file.episodes.len()` envs.
pub fn teacher_forced_on<B: ReplayBatch>(env: &mut B, file: &GoldenFile, out: &mut Outcome) -> Result<(), String> {
    let k = file.episodes.len();
    let space = env.action_space();
    let (od, sd) = (env.obs_dim(), env.state_dim());
    let groups = scale_groups(file, sd, od);
    // The recorded initial observation is the observation of the initial state.
    for (e, ep) in file.episodes.iter().enumerate() {
        env.set_env_state(e, &f32s(&ep.initial_state), 0)?;
    }
    let initial = env.obs()?;
    for (e, ep) in file.episodes.iter().enumerate() {
        let scales = Scales::of(&groups, &ep.initial_state, &ep.initial_state, &ep.initial_obs, 0.0);
        let obs = column(&initial, k, e, od);
        for (c, o) in obs.iter().enumerate() {
            out.compare(&format!("episode {e}"), &format!("initial_obs[{c}]"), *o, ep.initial_obs[c], scales.obs[c]);
        }
    }
    let mut acts = ActionBatch::new();
    let longest = file.episodes.iter().map(|e| e.length).max().unwrap_or(0);
    for t in 0..longest {
        for (e, ep) in file.episodes.iter().enumerate() {
            let (start, elapsed) = if t == 0 || t >= ep.length { (&ep.initial_state, 0) } else { (&ep.states[t - 1], t as u32) };
            env.set_env_state(e, &f32s(start), elapsed)?;
        }
        acts.fill(space, file.episodes.iter(), t);
        env.step(acts.get(space))?;
        let obs_now = env.obs()?;
        for (e, ep) in file.episodes.iter().enumerate() {
            if t >= ep.length {
                continue;
            }
            out.steps += 1;
            let at = format!("episode {e} step {t}");
            let (term, trunc, reward) = env.outcome(e);
            if term != ep.terminated[t] || trunc != ep.truncated[t] {
                out.fail(format!("{at}: terminated/truncated = {term}/{trunc}, record says {}/{}", ep.terminated[t], ep.truncated[t]));
                continue;
            }
            let done = term || trunc;
            let obs = if done { env.final_obs(e) } else { column(&obs_now, k, e, od) };
            let prev = if t == 0 { &ep.initial_state } else { &ep.states[t - 1] };
            let scales = Scales::of(&groups, prev, &ep.states[t], &ep.obs[t], ep.rewards[t]);
            for (c, o) in obs.iter().enumerate() {
                out.compare(&at, &format!("obs[{c}]"), *o, ep.obs[t][c], scales.obs[c]);
            }
            out.compare(&at, "reward", reward as f64, ep.rewards[t], scales.reward);
            if !done {
                let st = column(env.state(), k, e, sd);
                for (c, x) in st.iter().enumerate() {
                    out.compare(&at, &format!("state[{c}]"), *x, ep.states[t][c], scales.state[c]);
                }
            }
        }
    }
    Ok(())
}

/// SplitMix64: the deterministic source of the twins' perturbations.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in `[-1, 1)`, a function of where it is used only (episode, twin, step, component).
fn noise(e: usize, j: usize, t: usize, c: usize) -> f64 {
    let key = mix(mix(mix(mix(e as u64) ^ j as u64) ^ t as u64) ^ c as u64);
    (key >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// What a lane produced on one step, as compared in free-running replay.
struct Seen {
    obs: Vec<f64>,
    terminated: bool,
    truncated: bool,
    reward: f64,
}

impl Seen {
    fn of<B: ReplayBatch>(env: &B, obs: &[f32], n: usize, l: usize, od: usize) -> Seen {
        let (terminated, truncated, reward) = env.outcome(l);
        let obs = if terminated || truncated { env.final_obs(l) } else { column(obs, n, l, od) };
        Seen { obs, terminated, truncated, reward: reward as f64 }
    }
    /// Within `FREE_REL * m` of `obs` and `reward`, with the same flags.
    fn follows(&self, obs: &[f64], terminated: bool, truncated: bool, reward: f64, m: f64) -> bool {
        let tol = FREE_REL * m;
        self.terminated == terminated
            && self.truncated == truncated
            && (self.reward - reward).abs() <= tol
            && self.obs.iter().zip(obs).all(|(x, y)| (x - y).abs() <= tol)
    }
}

/// Free-running replay next to an ensemble of perturbed twins (see module docs).
pub fn free_running<E: Env>(file: &GoldenFile, path: SimdPath, cfg: &FreeRunning, out: &mut Outcome) -> Result<(), String> {
    free_running_on(&mut batch::<E>(file.episodes.len() * (1 + cfg.twins), path)?, file, cfg, out)
}

/// [`free_running`] on any batch of `file.episodes.len() * (1 + cfg.twins)` envs.
pub fn free_running_on<B: ReplayBatch>(env: &mut B, file: &GoldenFile, cfg: &FreeRunning, out: &mut Outcome) -> Result<(), String> {
    let k = file.episodes.len();
    let tw = cfg.twins;
    let n = k * (1 + tw);
    let space = env.action_space();
    let (od, sd) = (env.obs_dim(), env.state_dim());
    // Lane e < k follows the record; lane k + e * tw + j is twin j of episode e.
    let episode_of = |l: usize| if l < k { l } else { (l - k) / tw };
    let lanes: Vec<&Episode> = (0..n).map(|l| &file.episodes[episode_of(l)]).collect();
    for (l, ep) in lanes.iter().enumerate() {
        env.set_env_state(l, &f32s(&ep.initial_state), 0)?;
    }
    let mut followed: Vec<Option<usize>> = vec![None; k];
    let mut horizon: Vec<Option<usize>> = vec![None; k * tw];
    let mut acts = ActionBatch::new();
    let eps = f32::EPSILON as f64;
    let longest = file.episodes.iter().map(|e| e.length).max().unwrap_or(0);
    let mut state = vec![0f32; sd];
    for t in 0..longest {
        // Every twin still with ours is moved by rounding-sized noise before each step.
        for e in 0..k {
            if t >= file.episodes[e].length {
                continue;
            }
            for j in 0..tw {
                if horizon[e * tw + j].is_some() {
                    continue;
                }
                let l = k + e * tw + j;
                for (c, s) in state.iter_mut().enumerate() {
                    let x = env.state()[c * n + l] as f64;
                    *s = (x + noise(e, j, t, c) * cfg.noise * eps * x.abs()) as f32;
                }
                env.set_env_state(l, &state, t as u32)?;
            }
        }
        acts.fill(space, lanes.iter().copied(), t);
        env.step(acts.get(space))?;
        let obs_now = env.obs()?;
        for (e, ep) in file.episodes.iter().enumerate() {
            if t >= ep.length {
                continue;
            }
            let m = magnitude(1.0, ep.obs[t].iter().chain([&ep.rewards[t]]));
            let ours = Seen::of(env, &obs_now, n, e, od);
            if followed[e].is_none() && !ours.follows(&ep.obs[t], ep.terminated[t], ep.truncated[t], ep.rewards[t], m) {
                followed[e] = Some(t);
            }
            for j in 0..tw {
                let h = &mut horizon[e * tw + j];
                if h.is_none()
                    && !Seen::of(env, &obs_now, n, k + e * tw + j, od).follows(&ours.obs, ours.terminated, ours.truncated, ours.reward, m)
                {
                    *h = Some(t);
                }
            }
        }
    }
    for (e, ep) in file.episodes.iter().enumerate() {
        let len = ep.length;
        let mut hs: Vec<usize> = (0..tw).map(|j| horizon[e * tw + j].unwrap_or(len)).collect();
        hs.sort_unstable();
        let q = hs.get(((cfg.quantile * tw as f64) as usize).min(tw.saturating_sub(1))).copied().unwrap_or(len);
        let bar = q.max((cfg.floor * len as f64).ceil() as usize).min(len);
        let run = FreeRun { length: len, followed: followed[e].unwrap_or(len), bar, twin_horizons: hs };
        if !run.passed() {
            out.fail(format!(
                "episode {e}: free-running followed the record for {} of {len} steps, bar {bar} (twins' {:.0}% quantile {q})",
                run.followed,
                cfg.quantile * 100.0
            ));
        }
        out.free.push(run);
    }
    Ok(())
}
