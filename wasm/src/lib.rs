//! # fusegym-wasm
//!
//! The raw wasm-bindgen exports behind the `fusegym` npm package. Nothing here is the public
//! JavaScript API: `wasm/js/index.js` wraps these types (typed-array views over wasm memory,
//! argument checks, `free()` bookkeeping) and `wasm/js/index.d.ts` documents it. This crate
//! only moves values between JavaScript and [`fusegym_core`]'s dynamic API ([`make_with`],
//! [`DynVecEnv`]); it holds no environment logic.
//!
//! Conventions of the boundary:
//! * Every fallible export returns `Result<_, JsError>`: wasm-bindgen throws it as a JS `Error`
//!   whose message is the core's [`fusegym_core::Error`] text (what was wrong, what was expected).
//! * Buffers the page reads or writes every step (observations, rewards, flags, actions, policy
//!   weights) live in wasm memory and are handed out as byte addresses; the JS layer builds
//!   typed-array views over them, so stepping copies nothing across the boundary.
//! * Sizes derived from user input are computed with checked arithmetic, and the memory a batch
//!   needs is reserved up front ([`checks::reserve`]): a batch too large for the wasm heap is an error,
//!   not an allocation failure (which would abort the instance, every batch in it with it).
//! * Every buffer a call on a batch uses is allocated with the batch, fallibly: the dense final
//!   observations, the `elapsed()` copy, the reset mask, the state of `setEnvState`, the
//!   constant action. After the constructor no call allocates anything sized by the batch or
//!   takes a number array from JS (wasm-bindgen copies those into memory it allocates
//!   infallibly: a failure traps); the page writes into these buffers instead. So a full wasm
//!   memory cannot make a call trap; what does need new memory (a recorded rollout, a larger
//!   policy, a new batch) allocates fallibly and throws. What is left are a few bytes for short
//!   strings (names, messages) and the parameter values of `paramsOf`.
//! * Indices come in as `f64` and are checked against the batch ([`checks::to_index`]): as
//!   `usize`, wasm-bindgen would wrap `2^32 + 5` to 5.
//! * With feature `webgpu` (wasm32), module `webgpu` adds batches on the browser's GPU whose calls
//!   return promises.
//! * [`speed_of_light::BareCartPole`] is the bare kernel the bench page judges `step` against.
//! * A panic (a bug, never bad input) is recorded by a hook before the instance aborts, so the JS
//!   layer can report its message ([`last_panic`]).

use fusegym_core::registry::EnvInfo;
use fusegym_core::{
    make_with, ActionSpace, Actions, Autoreset, DynVecEnv, EnvConfig, ParamValue, Policy, SimdPath, Trajectory, ENVS, ENV_IDS,
};
use js_sys::{Array, Object, Reflect};
use std::sync::Mutex;
use wasm_bindgen::prelude::*;

pub mod checks;
pub mod speed_of_light;
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
pub mod webgpu;

use checks::{batch_bytes, policy_lengths, to_count, to_index, trajectory_lengths, try_filled, try_zeroed};

/// The message of the last panic, kept for the JS layer (see the crate docs).
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

thread_local! {
    /// The JS layer's function told of a panic ([`set_panic_listener`]).
    static PANIC_LISTENER: std::cell::RefCell<Option<js_sys::Function>> = const { std::cell::RefCell::new(None) };
}

/// Installs the panic hook that records panic messages ([`last_panic`]) and tells the JS layer
/// ([`set_panic_listener`]) before the instance aborts.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(msg.clone());
        }
        PANIC_LISTENER.with(|l| {
            if let Some(f) = l.try_borrow().ok().as_deref().and_then(Option::as_ref) {
                let _ = f.call1(&JsValue::NULL, &JsValue::from_str(&msg));
            }
        });
    }));
}

/// `f(message)` is called on a panic, before the instance traps. A panic inside a promise's
/// future (a WebGPU call) traps in a microtask, where no caller catches it, and the promise
/// would never settle: the JS layer rejects its pending promises from here instead.
#[wasm_bindgen]
pub fn set_panic_listener(f: js_sys::Function) {
    PANIC_LISTENER.with(|l| *l.borrow_mut() = Some(f));
}

/// The message of the last Rust panic in this instance, if any (the JS layer attaches it to the
/// error it throws when the instance traps).
#[wasm_bindgen]
pub fn last_panic() -> Option<String> {
    LAST_PANIC.lock().ok().and_then(|p| p.clone())
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Whether this module was built with simd128.
#[wasm_bindgen]
pub fn built_with_simd128() -> bool {
    cfg!(target_feature = "simd128")
}

/// Whether this module carries the WebGPU batches (`GpuVecEnv`; the simd build does).
#[wasm_bindgen]
pub fn built_with_webgpu() -> bool {
    cfg!(all(target_arch = "wasm32", feature = "webgpu"))
}

/// The lane implementation new batches use in this build (`wide-f32x4` with simd128, `scalar`
/// without: see `SimdPath::best`).
#[wasm_bindgen]
pub fn best_simd_path() -> String {
    SimdPath::best().name().to_string()
}

fn js_err(e: impl core::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    // Reflect.set on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(key), &value.into());
}

fn strings(names: &[&str]) -> Array {
    names.iter().map(|s| JsValue::from_str(s)).collect()
}

fn numbers(values: &[f32]) -> Array {
    values.iter().map(|v| JsValue::from_f64(*v as f64)).collect()
}

/// `{type: "discrete", n, shape: [], names}` or `{type: "box", shape: [dim], low, high, names}`.
fn action_space_object(space: ActionSpace, names: &[&str]) -> Object {
    let o = Object::new();
    match space {
        ActionSpace::Discrete { n } => {
            set(&o, "type", "discrete");
            set(&o, "n", n);
            set(&o, "shape", Array::new());
        }
        ActionSpace::Box { dim, low, high } => {
            set(&o, "type", "box");
            set(&o, "shape", Array::of1(&JsValue::from(dim as u32)));
            set(&o, "low", numbers(&low[..dim]));
            set(&o, "high", numbers(&high[..dim]));
        }
    }
    set(&o, "names", strings(names));
    o
}

/// Everything the registry says about one env: id, reference, spaces, time limit, parameters.
fn info_object(info: &EnvInfo) -> Object {
    let o = Object::new();
    set(&o, "id", info.id);
    set(&o, "reference", info.reference);
    let obs = Object::new();
    set(&obs, "shape", Array::of1(&JsValue::from(info.obs_names.len() as u32)));
    set(&obs, "names", strings(info.obs_names));
    set(&o, "observation", obs);
    set(&o, "action", action_space_object((info.action_space)(), info.action_names));
    set(&o, "stateNames", strings(info.state_names));
    set(&o, "maxEpisodeSteps", (info.max_episode_steps)());
    let params = Array::new();
    for f in info.params {
        let p = Object::new();
        set(&p, "name", f.name);
        set(&p, "doc", f.doc);
        set(&p, "default", f.default as f64);
        let valid = Object::new();
        set(&valid, "low", f.valid.lo as f64);
        set(&valid, "high", f.valid.hi as f64);
        set(&valid, "lowClosed", f.valid.lo_closed);
        set(&valid, "highClosed", f.valid.hi_closed);
        set(&valid, "text", f.valid.describe());
        set(&p, "valid", valid);
        params.push(&p);
    }
    set(&o, "params", params);
    o
}

/// The registry: one info object per env, in `ENVS` order.
#[wasm_bindgen]
pub fn envs() -> Array {
    ENVS.iter().map(|info| JsValue::from(info_object(info))).collect()
}

/// How a batch is configured (`EnvConfig` by name), filled field by field by the JS layer.
#[wasm_bindgen]
pub struct RawConfig {
    info: &'static EnvInfo,
    config: EnvConfig,
}

#[wasm_bindgen]
impl RawConfig {
    /// Checks the id, the batch size and the autoreset mode, and reserves the memory the batch
    /// will need, so that neither the per-env parameter arrays copied in next nor the batch's
    /// buffers can fail to allocate.
    #[wasm_bindgen(constructor)]
    pub fn new(id: &str, num_envs: f64, seed: u64, autoreset: &str) -> Result<RawConfig, JsError> {
        let info = fusegym_core::info(id).map_err(js_err)?;
        let n = to_count("numEnvs", num_envs, 1, u32::MAX as u64).map_err(js_err)?;
        let mode = Autoreset::from_name(autoreset).ok_or_else(|| {
            let names: Vec<String> = Autoreset::ALL.iter().map(|m| format!("\"{}\"", m.name())).collect();
            js_err(format!(
                "unknown autoreset mode {autoreset:?}; expected one of {} (or Gymnasium's SAME_STEP, NEXT_STEP, DISABLED)",
                names.join(", ")
            ))
        })?;
        let bytes = batch_bytes(info, n).map_err(js_err)?;
        checks::reserve(bytes, info.id, n).map_err(js_err)?;
        Ok(RawConfig { info, config: EnvConfig { autoreset: mode, ..EnvConfig::new(n, seed) } })
    }

    /// One value of parameter `name` for every env.
    pub fn shared(&mut self, name: &str, value: f32) {
        self.config.params.push((name.to_string(), ParamValue::Shared(value)));
    }

    /// One value of parameter `name` per env (`[numEnvs]`).
    pub fn per_env(&mut self, name: &str, values: Vec<f32>) {
        self.config.params.push((name.to_string(), ParamValue::PerEnv(values)));
    }

    /// Per-env values of parameter `name` drawn uniformly from `[low, high)`.
    pub fn range(&mut self, name: &str, low: f32, high: f32) {
        self.config.params.push((name.to_string(), ParamValue::Range { low, high }));
    }

    /// Redraw ranged parameters at every reset.
    pub fn redraw_each_episode(&mut self, redraw: bool) {
        self.config.redraw_each_episode = redraw;
    }

    /// Overrides the time limit (0 = none).
    pub fn max_episode_steps(&mut self, steps: u32) {
        self.config.max_episode_steps = Some(steps);
    }
}

/// One batch, built by [`make_with`], plus the buffers the page writes into (actions, policy
/// weights, reset mask, a state) or reads (the `elapsed` copy), so that no call copies anything
/// sized by the batch across the boundary or allocates it after the constructor.
#[wasm_bindgen]
pub struct RawVecEnv {
    env: Box<dyn DynVecEnv>,
    /// `[action_dim][num_envs]` action bits (u32, i32 or f32 as the step call says).
    actions: Vec<u32>,
    /// `[num_envs]`: the steps of each env's episode, written by [`RawVecEnv::elapsed_ptr`].
    elapsed: Vec<u32>,
    /// `[num_envs]`: the page's reset mask, and the same as the bools the core reads.
    mask: Vec<u8>,
    mask_bools: Vec<bool>,
    /// `[state_dim]`: the state [`RawVecEnv::set_env_state`] writes.
    state_in: Vec<f32>,
    /// `[action_dim]`: the action of [`RawVecEnv::rollout_constant`].
    constant_action: Vec<f32>,
    /// Whether the page holds a view of the dense final observations: then every step and
    /// rollout writes them (same-step mode), so that view shows the last step's.
    final_obs_read: bool,
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// Addresses of the last rollout's per-env statistics (stable: allocated with the batch).
    stats: [usize; 3],
    /// The last recorded rollout's trajectory, until the JS layer has copied it out.
    recorded: Option<Recorded>,
}

/// A recorded rollout's trajectory: the core's [`Trajectory`], owned.
struct Recorded {
    obs: Vec<f32>,
    actions: Vec<f32>,
    rewards: Vec<f32>,
    terminated: Vec<u8>,
    truncated: Vec<u8>,
}

impl Recorded {
    /// Zeroed buffers for `steps` steps of a batch, sized with checked arithmetic and allocated
    /// fallibly: a trajectory too large for wasm memory is an error naming its size and the limit.
    fn new(steps: usize, obs_dim: usize, action_dim: usize, n: usize, extra: usize) -> Result<Recorded, String> {
        let (obs, actions, per_step, bytes) = trajectory_lengths(steps, obs_dim, action_dim, n, extra)?;
        Ok(Recorded {
            obs: try_zeroed(obs, bytes)?,
            actions: try_zeroed(actions, bytes)?,
            rewards: try_zeroed(per_step, bytes)?,
            terminated: try_zeroed(per_step, bytes)?,
            truncated: try_zeroed(per_step, bytes)?,
        })
    }

    /// `[obs, actions, rewards, terminated, truncated]` addresses, then their element counts.
    fn ptrs(&self) -> Vec<usize> {
        vec![
            self.obs.as_ptr() as usize,
            self.actions.as_ptr() as usize,
            self.rewards.as_ptr() as usize,
            self.terminated.as_ptr() as usize,
            self.truncated.as_ptr() as usize,
            self.obs.len(),
            self.actions.len(),
            self.rewards.len(),
        ]
    }
}

#[wasm_bindgen]
impl RawVecEnv {
    /// Builds the batch `config` describes (every parameter checked by the core), with every
    /// buffer a later call needs (see the crate docs), allocated fallibly from the memory
    /// [`RawConfig::new`] reserved.
    #[wasm_bindgen(constructor)]
    pub fn new(config: &RawConfig) -> Result<RawVecEnv, JsError> {
        let mut env = make_with(config.info.id, &config.config).map_err(js_err)?;
        // The core allocates the dense final observations on their first request: make it now.
        env.final_obs_dense().map_err(js_err)?;
        let (n, id) = (env.num_envs(), config.info.id);
        let what = |buffer: &str| format!("{id} x {n} envs: {buffer}");
        Ok(RawVecEnv {
            actions: try_filled(&what("action buffer"), env.action_dim() * n, 0).map_err(js_err)?,
            elapsed: try_filled(&what("elapsed steps"), n, 0).map_err(js_err)?,
            mask: try_filled(&what("reset mask"), n, 0).map_err(js_err)?,
            mask_bools: try_filled(&what("reset mask"), n, false).map_err(js_err)?,
            state_in: try_filled(&what("state"), env.state_dim(), 0.0).map_err(js_err)?,
            constant_action: try_filled(&what("constant action"), env.action_dim(), 0.0).map_err(js_err)?,
            final_obs_read: false,
            env,
            weights: Vec::new(),
            bias: Vec::new(),
            stats: [0; 3],
            recorded: None,
        })
    }

    /// Env id.
    pub fn id(&self) -> String {
        self.env.id().to_string()
    }
    /// Number of envs.
    pub fn num_envs(&self) -> usize {
        self.env.num_envs()
    }
    /// Observation components per env.
    pub fn obs_dim(&self) -> usize {
        self.env.obs_dim()
    }
    /// State components per env.
    pub fn state_dim(&self) -> usize {
        self.env.state_dim()
    }
    /// Action components per env (1 for discrete spaces).
    pub fn action_dim(&self) -> usize {
        self.env.action_dim()
    }
    /// The autoreset mode's name (`same-step`, `next-step`, `disabled`).
    pub fn autoreset(&self) -> String {
        self.env.autoreset().name().to_string()
    }
    /// The time limit of this batch (0 = none).
    pub fn max_episode_steps(&self) -> u32 {
        self.env.max_episode_steps()
    }
    /// The registry entry (as [`envs`] gives it).
    pub fn info(&self) -> Object {
        info_object(self.env.info())
    }
    /// The action space under this batch's shared parameters.
    pub fn action_space(&self) -> Object {
        action_space_object(self.env.action_space(), self.env.info().action_names)
    }
    /// The lane implementation in use.
    pub fn simd_path(&self) -> String {
        self.env.simd_path().name().to_string()
    }
    /// Selects a lane implementation by name (`scalar`, `wide-f32x4`, ...).
    pub fn set_simd_path(&mut self, name: &str) -> Result<(), JsError> {
        let path = SimdPath::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = SimdPath::ALL.iter().map(|p| p.name()).collect();
            js_err(format!("unknown SIMD path {name:?}; expected one of {}", names.join(", ")))
        })?;
        // Without simd128 the wide paths run emulated vectors, several times slower than the
        // scalar path (../shared/TOOLCHAIN.md): the baseline build offers only the scalar path.
        if cfg!(all(target_arch = "wasm32", not(target_feature = "simd128"))) && path != SimdPath::Scalar {
            return Err(js_err(format!(
                "SIMD path {} is not offered by the baseline build (built without simd128, it would run emulated vectors, \
                 slower than scalar); available: scalar. Load the simd build for {}",
                path.name(),
                path.name()
            )));
        }
        self.env.set_simd_path(path).map_err(js_err)
    }

    /// Address of the observations, f32 `[obs_dim][num_envs]`.
    pub fn obs_ptr(&self) -> usize {
        self.env.view().obs.as_ptr() as usize
    }
    /// Address of the rewards, f32 `[num_envs]`.
    pub fn reward_ptr(&self) -> usize {
        self.env.view().reward.as_ptr() as usize
    }
    /// Address of the `terminated` flags, u8 `[num_envs]`.
    pub fn terminated_ptr(&self) -> usize {
        self.env.view().terminated.as_ptr() as usize
    }
    /// Address of the `truncated` flags, u8 `[num_envs]`.
    pub fn truncated_ptr(&self) -> usize {
        self.env.view().truncated.as_ptr() as usize
    }
    /// Address of the internal states, f32 `[state_dim][num_envs]`.
    pub fn state_ptr(&self) -> usize {
        self.env.state().as_ptr() as usize
    }
    /// Address of the episode counters, u32 `[num_envs]`.
    pub fn episodes_ptr(&self) -> usize {
        self.env.episodes().as_ptr() as usize
    }
    /// Address of the action buffer the step reads, 4-byte values `[action_dim][num_envs]`.
    pub fn actions_ptr(&self) -> usize {
        self.actions.as_ptr() as usize
    }
    /// Scatters the last step's same-step final observations into the dense
    /// `[obs_dim][num_envs]` buffer (allocated with the batch) and returns its address; from
    /// then on every step and rollout keeps it current (see `final_obs_read`).
    pub fn final_obs_dense_ptr(&mut self) -> Result<usize, JsError> {
        self.final_obs_read = true;
        Ok(self.env.final_obs_dense().map_err(js_err)?.as_ptr() as usize)
    }
    /// After a step or rollout: the dense final observations the page holds a view of.
    fn refresh_final_obs(&mut self) -> Result<(), JsError> {
        if self.final_obs_read {
            // Allocated with the batch: this only scatters the envs that finished.
            self.env.final_obs_dense().map_err(js_err)?;
        }
        Ok(())
    }
    /// Number of envs whose episode ended on the last step (same-step mode; 0 otherwise).
    pub fn final_obs_count(&self) -> usize {
        self.env.final_obs().len()
    }
    /// Writes the steps taken in each env's current episode into the batch's `[num_envs]` u32
    /// buffer and returns its address (the JS layer copies it out).
    pub fn elapsed_ptr(&mut self) -> Result<usize, JsError> {
        self.env.elapsed_into(&mut self.elapsed).map_err(js_err)?;
        Ok(self.elapsed.as_ptr() as usize)
    }
    /// Env `i`'s value of every parameter field, in declaration order.
    pub fn env_params(&self, i: f64) -> Result<Vec<f32>, JsError> {
        let i = to_index(i, self.env.num_envs()).map_err(js_err)?;
        self.env.env_params(i).map_err(js_err)
    }

    /// Starts a new episode in every env (continuing the seed's episode stream).
    pub fn reset(&mut self) {
        self.env.reset();
    }
    /// Reseeds and starts episode 0 of every env.
    pub fn reset_with_seed(&mut self, seed: u64) {
        self.env.reset_with_seed(seed);
    }
    /// Address of the reset mask, u8 `[num_envs]`, which the page fills before [`RawVecEnv::reset_envs`].
    pub fn mask_ptr(&self) -> usize {
        self.mask.as_ptr() as usize
    }
    /// Starts new episodes where the mask ([`RawVecEnv::mask_ptr`]) is non-zero.
    pub fn reset_envs(&mut self) -> Result<(), JsError> {
        for (b, &m) in self.mask_bools.iter_mut().zip(&self.mask) {
            *b = m != 0;
        }
        self.env.reset_envs(&self.mask_bools).map(|_| ()).map_err(js_err)
    }
    /// Address of the `[state_dim]` f32 state the page fills before [`RawVecEnv::set_env_state`].
    pub fn state_in_ptr(&self) -> usize {
        self.state_in.as_ptr() as usize
    }
    /// Overwrites env `i`'s internal state (from [`RawVecEnv::state_in_ptr`]) and step count.
    pub fn set_env_state(&mut self, i: f64, elapsed: u32) -> Result<(), JsError> {
        let i = to_index(i, self.env.num_envs()).map_err(js_err)?;
        self.env.set_env_state(i, &self.state_in, elapsed).map_err(js_err)
    }

    /// One step with the action buffer read as `u32` discrete actions.
    pub fn step_u32(&mut self) -> Result<(), JsError> {
        self.env.step(Actions::Discrete(&self.actions)).map_err(js_err)?;
        self.refresh_final_obs()
    }
    /// One step with the action buffer read as `i32` discrete actions.
    pub fn step_i32(&mut self) -> Result<(), JsError> {
        self.env.step(Actions::DiscreteI32(bytemuck::cast_slice(&self.actions))).map_err(js_err)?;
        self.refresh_final_obs()
    }
    /// One step with the action buffer read as `f32` continuous actions.
    pub fn step_f32(&mut self) -> Result<(), JsError> {
        self.env.step(Actions::Continuous(bytemuck::cast_slice(&self.actions))).map_err(js_err)?;
        self.refresh_final_obs()
    }

    /// `steps` steps with uniform random actions inside the fused loop; with `record`, the
    /// trajectory is kept for [`RawVecEnv::trajectory_ptrs`] (so for every rollout).
    pub fn rollout_random(&mut self, steps: f64, record: bool) -> Result<(), JsError> {
        self.rollout(steps, Policy::Random, record)
    }
    /// Address of the `[action_dim]` f32 action the page fills before [`RawVecEnv::rollout_constant`].
    pub fn constant_action_ptr(&self) -> usize {
        self.constant_action.as_ptr() as usize
    }
    /// `steps` steps with one constant action ([`RawVecEnv::constant_action_ptr`]).
    pub fn rollout_constant(&mut self, steps: f64, record: bool) -> Result<(), JsError> {
        let action = std::mem::take(&mut self.constant_action);
        let result = self.rollout(steps, Policy::Constant(&action), record);
        self.constant_action = action;
        result
    }
    /// Sizes the linear policy's weight and bias buffers (shared or per-env lengths, see
    /// `Policy::Linear`); the JS layer then writes them through [`RawVecEnv::weights_ptr`] and
    /// [`RawVecEnv::bias_ptr`].
    pub fn prepare_linear(&mut self, weights_len: f64, bias_len: f64) -> Result<(), JsError> {
        let (w, b) =
            policy_lengths(self.env.action_space(), self.env.obs_dim(), self.env.num_envs(), weights_len, bias_len).map_err(js_err)?;
        for (buf, len) in [(&mut self.weights, w), (&mut self.bias, b)] {
            if buf.len() != len {
                let mut fresh = Vec::new();
                fresh.try_reserve_exact(len).map_err(|_| js_err(format!("policy buffer of {len} values does not fit in wasm memory")))?;
                fresh.resize(len, 0.0);
                *buf = fresh;
            }
        }
        Ok(())
    }
    /// Address of the linear policy's weights (after [`RawVecEnv::prepare_linear`]).
    pub fn weights_ptr(&self) -> usize {
        self.weights.as_ptr() as usize
    }
    /// Address of the linear policy's biases.
    pub fn bias_ptr(&self) -> usize {
        self.bias.as_ptr() as usize
    }
    /// `steps` steps with the linear policy in the weight and bias buffers.
    pub fn rollout_linear(&mut self, steps: f64, record: bool) -> Result<(), JsError> {
        let (weights, bias) = (std::mem::take(&mut self.weights), std::mem::take(&mut self.bias));
        let result = self.rollout(steps, Policy::Linear { weights: &weights, bias: &bias }, record);
        (self.weights, self.bias) = (weights, bias);
        result
    }
    /// Addresses of the last rollout's statistics: `[reward_sum (f64), episodes (u64),
    /// length_sum (u64)]`, each `[num_envs]`; zeros before the first rollout.
    pub fn stats_ptrs(&self) -> Vec<usize> {
        self.stats.to_vec()
    }

    /// The last recorded rollout's trajectory: `[obs, actions, rewards, terminated, truncated]`
    /// addresses (f32 `[steps][obs_dim][n]`, f32 `[steps][action_dim][n]`, f32 and u8 `[steps][n]`),
    /// then the element counts of obs, actions and the per-step rows; empty when there is none.
    pub fn trajectory_ptrs(&self) -> Vec<usize> {
        self.recorded.as_ref().map_or_else(Vec::new, Recorded::ptrs)
    }
    /// Frees the recorded trajectory (the JS layer has copied it).
    pub fn drop_trajectory(&mut self) {
        self.recorded = None;
    }

    fn rollout(&mut self, steps: f64, policy: Policy<'_>, record: bool) -> Result<(), JsError> {
        let steps = to_count("steps", steps, 0, u32::MAX as u64).map_err(js_err)?;
        self.recorded = None;
        let (od, ad, n) = (self.env.obs_dim(), self.env.action_dim(), self.env.num_envs());
        let mut rec = if record { Some(Recorded::new(steps, od, ad, n, 0).map_err(js_err)?) } else { None };
        let trajectory = rec.as_mut().map(|r| Trajectory {
            obs: &mut r.obs,
            actions: &mut r.actions,
            rewards: &mut r.rewards,
            terminated: &mut r.terminated,
            truncated: &mut r.truncated,
        });
        let s = self.env.rollout(steps, policy, trajectory).map_err(js_err)?;
        self.stats = [s.reward_sum.as_ptr() as usize, s.episodes.as_ptr() as usize, s.length_sum.as_ptr() as usize];
        self.recorded = rec;
        self.refresh_final_obs()
    }
}

/// Every registered id, comma separated (for the JS layer's messages).
#[wasm_bindgen]
pub fn env_ids() -> String {
    ENV_IDS.join(", ")
}
