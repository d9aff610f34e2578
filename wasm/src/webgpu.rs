//! WebGPU batches (feature `webgpu`, wasm32 only): fusegym-gpu's [`GpuVecEnv`] behind promises,
//! for `GpuVecEnv` in `wasm/js/index.js`.
//!
//! A browser resolves a buffer mapping only once control returns to its event loop, so every
//! call that reads back returns a `Promise` ([`future_to_promise`]) and never waits in place.
//! The batch sits in an `Rc<RefCell<_>>` that each pending call clones: a second call while one
//! is in flight finds it borrowed and rejects ("busy") instead of interleaving with it, and
//! `free()` while a call is in flight only drops the page's handle (the call finishes on its own
//! clone). Host buffers the page reads (observations, rewards, flags, states, statistics) stay in
//! wasm memory and are handed out as addresses, as for [`crate::RawVecEnv`]; each keeps its
//! address for the batch's life (later results are copied into it), so a view the page holds
//! shows the latest results instead of memory freed under it.

use crate::checks::{policy_lengths, reserve_trajectory, to_count, trajectory_lengths, try_filled};
use crate::{action_space_object, info_object, js_err, RawConfig};
use fusegym_core::{Actions, EnvConfig, Policy};
use fusegym_gpu::{describe, GpuContext, GpuError, GpuRolloutStats, GpuTrajectory, GpuVecEnv};
use js_sys::{Object, Promise, Reflect};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

thread_local! {
    /// One adapter and device per instance, shared by every batch (requesting them costs
    /// tens of milliseconds; a page makes many batches).
    static CONTEXT: RefCell<Option<GpuContext>> = const { RefCell::new(None) };
}

async fn context() -> Result<GpuContext, GpuError> {
    if let Some(ctx) = CONTEXT.with(|c| c.borrow().clone()) {
        return Ok(ctx);
    }
    let ctx = GpuContext::new_async().await?;
    CONTEXT.with(|c| *c.borrow_mut() = Some(ctx.clone()));
    Ok(ctx)
}

/// The GPU error as a JS `Error`; a missing adapter says so in the browser's terms.
fn gpu_err(e: GpuError) -> JsValue {
    let msg = match e {
        GpuError::NoAdapter { detail } => format!(
            "no WebGPU adapter: navigator.gpu.requestAdapter() gave none ({detail}); WebGPU may be turned off or the GPU \
             blocklisted in this browser. fusegym does not fall back silently: use VecEnv (wasm) instead"
        ),
        other => other.to_string(),
    };
    JsError::new(&msg).into()
}

fn busy() -> JsValue {
    JsError::new("GpuVecEnv: a step, reset or rollout of this batch is still in flight; await it before the next call").into()
}

fn promise(f: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    future_to_promise(f)
}

fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    // Reflect.set on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(key), &value.into());
}

/// Builds a batch on the WebGPU device as `config` says (every value checked by the core, same
/// errors as `RawVecEnv`); resolves to a [`RawGpuVecEnv`]. The adapter and device are requested
/// on the first call.
#[wasm_bindgen]
pub fn gpu_create(config: &RawConfig) -> Promise {
    let id = config.info.id;
    let config: EnvConfig = config.config.clone();
    promise(async move {
        let ctx = context().await.map_err(gpu_err)?;
        let env = GpuVecEnv::new_async(&ctx, id, &config).await.map_err(gpu_err)?;
        let len = env.action_space().dim() * env.num_envs();
        let actions =
            try_filled(&format!("{id} x {} envs: action buffer", env.num_envs()), len, 0).map_err(|e| JsValue::from(js_err(e)))?;
        let batch = Batch {
            env,
            actions,
            weights: Vec::new(),
            bias: Vec::new(),
            stats: GpuRolloutStats::default(),
            state: Vec::new(),
            elapsed: Vec::new(),
            trajectory: None,
        };
        Ok::<JsValue, JsValue>(JsValue::from(RawGpuVecEnv { batch: Rc::new(RefCell::new(batch)) }))
    })
}

struct Batch {
    env: GpuVecEnv,
    /// `[action_dim][num_envs]` action bits (u32, i32 or f32 as the step call says).
    actions: Vec<u32>,
    weights: Vec<f32>,
    bias: Vec<f32>,
    stats: GpuRolloutStats,
    /// The last `read_state`: `[state_dim][num_envs]` and steps into each episode.
    state: Vec<f32>,
    elapsed: Vec<u32>,
    /// The last recorded rollout's trajectory, until the JS layer has copied it out.
    trajectory: Option<GpuTrajectory>,
}

#[derive(Clone, Copy)]
enum Kind {
    U32,
    I32,
    F32,
}

/// One WebGPU batch (see the module docs).
#[wasm_bindgen]
pub struct RawGpuVecEnv {
    batch: Rc<RefCell<Batch>>,
}

// Helpers: outside the exported impl block, so wasm-bindgen sees only the exports.
impl RawGpuVecEnv {
    fn with<T>(&self, f: impl FnOnce(&Batch) -> T) -> Result<T, JsValue> {
        let b = self.batch.try_borrow().map_err(|_| busy())?;
        Ok(f(&*b))
    }

    fn run<F, Fut>(&self, f: F) -> Promise
    where
        F: FnOnce(Rc<RefCell<Batch>>) -> Fut,
        Fut: Future<Output = Result<JsValue, JsValue>> + 'static,
    {
        promise(f(self.batch.clone()))
    }

    fn step(&self, kind: Kind) -> Promise {
        self.run(move |batch| async move {
            let mut guard = batch.try_borrow_mut().map_err(|_| busy())?;
            let b = &mut *guard;
            let actions = match kind {
                Kind::U32 => Actions::Discrete(&b.actions),
                Kind::I32 => Actions::DiscreteI32(bytemuck::cast_slice(&b.actions)),
                Kind::F32 => Actions::Continuous(bytemuck::cast_slice(&b.actions)),
            };
            b.env.step_async(actions).await.map_err(gpu_err)?;
            Ok::<JsValue, JsValue>(JsValue::UNDEFINED)
        })
    }

    fn rollout(&self, steps: f64, policy: OwnedPolicy, record: bool) -> Promise {
        self.run(move |batch| async move {
            let steps = to_count("steps", steps, 0, u32::MAX as u64).map_err(|e| JsValue::from(js_err(e)))?;
            let mut guard = batch.try_borrow_mut().map_err(|_| busy())?;
            let b = &mut *guard;
            b.trajectory = None;
            if record {
                // On the host the device's words (obs_dim + 2 per env and step) are read back,
                // then unpacked into the trajectory: both must fit in wasm memory at once.
                let od = b.env.obs_dim();
                let (_, _, _, bytes) =
                    trajectory_lengths(steps, od, 0, b.env.num_envs(), 4 * (od + 2)).map_err(|e| JsValue::from(js_err(e)))?;
                reserve_trajectory(bytes).map_err(|e| JsValue::from(js_err(e)))?;
            }
            let policy = match &policy {
                OwnedPolicy::Random => Policy::Random,
                OwnedPolicy::Constant(a) => Policy::Constant(a),
                OwnedPolicy::Linear => Policy::Linear { weights: &b.weights, bias: &b.bias },
            };
            let stats = if record {
                let (stats, trajectory) = b.env.rollout_recorded_async(steps, policy).await.map_err(gpu_err)?;
                b.trajectory = Some(trajectory);
                stats
            } else {
                b.env.rollout_async(steps, policy).await.map_err(gpu_err)?
            };
            keep_in_place(&mut b.stats.reward_sum, stats.reward_sum);
            keep_in_place(&mut b.stats.episodes, stats.episodes);
            keep_in_place(&mut b.stats.length_sum, stats.length_sum);
            Ok::<JsValue, JsValue>(JsValue::UNDEFINED)
        })
    }
}

#[wasm_bindgen]
impl RawGpuVecEnv {
    /// Env id.
    pub fn id(&self) -> Result<String, JsValue> {
        self.with(|b| b.env.id().to_string())
    }
    /// Number of envs.
    pub fn num_envs(&self) -> Result<usize, JsValue> {
        self.with(|b| b.env.num_envs())
    }
    /// Observation components per env.
    pub fn obs_dim(&self) -> Result<usize, JsValue> {
        self.with(|b| b.env.obs_dim())
    }
    /// State components per env.
    pub fn state_dim(&self) -> Result<usize, JsValue> {
        self.with(|b| b.env.state_dim())
    }
    /// Action components per env (1 for discrete spaces).
    pub fn action_dim(&self) -> Result<usize, JsValue> {
        self.with(|b| b.env.action_space().dim())
    }
    /// The autoreset mode's name.
    pub fn autoreset(&self) -> Result<String, JsValue> {
        self.with(|b| b.env.autoreset().name().to_string())
    }
    /// The registry entry (as `envs()` gives it).
    pub fn info(&self) -> Result<Object, JsValue> {
        self.with(|b| info_object(b.env.info()))
    }
    /// The action space under this batch's shared parameters.
    pub fn action_space(&self) -> Result<Object, JsValue> {
        self.with(|b| action_space_object(b.env.action_space(), b.env.info().action_names))
    }
    /// The adapter in one line (`describe`).
    pub fn adapter(&self) -> Result<String, JsValue> {
        self.with(|b| describe(&b.env.context().info))
    }
    /// The adapter as wgpu reports it: `{name, backend, deviceType, driver, driverInfo}`.
    pub fn adapter_info(&self) -> Result<Object, JsValue> {
        self.with(|b| {
            let i = &b.env.context().info;
            let o = Object::new();
            set(&o, "name", i.name.as_str());
            set(&o, "backend", format!("{:?}", i.backend));
            set(&o, "deviceType", format!("{:?}", i.device_type));
            set(&o, "driver", i.driver.as_str());
            set(&o, "driverInfo", i.driver_info.as_str());
            o
        })
    }

    /// Addresses of the last read-back outputs: `[obs f32 [obs_dim][n], reward f32 [n],
    /// terminated u8 [n], truncated u8 [n], final_obs f32 [obs_dim][n] (same-step mode, else 0
    /// values), has_final u8 [n] (same-step mode)]`, with the element counts after them.
    pub fn view_ptrs(&self) -> Result<Vec<usize>, JsValue> {
        self.with(|b| {
            let v = b.env.view();
            vec![
                v.obs.as_ptr() as usize,
                v.reward.as_ptr() as usize,
                v.terminated.as_ptr() as usize,
                v.truncated.as_ptr() as usize,
                v.final_obs.as_ptr() as usize,
                v.has_final.as_ptr() as usize,
                v.obs.len(),
                v.reward.len(),
                v.final_obs.len(),
                v.has_final.len(),
            ]
        })
    }
    /// Address of the action buffer the step reads, 4-byte values `[action_dim][num_envs]`.
    pub fn actions_ptr(&self) -> Result<usize, JsValue> {
        self.with(|b| b.actions.as_ptr() as usize)
    }

    /// One step with the action buffer read as `u32` discrete actions; resolves once its
    /// outputs are read back.
    pub fn step_u32(&self) -> Promise {
        self.step(Kind::U32)
    }
    /// As [`RawGpuVecEnv::step_u32`], `i32` actions.
    pub fn step_i32(&self) -> Promise {
        self.step(Kind::I32)
    }
    /// As [`RawGpuVecEnv::step_u32`], `f32` actions.
    pub fn step_f32(&self) -> Promise {
        self.step(Kind::F32)
    }

    /// Starts a new episode in every env (continuing the seed's episode stream).
    pub fn reset(&self) -> Promise {
        self.run(|batch| async move {
            let mut b = batch.try_borrow_mut().map_err(|_| busy())?;
            b.env.reset_async().await.map_err(gpu_err)?;
            Ok::<JsValue, JsValue>(JsValue::UNDEFINED)
        })
    }
    /// Reseeds and starts episode 0 of every env.
    pub fn reset_with_seed(&self, seed: u64) -> Promise {
        self.run(move |batch| async move {
            let mut b = batch.try_borrow_mut().map_err(|_| busy())?;
            b.env.reset_with_seed_async(seed).await.map_err(gpu_err)?;
            Ok::<JsValue, JsValue>(JsValue::UNDEFINED)
        })
    }
    /// Starts new episodes where `mask[i]` is non-zero.
    pub fn reset_envs(&self, mask: Vec<u8>) -> Promise {
        self.run(move |batch| async move {
            let mut b = batch.try_borrow_mut().map_err(|_| busy())?;
            let mask: Vec<bool> = mask.iter().map(|&m| m != 0).collect();
            b.env.reset_envs_async(&mask).await.map_err(gpu_err)?;
            Ok::<JsValue, JsValue>(JsValue::UNDEFINED)
        })
    }

    /// Reads the internal states and step counts back ([`RawGpuVecEnv::state_ptrs`]).
    pub fn read_state(&self) -> Promise {
        self.run(|batch| async move {
            let mut guard = batch.try_borrow_mut().map_err(|_| busy())?;
            let b = &mut *guard;
            let (state, elapsed) = b.env.state_async().await.map_err(gpu_err)?;
            keep_in_place(&mut b.state, state);
            keep_in_place(&mut b.elapsed, elapsed);
            Ok::<JsValue, JsValue>(JsValue::UNDEFINED)
        })
    }
    /// Addresses of the last `read_state`: `[state f32 [state_dim][n], elapsed u32 [n]]`.
    pub fn state_ptrs(&self) -> Result<Vec<usize>, JsValue> {
        self.with(|b| vec![b.state.as_ptr() as usize, b.elapsed.as_ptr() as usize, b.state.len()])
    }

    /// `steps` steps with uniform random actions, on the device.
    /// With `record`, every step's observation, reward and flags are recorded on the device and
    /// read back at the end (`GpuVecEnv::rollout_recorded`; [`RawGpuVecEnv::trajectory_ptrs`]).
    pub fn rollout_random(&self, steps: f64, record: bool) -> Promise {
        self.rollout(steps, OwnedPolicy::Random, record)
    }
    /// `steps` steps with one constant action (`action_dim` values).
    pub fn rollout_constant(&self, steps: f64, action: Vec<f32>, record: bool) -> Promise {
        self.rollout(steps, OwnedPolicy::Constant(action), record)
    }
    /// Sizes the linear policy's buffers (as `RawVecEnv::prepare_linear`).
    pub fn prepare_linear(&self, weights_len: f64, bias_len: f64) -> Result<(), JsValue> {
        let mut b = self.batch.try_borrow_mut().map_err(|_| busy())?;
        let (space, od, n) = (b.env.action_space(), b.env.obs_dim(), b.env.num_envs());
        let (w, l) = policy_lengths(space, od, n, weights_len, bias_len).map_err(js_err)?;
        let b = &mut *b;
        for (buf, len) in [(&mut b.weights, w), (&mut b.bias, l)] {
            if buf.len() != len {
                let mut fresh = Vec::new();
                fresh.try_reserve_exact(len).map_err(|_| js_err(format!("policy buffer of {len} values does not fit in wasm memory")))?;
                fresh.resize(len, 0.0);
                *buf = fresh;
            }
        }
        Ok(())
    }
    /// Address of the linear policy's weights (after `prepare_linear`).
    pub fn weights_ptr(&self) -> Result<usize, JsValue> {
        self.with(|b| b.weights.as_ptr() as usize)
    }
    /// Address of the linear policy's biases.
    pub fn bias_ptr(&self) -> Result<usize, JsValue> {
        self.with(|b| b.bias.as_ptr() as usize)
    }
    /// `steps` steps with the linear policy in the weight and bias buffers, on the device.
    pub fn rollout_linear(&self, steps: f64, record: bool) -> Promise {
        self.rollout(steps, OwnedPolicy::Linear, record)
    }
    /// The last recorded rollout's trajectory, laid out as `RawVecEnv::trajectory_ptrs` with no
    /// actions (address 0, 0 values: the device does not record them); empty when there is none.
    pub fn trajectory_ptrs(&self) -> Result<Vec<usize>, JsValue> {
        self.with(|b| {
            b.trajectory.as_ref().map_or_else(Vec::new, |t| {
                let p = |v: &[u8]| v.as_ptr() as usize;
                vec![
                    t.obs.as_ptr() as usize,
                    0,
                    t.rewards.as_ptr() as usize,
                    p(&t.terminated),
                    p(&t.truncated),
                    t.obs.len(),
                    0,
                    t.rewards.len(),
                ]
            })
        })
    }
    /// Frees the recorded trajectory (the JS layer has copied it).
    pub fn drop_trajectory(&self) -> Result<(), JsValue> {
        let mut b = self.batch.try_borrow_mut().map_err(|_| busy())?;
        b.trajectory = None;
        Ok(())
    }
    /// Addresses of the last rollout's statistics: `[reward_sum (f64), episodes (u64),
    /// length_sum (u64)]`, each `[num_envs]`; 0 before the first rollout.
    pub fn stats_ptrs(&self) -> Result<Vec<usize>, JsValue> {
        self.with(|b| {
            let s = &b.stats;
            if s.reward_sum.is_empty() {
                vec![0, 0, 0]
            } else {
                vec![s.reward_sum.as_ptr() as usize, s.episodes.as_ptr() as usize, s.length_sum.as_ptr() as usize]
            }
        })
    }
}

/// Puts `fresh` into `kept`: copied into its memory when the lengths agree (always, after the
/// first time), so the address the page's views read stays the same and they show `fresh`.
fn keep_in_place<T: Copy>(kept: &mut Vec<T>, fresh: Vec<T>) {
    if kept.len() == fresh.len() {
        kept.copy_from_slice(&fresh);
    } else {
        *kept = fresh;
    }
}

/// A policy whose numbers outlive the call that passed them (the rollout runs later).
enum OwnedPolicy {
    Random,
    Constant(Vec<f32>),
    /// The batch's own weight and bias buffers.
    Linear,
}
