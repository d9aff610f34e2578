//! [`GpuVecEnv`]: a batch of one environment resident on the GPU, with the CPU `VecEnv`'s shape
//! of API (configure, reset, step with host actions, read the outputs), double-buffered
//! asynchronous readback, device-side rollouts, and its buffers open to the caller's own
//! pipelines.

use crate::checks;
use crate::compose;
use crate::context::GpuContext;
use crate::error::GpuError;
use crate::layout::*;
use crate::policy;
use crate::readback::map_read;
use fusegym_core::params::MAX_PARAM_FIELDS;
use fusegym_core::{rng, ActionSpace, Actions, Autoreset, EnvConfig, EnvInfo, ParamValue, Policy};
use std::collections::VecDeque;

mod async_api;

/// The batch's device buffers, all feature-major (`[component][num_envs]`), for a caller's own
/// bind groups (see `docs/gpu.md`).
#[derive(Debug)]
pub struct GpuBuffers {
    /// The per-call constants (`struct Ctl` in `shaders/kernel.wgsl`), a uniform.
    pub ctl: wgpu::Buffer,
    /// `f32 [state_dim][n]`.
    pub state: wgpu::Buffer,
    /// `f32 [2 obs_dim][n]`: observations, then (same-step mode) final observations of the envs
    /// that finished on the last step.
    pub obs: wgpu::Buffer,
    /// `u32 [2][n]`: step counts (top two bits: done flags in next-step and disabled modes), then
    /// episode numbers.
    pub counters: wgpu::Buffer,
    /// `f32 [n]`.
    pub reward: wgpu::Buffer,
    /// `u32 [n]`: bit 0 terminated, bit 1 truncated.
    pub flags: wgpu::Buffer,
    /// Parameters (header plus per-env columns, `gpu/src/layout.rs`).
    pub params: wgpu::Buffer,
    /// `[action_dim][n]`: actions the next `step_device` reads (`u32` indices for discrete
    /// spaces, `f32` bits for Box ones); write them from your own pipeline. Also carries a
    /// rollout's policy and a reset's mask.
    pub input: wgpu::Buffer,
    /// Rollout statistics, `u32 [5][n]`.
    pub stats: wgpu::Buffer,
}

/// The outputs of the last step read back to the host (copies), feature-major.
#[derive(Clone, Debug, Default)]
pub struct HostStep {
    /// `[obs_dim][n]`.
    pub obs: Vec<f32>,
    /// `[n]`.
    pub reward: Vec<f32>,
    /// `[n]`.
    pub terminated: Vec<bool>,
    /// `[n]`.
    pub truncated: Vec<bool>,
    /// Same-step mode: `[obs_dim][n]`, valid where `has_final[i]`.
    pub final_obs: Vec<f32>,
    /// Same-step mode: env `i` finished on the last step and `final_obs` holds its last
    /// observation. Empty in the other modes, where `obs` is the final observation.
    pub has_final: Vec<bool>,
}

impl HostStep {
    /// Env `i`'s final observation, when it finished on the last step in same-step mode.
    pub fn final_obs_of(&self, i: usize) -> Option<Vec<f32>> {
        let n = self.reward.len();
        if !*self.has_final.get(i)? {
            return None;
        }
        Some((0..self.obs.len() / n.max(1)).map(|k| self.final_obs[k * n + i]).collect())
    }
}

/// Per-env statistics of one rollout call (as the CPU's `RolloutStats`, owned).
#[derive(Clone, Debug, Default)]
pub struct GpuRolloutStats {
    /// Sum of rewards over the call's steps.
    pub reward_sum: Vec<f64>,
    /// Episodes that finished during the call.
    pub episodes: Vec<u64>,
    /// Sum of the lengths of those episodes.
    pub length_sum: Vec<u64>,
}

struct Pipelines {
    step: wgpu::ComputePipeline,
    reset: wgpu::ComputePipeline,
    rollout: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// A batch of `num_envs` copies of one env on the GPU.
pub struct GpuVecEnv {
    ctx: GpuContext,
    info: &'static EnvInfo,
    n: usize,
    obs_dim: usize,
    state_dim: usize,
    space: ActionSpace,
    mode: Autoreset,
    seed: u64,
    ctl: Ctl,
    ranged: u32,
    buffers: GpuBuffers,
    pipelines: Pipelines,
    bind_group: wgpu::BindGroup,
    staging: [wgpu::Buffer; 2],
    /// Staging slots holding a submitted, unread step, oldest first.
    pending: VecDeque<usize>,
    next_slot: usize,
    host: HostStep,
    max_per_dim: u32,
}

fn storage_size(ctx: &GpuContext, what: &'static str, words: usize) -> Result<u64, GpuError> {
    let bytes = (words as u64).checked_mul(4).ok_or(GpuError::TooLarge { what, bytes: u64::MAX, limit: 0, limit_name: "u64" })?;
    let limits = ctx.limits();
    let binding = limits.max_storage_buffer_binding_size;
    if bytes > binding {
        return Err(GpuError::TooLarge { what, bytes, limit: binding, limit_name: "max_storage_buffer_binding_size" });
    }
    if bytes > limits.max_buffer_size {
        return Err(GpuError::TooLarge { what, bytes, limit: limits.max_buffer_size, limit_name: "max_buffer_size" });
    }
    // wgpu rejects zero-sized bindings; every buffer holds at least one word.
    Ok(bytes.max(4))
}

fn buffer(ctx: &GpuContext, label: &'static str, words: usize, usage: wgpu::BufferUsages) -> Result<wgpu::Buffer, GpuError> {
    let size = storage_size(ctx, label, words)?;
    Ok(ctx.device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size, usage, mapped_at_creation: false }))
}

/// How each parameter field is set in a config: the last entry for a field wins, as in the
/// CPU's `VecEnv::from_config`.
enum FieldSource<'a> {
    Shared,
    PerEnv(&'a [f32]),
    Range(f32, f32),
}

impl GpuVecEnv {
    /// A batch of env `id` as `config` says (the CPU's `make_with`): every value is validated by
    /// the core's constructor, so errors are the CPU's; episodes, parameters drawn from ranges
    /// and first states are then computed on the GPU with the same counter-RNG draws.
    pub fn new(ctx: &GpuContext, id: &str, config: &EnvConfig) -> Result<GpuVecEnv, GpuError> {
        let info = fusegym_core::info(id)?;
        let shader = compose::compose(info).ok_or_else(|| GpuError::NoShader { id: id.to_string() })?;
        // The CPU constructor checks names, values, ranges, lengths and order constraints.
        let cpu = fusegym_core::make_with(id, config)?;
        let n = config.num_envs;
        let fields = info.params.len();
        let shared_values = cpu.env_params(0)?;
        let mut sources: Vec<FieldSource<'_>> = (0..fields).map(|_| FieldSource::Shared).collect();
        for (name, value) in &config.params {
            let k = info.param_index(name).ok_or(GpuError::State("parameter accepted by the core but not in its registry"))?;
            sources[k] = match value {
                ParamValue::Shared(_) => FieldSource::Shared,
                ParamValue::PerEnv(v) => FieldSource::PerEnv(v),
                ParamValue::Range { low, high } => FieldSource::Range(*low, *high),
            };
        }
        let columns = sources.iter().filter(|s| !matches!(s, FieldSource::Shared)).count();
        let params_words =
            columns.checked_mul(n).and_then(|c| c.checked_add(PARAM_COLUMNS_START)).filter(|w| *w <= u32::MAX as usize).ok_or(
                GpuError::TooLarge {
                    what: "per-env parameter columns",
                    bytes: u64::MAX,
                    limit: u32::MAX as u64,
                    limit_name: "u32 word index",
                },
            )?;
        let mut header = vec![0u32; params_words];
        let (mut ranged, mut next_column) = (0u32, PARAM_COLUMNS_START);
        for (k, src) in sources.iter().enumerate() {
            header[PARAM_SHARED + k] = shared_values[k].to_bits();
            match src {
                FieldSource::Shared => {}
                FieldSource::PerEnv(v) => {
                    header[PARAM_COLUMN + k] = next_column as u32;
                    for (i, x) in v.iter().enumerate() {
                        header[next_column + i] = x.to_bits();
                    }
                    next_column += n;
                }
                FieldSource::Range(lo, hi) => {
                    header[PARAM_COLUMN + k] = next_column as u32;
                    header[PARAM_LOW + k] = lo.to_bits();
                    header[PARAM_HIGH + k] = hi.to_bits();
                    ranged |= 1 << k;
                    next_column += n;
                }
            }
        }
        debug_assert!(fields <= MAX_PARAM_FIELDS);
        let space = cpu.action_space();
        let (obs_dim, state_dim, action_dim) = (cpu.obs_dim(), cpu.state_dim(), cpu.action_dim());
        let mut ctl = Ctl {
            n: n as u32,
            seed_key: rng::seed_key(config.seed),
            env_offset: config.env_offset,
            mode: match config.autoreset {
                Autoreset::SameStep => 0,
                Autoreset::NextStep => 1,
                Autoreset::Disabled => 2,
            },
            max_steps: cpu.max_episode_steps(),
            redraw: if config.redraw_each_episode { ranged } else { 0 },
            ..Ctl::default()
        };
        match space {
            ActionSpace::Discrete { n } => ctl.discrete_n = n,
            ActionSpace::Box { dim, low, high } => {
                ctl.act_low[..dim].copy_from_slice(&low[..dim]);
                ctl.act_high[..dim].copy_from_slice(&high[..dim]);
            }
        }
        drop(cpu);

        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
        let words = |what: &'static str, rows: usize| {
            rows.checked_mul(n).ok_or(GpuError::TooLarge { what, bytes: u64::MAX, limit: 0, limit_name: "usize" })
        };
        let buffers = GpuBuffers {
            ctl: ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("fusegym.ctl"),
                size: std::mem::size_of::<Ctl>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            state: buffer(ctx, "fusegym.state", words("state", state_dim)?, storage)?,
            obs: buffer(ctx, "fusegym.obs", words("obs", 2 * obs_dim)?, storage)?,
            counters: buffer(ctx, "fusegym.counters", words("counters", 2)?, storage)?,
            reward: buffer(ctx, "fusegym.reward", n, storage)?,
            flags: buffer(ctx, "fusegym.flags", n, storage)?,
            params: buffer(ctx, "fusegym.params", params_words, storage)?,
            input: buffer(ctx, "fusegym.input", words("actions", action_dim)?, storage)?,
            stats: buffer(ctx, "fusegym.stats", words("rollout statistics", STAT_ROWS)?, storage)?,
        };
        ctx.queue.write_buffer(&buffers.params, 0, bytemuck::cast_slice(&header));
        drop(header);
        let staging_words = words("readback", 2 * obs_dim + 2)?;
        let staging_usage = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST;
        let staging = [
            buffer(ctx, "fusegym.readback.0", staging_words, staging_usage)?,
            buffer(ctx, "fusegym.readback.1", staging_words, staging_usage)?,
        ];
        let pipelines = pipelines(ctx, &shader, info.id)?;
        let bind_group = bind_group(ctx, &pipelines.layout, &buffers);
        let mut env = GpuVecEnv {
            ctx: ctx.clone(),
            info,
            n,
            obs_dim,
            state_dim,
            space,
            mode: config.autoreset,
            seed: config.seed,
            ctl,
            ranged,
            buffers,
            pipelines,
            bind_group,
            staging,
            pending: VecDeque::new(),
            next_slot: 0,
            host: HostStep::default(),
            max_per_dim: ctx.limits().max_compute_workgroups_per_dimension,
        };
        env.reset_with_seed(config.seed)?;
        Ok(env)
    }

    /// The context (device, queue, adapter) this batch runs on.
    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }
    /// The device.
    pub fn device(&self) -> &wgpu::Device {
        &self.ctx.device
    }
    /// The queue.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.ctx.queue
    }
    /// The device buffers.
    pub fn buffers(&self) -> &GpuBuffers {
        &self.buffers
    }
    /// The registry entry of the env.
    pub fn info(&self) -> &'static EnvInfo {
        self.info
    }
    /// Env id.
    pub fn id(&self) -> &'static str {
        self.info.id
    }
    /// Number of envs.
    pub fn num_envs(&self) -> usize {
        self.n
    }
    /// Observation components per env.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }
    /// State components per env.
    pub fn state_dim(&self) -> usize {
        self.state_dim
    }
    /// The action space under the shared parameters.
    pub fn action_space(&self) -> ActionSpace {
        self.space
    }
    /// The autoreset mode.
    pub fn autoreset(&self) -> Autoreset {
        self.mode
    }
    /// The seed of the current run.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Workgroups per dispatch `(x, y)` for this batch.
    pub fn dispatch_size(&self) -> (u32, u32) {
        dispatch_size(self.n, self.max_per_dim)
    }
    /// The outputs last read back (by `step`, `read_step`, a reset or a rollout).
    pub fn view(&self) -> &HostStep {
        &self.host
    }

    fn encode(&self, encoder: &mut wgpu::CommandEncoder, pipeline: &wgpu::ComputePipeline, label: &'static str) {
        let (x, y) = self.dispatch_size();
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(label), timestamp_writes: None });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }

    fn write_ctl(&self, ctl: &Ctl) {
        self.ctx.queue.write_buffer(&self.buffers.ctl, 0, bytemuck::bytes_of(ctl));
    }

    fn run_reset(&mut self, kind: u32, fixed: u32) -> Result<&HostStep, GpuError> {
        self.drain_pending()?;
        self.write_ctl(&Ctl { reset_kind: kind, fixed, ..self.ctl });
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.reset") });
        self.encode(&mut enc, &self.pipelines.reset, "fusegym.reset");
        let slot = self.copy_outputs(&mut enc);
        self.ctx.queue.submit([enc.finish()]);
        self.pending.push_back(slot);
        // On the web nothing may block: the reset's outputs stay pending, and the `*_async`
        // calls (vec_env/async_api.rs) read them.
        #[cfg(not(target_arch = "wasm32"))]
        self.read_step()?;
        // A reset reports no final observations (the CPU clears its packed list).
        self.host.has_final.iter_mut().for_each(|f| *f = false);
        Ok(&self.host)
    }

    /// Starts a new episode in every env, continuing each env's episode stream (Gymnasium's
    /// `reset()` without a seed).
    pub fn reset(&mut self) -> Result<&HostStep, GpuError> {
        self.run_reset(RESET_NEXT, 0)
    }

    /// Reseeds and starts episode 0 of every env (Gymnasium's `reset(seed=...)`); parameters
    /// drawn from ranges are drawn again for the new seed.
    pub fn reset_with_seed(&mut self, seed: u64) -> Result<&HostStep, GpuError> {
        self.seed = seed;
        self.ctl.seed_key = rng::seed_key(seed);
        self.run_reset(RESET_SEED, self.ranged)
    }

    /// Starts the next episode in the envs where `mask[i]` is true (the way to restart finished
    /// envs in disabled mode).
    pub fn reset_envs(&mut self, mask: &[bool]) -> Result<&HostStep, GpuError> {
        if mask.len() != self.n {
            return Err(fusegym_core::Error::Length { what: "reset mask (one per env)", expected: self.n, got: mask.len() }.into());
        }
        self.drain_pending()?;
        let words: Vec<u32> = mask.iter().map(|&m| m as u32).collect();
        self.ctx.queue.write_buffer(&self.buffers.input, 0, bytemuck::cast_slice(&words));
        self.run_reset(RESET_MASK, 0)
    }

    /// Recomputes the observation of the envs where `mask[i]` is true from their state (after
    /// writing states with [`GpuVecEnv::write_env_state`]).
    pub fn observe_envs(&mut self, mask: &[bool]) -> Result<&HostStep, GpuError> {
        if mask.len() != self.n {
            return Err(fusegym_core::Error::Length { what: "observe mask (one per env)", expected: self.n, got: mask.len() }.into());
        }
        self.drain_pending()?;
        let words: Vec<u32> = mask.iter().map(|&m| m as u32).collect();
        self.ctx.queue.write_buffer(&self.buffers.input, 0, bytemuck::cast_slice(&words));
        self.run_reset(RESET_OBSERVE, 0)
    }

    /// Overwrites env `i`'s state and step count (mid-episode: its done bits are cleared), as the
    /// CPU's `set_env_state`; call [`GpuVecEnv::observe_envs`] to recompute its observation.
    pub fn write_env_state(&mut self, i: usize, state: &[f32], elapsed: u32) -> Result<(), GpuError> {
        if i >= self.n {
            return Err(fusegym_core::Error::EnvIndex { index: i, num_envs: self.n }.into());
        }
        if state.len() != self.state_dim {
            return Err(fusegym_core::Error::Length { what: "state", expected: self.state_dim, got: state.len() }.into());
        }
        if let Some(index) = state.iter().position(|v| !v.is_finite()) {
            return Err(fusegym_core::Error::NonFinite { what: "state", index }.into());
        }
        let max = self.ctl.max_steps;
        if (max != 0 && elapsed >= max) || elapsed > fusegym_core::params::MAX_EPISODE_STEPS_LIMIT {
            return Err(fusegym_core::Error::Elapsed { elapsed, max }.into());
        }
        let q = &self.ctx.queue;
        for (k, v) in state.iter().enumerate() {
            q.write_buffer(&self.buffers.state, ((k * self.n + i) * 4) as u64, bytemuck::bytes_of(v));
        }
        q.write_buffer(&self.buffers.counters, (i * 4) as u64, bytemuck::bytes_of(&elapsed));
        q.write_buffer(&self.buffers.flags, (i * 4) as u64, bytemuck::bytes_of(&0u32));
        Ok(())
    }

    /// Records the copy of the step's outputs into the next staging slot; returns the slot.
    fn copy_outputs(&mut self, enc: &mut wgpu::CommandEncoder) -> usize {
        let slot = self.next_slot;
        self.next_slot = 1 - slot;
        let n4 = (self.n * 4) as u64;
        let obs_rows = if self.mode == Autoreset::SameStep { 2 * self.obs_dim } else { self.obs_dim } as u64;
        let st = &self.staging[slot];
        enc.copy_buffer_to_buffer(&self.buffers.obs, 0, st, 0, obs_rows * n4);
        let base = (2 * self.obs_dim) as u64 * n4;
        enc.copy_buffer_to_buffer(&self.buffers.reward, 0, st, base, n4);
        enc.copy_buffer_to_buffer(&self.buffers.flags, 0, st, base + n4, n4);
        slot
    }

    /// Uploads host actions and records one step plus the copy of its outputs into a free
    /// staging buffer, and submits; nothing is read. With one step pending, a second may be
    /// submitted before the first is read ([`GpuVecEnv::read_step`]): step N+1 runs while step
    /// N is being read.
    pub fn submit_step(&mut self, actions: Actions<'_>) -> Result<(), GpuError> {
        let words = checks::actions(self.info.id, self.space, self.n, actions)?;
        if self.pending.len() >= 2 {
            return Err(GpuError::State("two steps are pending readback: read one (read_step) before submitting another"));
        }
        self.ctx.queue.write_buffer(&self.buffers.input, 0, bytemuck::cast_slice(words));
        self.write_ctl(&self.ctl);
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.step") });
        self.encode(&mut enc, &self.pipelines.step, "fusegym.step");
        let slot = self.copy_outputs(&mut enc);
        self.ctx.queue.submit([enc.finish()]);
        self.pending.push_back(slot);
        Ok(())
    }

    /// One step with the actions already in [`GpuBuffers::input`] (written by the caller's own
    /// pipeline or `queue.write_buffer`), nothing read back: the loop of a policy that lives on
    /// the GPU. Actions are not checked: out-of-range discrete indices select the last action's
    /// branch of the env's step, non-finite continuous ones propagate.
    pub fn step_device(&mut self) {
        self.write_ctl(&self.ctl);
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.step") });
        self.encode(&mut enc, &self.pipelines.step, "fusegym.step");
        self.ctx.queue.submit([enc.finish()]);
    }

    /// Records `count` steps on device-resident actions in one submission (benchmarks).
    pub fn step_device_many(&mut self, count: usize) {
        self.write_ctl(&self.ctl);
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.steps") });
        for _ in 0..count {
            self.encode(&mut enc, &self.pipelines.step, "fusegym.step");
        }
        self.ctx.queue.submit([enc.finish()]);
    }

    /// Reads the oldest submitted step back (async: on the web, await it; natively
    /// [`GpuVecEnv::read_step`] blocks).
    pub async fn read_step_async(&mut self) -> Result<&HostStep, GpuError> {
        let slot = self.pending.pop_front().ok_or(GpuError::State("no step is pending readback"))?;
        let n = self.n;
        let bytes = ((2 * self.obs_dim + 2) * n * 4) as u64;
        let staging = self.staging[slot].clone();
        let slice = staging.slice(..bytes);
        let fut = map_read(slice);
        #[cfg(not(target_arch = "wasm32"))]
        self.ctx.wait()?;
        fut.await?;
        {
            let data = slice.get_mapped_range().map_err(|e| GpuError::Wgpu(format!("reading a readback buffer: {e}")))?;
            let words: &[u32] = bytemuck::cast_slice(&data);
            let od = self.obs_dim;
            let h = &mut self.host;
            h.obs.clear();
            h.obs.extend(words[..od * n].iter().map(|w| f32::from_bits(*w)));
            let base = 2 * od * n;
            h.reward.clear();
            h.reward.extend(words[base..base + n].iter().map(|w| f32::from_bits(*w)));
            let flags = &words[base + n..base + 2 * n];
            h.terminated.clear();
            h.terminated.extend(flags.iter().map(|f| f & FLAG_TERMINATED != 0));
            h.truncated.clear();
            h.truncated.extend(flags.iter().map(|f| f & FLAG_TRUNCATED != 0));
            h.final_obs.clear();
            h.has_final.clear();
            if self.mode == Autoreset::SameStep {
                h.has_final.extend(flags.iter().map(|f| f & (FLAG_TERMINATED | FLAG_TRUNCATED) != 0));
                h.final_obs.extend(words[od * n..2 * od * n].iter().map(|w| f32::from_bits(*w)));
            }
        }
        staging.unmap();
        Ok(&self.host)
    }

    /// [`GpuVecEnv::read_step_async`], blocking (native).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_step(&mut self) -> Result<&HostStep, GpuError> {
        crate::context::block_on(self.read_step_async())
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn drain_pending(&mut self) -> Result<(), GpuError> {
        while !self.pending.is_empty() {
            self.read_step()?;
        }
        Ok(())
    }

    #[cfg(target_arch = "wasm32")]
    fn drain_pending(&mut self) -> Result<(), GpuError> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(GpuError::State("read the pending steps (read_step_async) first"))
        }
    }

    /// One step with host actions, read back (native; blocks until the GPU is done).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn step(&mut self, actions: Actions<'_>) -> Result<&HostStep, GpuError> {
        self.drain_pending()?;
        self.submit_step(actions)?;
        self.read_step()
    }

    /// Reads a whole buffer as `u32` words (tests and diagnostics; native).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_words(&self, which: &wgpu::Buffer) -> Result<Vec<u32>, GpuError> {
        let size = which.size();
        let staging = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("fusegym.read_words"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.read_words") });
        enc.copy_buffer_to_buffer(which, 0, &staging, 0, size);
        self.ctx.queue.submit([enc.finish()]);
        let slice = staging.slice(..);
        let fut = map_read(slice);
        self.ctx.wait()?;
        crate::context::block_on(fut)?;
        let view = slice.get_mapped_range().map_err(|e| GpuError::Wgpu(format!("reading a readback buffer: {e}")))?;
        let words = bytemuck::cast_slice::<u8, u32>(&view).to_vec();
        drop(view);
        staging.unmap();
        Ok(words)
    }

    /// Internal states, feature-major `[state_dim][n]` (a readback).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn state(&self) -> Result<Vec<f32>, GpuError> {
        Ok(self.read_words(&self.buffers.state)?.into_iter().take(self.state_dim * self.n).map(f32::from_bits).collect())
    }

    /// Episode number of each env (a readback).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn episodes(&self) -> Result<Vec<u32>, GpuError> {
        Ok(self.read_words(&self.buffers.counters)?[self.n..2 * self.n].to_vec())
    }

    /// Steps taken in each env's current episode (a readback, without the done bits).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn elapsed(&self) -> Result<Vec<u32>, GpuError> {
        Ok(self.read_words(&self.buffers.counters)?[..self.n].iter().map(|e| e & 0x3fff_ffff).collect())
    }

    /// Env `i`'s value of every parameter field, in declaration order (a readback).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn env_params(&self, i: usize) -> Result<Vec<f32>, GpuError> {
        if i >= self.n {
            return Err(fusegym_core::Error::EnvIndex { index: i, num_envs: self.n }.into());
        }
        let w = self.read_words(&self.buffers.params)?;
        Ok((0..self.info.params.len())
            .map(|k| {
                let col = w[PARAM_COLUMN + k] as usize;
                f32::from_bits(if col == 0 { w[PARAM_SHARED + k] } else { w[col + i] })
            })
            .collect())
    }

    /// Records a rollout of `steps` steps with `policy` on the device, in dispatches of at most
    /// [`ROLLOUT_CHUNK`] steps, and submits it; nothing is read back. Statistics accumulate in
    /// [`GpuBuffers::stats`] from zero.
    pub fn submit_rollout(&mut self, steps: usize, policy: Policy<'_>) -> Result<(), GpuError> {
        self.drain_pending()?;
        let p = policy::check(self.info.id, policy, self.space, self.obs_dim, self.n)?;
        if p.words.len() as u64 * 4 > self.buffers.input.size() {
            let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
            self.buffers.input = buffer(&self.ctx, "fusegym.input", p.words.len(), storage)?;
            self.bind_group = bind_group(&self.ctx, &self.pipelines.layout, &self.buffers);
        }
        self.ctx.queue.write_buffer(&self.buffers.input, 0, bytemuck::cast_slice(&p.words));
        let base = Ctl { policy: p.kind, policy_stride: p.stride, policy_bias: p.bias, ..self.ctl };
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.rollout") });
        enc.clear_buffer(&self.buffers.stats, 0, None);
        let (full, rest) = (steps / ROLLOUT_CHUNK, steps % ROLLOUT_CHUNK);
        // One submission per distinct `steps` value: a buffer write lands before the next
        // submission, not between passes of one.
        if full > 0 {
            self.write_ctl(&Ctl { steps: ROLLOUT_CHUNK as u32, ..base });
            for _ in 0..full {
                self.encode(&mut enc, &self.pipelines.rollout, "fusegym.rollout");
            }
            self.ctx.queue.submit([enc.finish()]);
            enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.rollout") });
        }
        if rest > 0 {
            self.write_ctl(&Ctl { steps: rest as u32, ..base });
            self.encode(&mut enc, &self.pipelines.rollout, "fusegym.rollout");
        }
        self.ctx.queue.submit([enc.finish()]);
        Ok(())
    }

    /// `steps` steps of every env with actions from `policy`, on the device; returns the same
    /// statistics as the CPU's `rollout` and leaves the last step's outputs in
    /// [`GpuVecEnv::view`] (native; blocks).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn rollout(&mut self, steps: usize, policy: Policy<'_>) -> Result<GpuRolloutStats, GpuError> {
        self.submit_rollout(steps, policy)?;
        let w = self.read_words(&self.buffers.stats)?;
        let n = self.n;
        let row = |r: usize| &w[r * n..(r + 1) * n];
        let stats = GpuRolloutStats {
            reward_sum: row(0).iter().zip(row(1)).map(|(h, l)| f32::from_bits(*h) as f64 + f32::from_bits(*l) as f64).collect(),
            episodes: row(2).iter().map(|&e| e as u64).collect(),
            length_sum: row(3).iter().zip(row(4)).map(|(&lo, &hi)| lo as u64 | (hi as u64) << 32).collect(),
        };
        if steps > 0 {
            let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.readback") });
            let slot = self.copy_outputs(&mut enc);
            self.ctx.queue.submit([enc.finish()]);
            self.pending.push_back(slot);
            self.read_step()?;
        }
        Ok(stats)
    }
}

fn pipelines(ctx: &GpuContext, source: &str, id: &str) -> Result<Pipelines, GpuError> {
    // Validate with naga first, so a shader error is a typed error naming the env instead of
    // wgpu's uncaptured-error panic.
    #[cfg(not(target_arch = "wasm32"))]
    crate::validate_wgsl(source).map_err(|e| GpuError::Wgpu(format!("{id}: shader does not validate: {e}")))?;
    let device = &ctx.device;
    let module =
        device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(id), source: wgpu::ShaderSource::Wgsl(source.into()) });
    let storage = |binding: u32, read_only: bool| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    };
    let mut entries = vec![wgpu::BindGroupLayoutEntry {
        binding: 0,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Uniform, has_dynamic_offset: false, min_binding_size: None },
        count: None,
    }];
    // Eight storage buffers: WebGPU's default maxStorageBuffersPerShaderStage.
    for b in 1..=8 {
        entries.push(storage(b, b == 7));
    }
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some("fusegym.layout"), entries: &entries });
    let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("fusegym.pipeline_layout"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let make = |entry: &'static str| {
        device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: Some(&pl),
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        })
    };
    Ok(Pipelines { step: make("step_envs"), reset: make("reset_envs"), rollout: make("rollout"), layout })
}

fn bind_group(ctx: &GpuContext, layout: &wgpu::BindGroupLayout, b: &GpuBuffers) -> wgpu::BindGroup {
    let list = [&b.ctl, &b.state, &b.obs, &b.counters, &b.reward, &b.flags, &b.params, &b.input, &b.stats];
    let entries: Vec<wgpu::BindGroupEntry<'_>> =
        list.iter().enumerate().map(|(k, buf)| wgpu::BindGroupEntry { binding: k as u32, resource: buf.as_entire_binding() }).collect();
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some("fusegym.bind_group"), layout, entries: &entries })
}
