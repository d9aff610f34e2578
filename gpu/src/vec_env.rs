//! [`GpuVecEnv`]: a batch of one environment resident on the GPU, with the CPU `VecEnv`'s shape
//! of API (configure, reset, step with host actions, read the outputs), double-buffered
//! asynchronous readback, device-side rollouts, and its buffers open to the caller's own
//! pipelines.

use crate::chunks::{self, Chunked, GpuChunk};
use crate::compose;
use crate::context::GpuContext;
use crate::error::GpuError;
use crate::layout::*;
use crate::pipelines::{bind_group, pipelines, Pipelines};
use crate::policy::DevicePolicy;
use crate::readback::map_read;
use crate::timing::DeviceTimer;
use fusegym_core::checks::{self, FieldSource};
use fusegym_core::policy::linear_outputs;
use fusegym_core::{rng, ActionSpace, Actions, Autoreset, EnvConfig, EnvInfo, Policy, Serial};
use std::collections::VecDeque;

mod async_api;
mod record;
pub use record::GpuTrajectory;

/// The batch's device buffers, all feature-major (`[component][num_envs]`), for a caller's own
/// bind groups (see `docs/gpu.md`). A batch split into chunks ([`GpuVecEnv::chunks`]) lays each
/// buffer out chunk by chunk (`[chunk][component][chunk_len]`, regions at 256-byte aligned
/// offsets) and may spread it over several device buffers: these are the first of each.
#[derive(Debug)]
pub struct GpuBuffers {
    /// The per-call constants (`struct Ctl` in `shaders/kernel.wgsl`), a uniform: one per
    /// chunk, [`CTL_STRIDE`] bytes apart.
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

/// A batch of `num_envs` copies of one env on the GPU.
pub struct GpuVecEnv {
    ctx: GpuContext,
    info: &'static EnvInfo,
    n: usize,
    obs_dim: usize,
    state_dim: usize,
    action_dim: usize,
    space: ActionSpace,
    mode: Autoreset,
    seed: u64,
    /// The constants of the whole batch; each chunk's are derived from them (`ctl_of`).
    ctl: Ctl,
    ranged: u32,
    chunks: Vec<GpuChunk>,
    dev: DeviceBuffers,
    /// The first device buffer of each, for callers' own pipelines.
    buffers: GpuBuffers,
    pipelines: Pipelines,
    /// One per chunk.
    bind_groups: Vec<wgpu::BindGroup>,
    /// Two readback slots, each `[chunk][2 obs_dim + 2][len]`: observations, final
    /// observations, reward, flags.
    staging: [Chunked; 2],
    /// Staging slots holding a submitted, unread step, oldest first.
    pending: VecDeque<usize>,
    next_slot: usize,
    host: HostStep,
    max_per_dim: u32,
    /// Timestamps around timed calls, once [`GpuVecEnv::enable_device_timing`] is on.
    timer: Option<DeviceTimer>,
}

/// Bytes between two chunks' `Ctl`s in the ctl buffer: a multiple of every adapter's
/// `min_uniform_buffer_offset_alignment` (at most 256).
pub const CTL_STRIDE: u64 = 256;

const _: () = assert!(std::mem::size_of::<Ctl>() as u64 <= CTL_STRIDE);

/// The chunked buffers behind [`GpuBuffers`].
struct DeviceBuffers {
    ctl: wgpu::Buffer,
    state: Chunked,
    obs: Chunked,
    counters: Chunked,
    reward: Chunked,
    flags: Chunked,
    params: Chunked,
    input: Chunked,
    stats: Chunked,
}

impl DeviceBuffers {
    fn first(&self) -> GpuBuffers {
        GpuBuffers {
            ctl: self.ctl.clone(),
            state: self.state.buffers[0].clone(),
            obs: self.obs.buffers[0].clone(),
            counters: self.counters.buffers[0].clone(),
            reward: self.reward.buffers[0].clone(),
            flags: self.flags.buffers[0].clone(),
            params: self.params.buffers[0].clone(),
            input: self.input.buffers[0].clone(),
            stats: self.stats.buffers[0].clone(),
        }
    }

    /// Chunk `c`'s bind group: its `Ctl` and its region of every buffer.
    fn bind_groups(&self, ctx: &GpuContext, layout: &wgpu::BindGroupLayout, chunks: usize) -> Vec<wgpu::BindGroup> {
        (0..chunks)
            .map(|c| {
                let ctl = wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &self.ctl,
                    offset: c as u64 * CTL_STRIDE,
                    size: std::num::NonZeroU64::new(std::mem::size_of::<Ctl>() as u64),
                });
                let b = self;
                let resources = [
                    ctl,
                    b.state.binding(c),
                    b.obs.binding(c),
                    b.counters.binding(c),
                    b.reward.binding(c),
                    b.flags.binding(c),
                    b.params.binding(c),
                    b.input.binding(c),
                    b.stats.binding(c),
                ];
                bind_group(ctx, layout, resources)
            })
            .collect()
    }
}

/// What a chunk's region may hold, and the name of that limit: one binding, and one buffer.
fn region_limit(ctx: &GpuContext) -> (u64, &'static str) {
    let l = ctx.limits();
    if l.max_storage_buffer_binding_size <= l.max_buffer_size {
        (l.max_storage_buffer_binding_size, "max_storage_buffer_binding_size")
    } else {
        (l.max_buffer_size, "max_buffer_size")
    }
}

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_DST).union(wgpu::BufferUsages::COPY_SRC);

impl GpuVecEnv {
    /// A batch of env `id` as `config` says (the CPU's `make_with`): the configuration goes
    /// through the core's own checks (`EnvInfo::check_config`, so errors are the CPU's) without
    /// building a CPU batch; episodes, parameters drawn from ranges and first states are then
    /// computed on the GPU with the same counter-RNG draws.
    pub fn new(ctx: &GpuContext, id: &str, config: &EnvConfig) -> Result<GpuVecEnv, GpuError> {
        let info = fusegym_core::info(id)?;
        let shader = compose::compose(info).ok_or_else(|| GpuError::NoShader { id: id.to_string() })?;
        let checked = (info.check_config)(config)?;
        let n = config.num_envs;
        let space = checked.action_space;
        let (obs_dim, state_dim, action_dim) = (info.obs_names.len(), info.state_names.len(), info.action_names.len());
        let columns = checked.fields.iter().filter(|f| !matches!(f, FieldSource::Shared)).count();
        // Rows per env of the largest region: the state, the readback slot (both observation
        // rows, reward, flags), statistics, and the input as a per-env linear policy fills it.
        let input_rows = action_dim.max(1);
        let policy_rows = linear_outputs(space) * (obs_dim + 1);
        let rows = [state_dim, 2 * obs_dim + 2, STAT_ROWS, input_rows, policy_rows].into_iter().max().unwrap_or(1);
        let chunks = chunks::plan(n, rows, PARAM_COLUMNS_START, columns, region_limit(ctx))?;

        let ranged = checked.ranged();
        let mut ctl = Ctl {
            n: n as u32,
            seed_key: rng::seed_key(config.seed),
            env_offset: config.env_offset,
            mode: match config.autoreset {
                Autoreset::SameStep => 0,
                Autoreset::NextStep => 1,
                Autoreset::Disabled => 2,
            },
            max_steps: checked.max_episode_steps,
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

        let rows_of = |rows: usize| move |ch: &GpuChunk| rows * ch.len;
        // Every size is within the adapter's limits (checked by `chunks::plan` and
        // `Chunked::new`); the memory may still run out. Natively the allocations run in an
        // error scope, so that is `GpuError::OutOfMemory` before any buffer is used, not
        // wgpu's uncaptured-error panic.
        // (Two locals, not a tuple: an early return drops them in reverse order, as wgpu
        // requires of scopes.)
        #[cfg(not(target_arch = "wasm32"))]
        let oom_scope = ctx.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        #[cfg(not(target_arch = "wasm32"))]
        let validation_scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let dev = DeviceBuffers {
            ctl: ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("fusegym.ctl"),
                size: chunks.len() as u64 * CTL_STRIDE,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            state: Chunked::new(ctx, "fusegym.state", &chunks, rows_of(state_dim), STORAGE)?,
            obs: Chunked::new(ctx, "fusegym.obs", &chunks, rows_of(2 * obs_dim), STORAGE)?,
            counters: Chunked::new(ctx, "fusegym.counters", &chunks, rows_of(2), STORAGE)?,
            reward: Chunked::new(ctx, "fusegym.reward", &chunks, rows_of(1), STORAGE)?,
            flags: Chunked::new(ctx, "fusegym.flags", &chunks, rows_of(1), STORAGE)?,
            params: Chunked::new(ctx, "fusegym.params", &chunks, |ch| PARAM_COLUMNS_START + columns * ch.len, STORAGE)?,
            input: Chunked::new(ctx, "fusegym.input", &chunks, rows_of(input_rows), STORAGE)?,
            stats: Chunked::new(ctx, "fusegym.stats", &chunks, rows_of(STAT_ROWS), STORAGE)?,
        };
        let staging_usage = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST;
        let staging = [
            Chunked::new(ctx, "fusegym.readback.0", &chunks, rows_of(2 * obs_dim + 2), staging_usage)?,
            Chunked::new(ctx, "fusegym.readback.1", &chunks, rows_of(2 * obs_dim + 2), staging_usage)?,
        ];
        #[cfg(not(target_arch = "wasm32"))]
        {
            // Popped innermost first.
            let validation = crate::context::block_on(validation_scope.pop());
            let oom = crate::context::block_on(oom_scope.pop());
            let what = || format!("{n} envs of {}", info.id);
            if let Some(e) = oom {
                return Err(GpuError::OutOfMemory { what: what(), detail: e.to_string() });
            }
            if let Some(e) = validation {
                return Err(GpuError::Wgpu(format!("allocating the buffers of {}: {e}", what())));
            }
        }
        // Each chunk's parameters: the shared header (column offsets relative to its region)
        // and its slice of every per-env column; ranged columns are drawn by the reseed below.
        for (c, ch) in chunks.iter().enumerate() {
            let mut words = vec![0u32; PARAM_COLUMNS_START + columns * ch.len];
            let mut next_column = PARAM_COLUMNS_START;
            for (k, field) in checked.fields.iter().enumerate() {
                words[PARAM_SHARED + k] = checked.values[k].to_bits();
                match *field {
                    FieldSource::Shared => continue,
                    FieldSource::PerEnv(v) => {
                        for (j, x) in v[ch.first..ch.first + ch.len].iter().enumerate() {
                            words[next_column + j] = x.to_bits();
                        }
                    }
                    FieldSource::Range { low, high } => {
                        words[PARAM_LOW + k] = low.to_bits();
                        words[PARAM_HIGH + k] = high.to_bits();
                    }
                }
                words[PARAM_COLUMN + k] = next_column as u32;
                next_column += ch.len;
            }
            dev.params.write(&ctx.queue, c, 0, &words);
        }
        let pipelines = pipelines(ctx, &shader, info.id)?;
        let bind_groups = dev.bind_groups(ctx, &pipelines.layout, chunks.len());
        let mut env = GpuVecEnv {
            ctx: ctx.clone(),
            info,
            n,
            obs_dim,
            state_dim,
            action_dim,
            space,
            mode: config.autoreset,
            seed: config.seed,
            ctl,
            ranged,
            chunks,
            buffers: dev.first(),
            dev,
            pipelines,
            bind_groups,
            staging,
            pending: VecDeque::new(),
            next_slot: 0,
            host: HostStep::default(),
            max_per_dim: ctx.limits().max_compute_workgroups_per_dimension,
            timer: None,
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
    /// Workgroups per dispatch `(x, y)` for this batch (for its first chunk when it has
    /// several: one dispatch per chunk).
    pub fn dispatch_size(&self) -> (u32, u32) {
        dispatch_size(self.chunks[0].len, self.max_per_dim)
    }
    /// The env ranges this batch is dispatched in: one chunk when every buffer fits one binding
    /// of the adapter, else several (see [`GpuBuffers`] for their layout).
    pub fn chunks(&self) -> &[GpuChunk] {
        &self.chunks
    }
    /// The outputs last read back (by `step`, `read_step`, a reset or a rollout).
    pub fn view(&self) -> &HostStep {
        &self.host
    }

    /// Records one dispatch of `pipeline` per chunk, in one compute pass.
    fn encode(&self, encoder: &mut wgpu::CommandEncoder, pipeline: &wgpu::ComputePipeline, label: &'static str) {
        self.encode_timed(encoder, pipeline, label, false, false)
    }

    /// [`GpuVecEnv::encode`] for a pass that is the first (`begin`) or last (`end`) of a timed
    /// call: with device timing on, it writes the call's start or end timestamp.
    fn encode_timed(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &wgpu::ComputePipeline,
        label: &'static str,
        begin: bool,
        end: bool,
    ) {
        let timestamp_writes = self.timer.as_ref().and_then(|t| t.writes(begin, end));
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(label), timestamp_writes });
        pass.set_pipeline(pipeline);
        for (ch, group) in self.chunks.iter().zip(&self.bind_groups) {
            let (x, y) = dispatch_size(ch.len, self.max_per_dim);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(x, y, 1);
        }
    }

    /// Chunk `ch`'s constants: `base` with the chunk's length as `n` and its first env's global
    /// index as `env_offset` (so every RNG key is the unchunked batch's), and `policy`'s layout.
    fn ctl_of(base: &Ctl, ch: GpuChunk, policy: Option<&DevicePolicy<'_>>) -> Ctl {
        let (policy_stride, policy_bias) = policy.map_or((base.policy_stride, base.policy_bias), |p| p.layout(ch));
        Ctl { n: ch.len as u32, env_offset: base.env_offset + ch.first as u32, policy_stride, policy_bias, ..*base }
    }

    /// Writes every chunk's constants, derived from `ctl` (and `policy` in a rollout).
    fn write_ctl_with(&self, ctl: &Ctl, policy: Option<&DevicePolicy<'_>>) {
        let mut bytes = vec![0u8; self.chunks.len() * CTL_STRIDE as usize];
        for (c, ch) in self.chunks.iter().enumerate() {
            let at = c * CTL_STRIDE as usize;
            bytes[at..at + std::mem::size_of::<Ctl>()].copy_from_slice(bytemuck::bytes_of(&Self::ctl_of(ctl, *ch, policy)));
        }
        self.ctx.queue.write_buffer(&self.dev.ctl, 0, &bytes);
    }

    fn write_ctl(&self, ctl: &Ctl) {
        self.write_ctl_with(ctl, None)
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
        self.dev.input.write_rows(&self.ctx.queue, &self.chunks, &words, 1);
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
        self.dev.input.write_rows(&self.ctx.queue, &self.chunks, &words, 1);
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
        fusegym_core::checks::state(self.info.id, self.info.state_names, self.info.state_valid, state)?;
        let max = self.ctl.max_steps;
        if (max != 0 && elapsed >= max) || elapsed > fusegym_core::params::MAX_EPISODE_STEPS_LIMIT {
            return Err(fusegym_core::Error::Elapsed { elapsed, max }.into());
        }
        let (c, j, len) = self.chunk_of(i);
        let q = &self.ctx.queue;
        for (k, v) in state.iter().enumerate() {
            self.dev.state.write(q, c, k * len + j, &[v.to_bits()]);
        }
        self.dev.counters.write(q, c, j, &[elapsed]);
        self.dev.flags.write(q, c, j, &[0]);
        Ok(())
    }

    /// Env `i`'s chunk, its index in the chunk, and the chunk's length.
    fn chunk_of(&self, i: usize) -> (usize, usize, usize) {
        let c = self.chunks.partition_point(|ch| ch.first + ch.len <= i);
        let ch = self.chunks[c];
        (c, i - ch.first, ch.len)
    }

    /// Records the copy of the step's outputs into the next staging slot (per chunk: the
    /// observation rows, then reward and flags after both observation rows); returns the slot.
    fn copy_outputs(&mut self, enc: &mut wgpu::CommandEncoder) -> usize {
        let slot = self.next_slot;
        self.next_slot = 1 - slot;
        let od = self.obs_dim;
        let obs_rows = if self.mode == Autoreset::SameStep { 2 * od } else { od };
        let (d, st) = (&self.dev, &self.staging[slot]);
        for (c, ch) in self.chunks.iter().enumerate() {
            let len = ch.len;
            d.obs.copy_to(enc, c, 0, st, 0, obs_rows * len);
            d.reward.copy_to(enc, c, 0, st, 2 * od * len, len);
            d.flags.copy_to(enc, c, 0, st, (2 * od + 1) * len, len);
        }
        slot
    }

    /// Uploads host actions and records one step plus the copy of its outputs into a free
    /// staging buffer, and submits; nothing is read. With one step pending, a second may be
    /// submitted before the first is read ([`GpuVecEnv::read_step`]): step N+1 runs while step
    /// N is being read.
    pub fn submit_step(&mut self, actions: Actions<'_>) -> Result<(), GpuError> {
        // The core's checks, on this thread (`Serial`): the CPU batch's errors.
        let words = checks::actions(self.info.id, self.space, self.n, actions, &Serial)?;
        if self.pending.len() >= 2 {
            return Err(GpuError::State("two steps are pending readback: read one (read_step) before submitting another"));
        }
        self.dev.input.write_rows(&self.ctx.queue, &self.chunks, words, self.action_dim);
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

    /// Records `count` steps on device-resident actions in one submission (benchmarks); with
    /// device timing on, [`GpuVecEnv::last_device_time`] then gives their GPU time.
    pub fn step_device_many(&mut self, count: usize) {
        self.write_ctl(&self.ctl);
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.steps") });
        for k in 0..count {
            self.encode_timed(&mut enc, &self.pipelines.step, "fusegym.step", k == 0, k + 1 == count);
        }
        if let Some(t) = self.timer.as_mut().filter(|_| count > 0) {
            t.resolve(&mut enc);
        }
        self.ctx.queue.submit([enc.finish()]);
    }

    /// Turns on GPU timestamps around [`GpuVecEnv::step_device_many`] and
    /// [`GpuVecEnv::submit_rollout`]; false (and nothing changes) where the device has no
    /// timestamp queries ([`GpuContext::timestamps`]).
    pub fn enable_device_timing(&mut self) -> bool {
        if self.timer.is_none() {
            self.timer = DeviceTimer::new(&self.ctx);
        }
        self.timer.is_some()
    }

    /// Seconds of GPU time of the last `step_device_many` or `submit_rollout`: from the start of
    /// its first dispatch to the end of its last, from timestamp queries (native; waits for the
    /// device). `None` when timing is off or no timed call is pending.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn last_device_time(&mut self) -> Result<Option<f64>, GpuError> {
        match self.timer.as_mut() {
            Some(t) => t.read(&self.ctx),
            None => Ok(None),
        }
    }

    /// Reads the oldest submitted step back (async: on the web, await it; natively
    /// [`GpuVecEnv::read_step`] blocks).
    pub async fn read_step_async(&mut self) -> Result<&HostStep, GpuError> {
        let slot = self.pending.pop_front().ok_or(GpuError::State("no step is pending readback"))?;
        let (n, od) = (self.n, self.obs_dim);
        let staging = &self.staging[slot];
        let futures: Vec<_> = staging.buffers.iter().map(|b| map_read(b.slice(..))).collect();
        #[cfg(not(target_arch = "wasm32"))]
        self.ctx.wait()?;
        for f in futures {
            f.await?;
        }
        {
            let views = staging
                .buffers
                .iter()
                .map(|b| b.slice(..).get_mapped_range().map_err(|e| GpuError::Wgpu(format!("reading a readback buffer: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            let same_step = self.mode == Autoreset::SameStep;
            let h = &mut self.host;
            h.obs.resize(od * n, 0.0);
            h.reward.resize(n, 0.0);
            h.terminated.resize(n, false);
            h.truncated.resize(n, false);
            h.final_obs.clear();
            h.has_final.clear();
            if same_step {
                h.final_obs.resize(od * n, 0.0);
                h.has_final.resize(n, false);
            }
            let floats = |dst: &mut [f32], src: &[u32]| dst.iter_mut().zip(src).for_each(|(d, w)| *d = f32::from_bits(*w));
            for (c, ch) in self.chunks.iter().enumerate() {
                let r = staging.regions[c];
                let words: &[u32] = bytemuck::cast_slice(&views[r.buffer][r.offset as usize..(r.offset + r.size) as usize]);
                let (first, len) = (ch.first, ch.len);
                let row = |k: usize| &words[k * len..(k + 1) * len];
                for k in 0..od {
                    floats(&mut h.obs[k * n + first..k * n + first + len], row(k));
                    if same_step {
                        floats(&mut h.final_obs[k * n + first..k * n + first + len], row(od + k));
                    }
                }
                floats(&mut h.reward[first..first + len], row(2 * od));
                for (j, f) in row(2 * od + 1).iter().enumerate() {
                    h.terminated[first + j] = f & FLAG_TERMINATED != 0;
                    h.truncated[first + j] = f & FLAG_TRUNCATED != 0;
                    if same_step {
                        h.has_final[first + j] = f & (FLAG_TERMINATED | FLAG_TRUNCATED) != 0;
                    }
                }
            }
        }
        staging.buffers.iter().for_each(|b| b.unmap());
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

    /// Reads a whole buffer as `u32` words through a staging copy (async: on the web, await it;
    /// natively [`GpuVecEnv::read_words`] blocks).
    pub async fn read_words_async(&self, which: &wgpu::Buffer) -> Result<Vec<u32>, GpuError> {
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
        fut.await?;
        let view = slice.get_mapped_range().map_err(|e| GpuError::Wgpu(format!("reading a readback buffer: {e}")))?;
        let words = bytemuck::cast_slice::<u8, u32>(&view).to_vec();
        drop(view);
        staging.unmap();
        Ok(words)
    }

    /// [`GpuVecEnv::read_words_async`], blocking (tests and diagnostics; native).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_words(&self, which: &wgpu::Buffer) -> Result<Vec<u32>, GpuError> {
        crate::context::block_on(self.read_words_async(which))
    }

    /// Every device buffer of `b`, read back.
    async fn read_all_async(&self, b: &Chunked) -> Result<Vec<Vec<u32>>, GpuError> {
        let mut all = Vec::with_capacity(b.buffers.len());
        for buf in &b.buffers {
            all.push(self.read_words_async(buf).await?);
        }
        Ok(all)
    }

    /// `rows` rows of `b` in the host's layout `[rows][n]`, gathered from every chunk.
    async fn read_rows_async(&self, b: &Chunked, rows: usize) -> Result<Vec<u32>, GpuError> {
        let whole = self.read_all_async(b).await?;
        Ok(Chunked::gather(&self.chunks, rows, |c| b.region_of(&whole, c)))
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn read_all(&self, b: &Chunked) -> Result<Vec<Vec<u32>>, GpuError> {
        crate::context::block_on(self.read_all_async(b))
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn read_rows(&self, b: &Chunked, rows: usize) -> Result<Vec<u32>, GpuError> {
        crate::context::block_on(self.read_rows_async(b, rows))
    }

    /// Internal states, feature-major `[state_dim][n]` (a readback).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn state(&self) -> Result<Vec<f32>, GpuError> {
        Ok(self.read_rows(&self.dev.state, self.state_dim)?.into_iter().map(f32::from_bits).collect())
    }

    /// Episode number of each env (a readback).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn episodes(&self) -> Result<Vec<u32>, GpuError> {
        Ok(self.read_rows(&self.dev.counters, 2)?[self.n..].to_vec())
    }

    /// Steps taken in each env's current episode (a readback, without the done bits).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn elapsed(&self) -> Result<Vec<u32>, GpuError> {
        Ok(self.read_rows(&self.dev.counters, 2)?[..self.n].iter().map(|e| e & 0x3fff_ffff).collect())
    }

    /// Env `i`'s value of every parameter field, in declaration order (a readback).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn env_params(&self, i: usize) -> Result<Vec<f32>, GpuError> {
        if i >= self.n {
            return Err(fusegym_core::Error::EnvIndex { index: i, num_envs: self.n }.into());
        }
        let (c, j, _) = self.chunk_of(i);
        let whole = self.read_all(&self.dev.params)?;
        let w = self.dev.params.region_of(&whole, c);
        Ok((0..self.info.params.len())
            .map(|k| {
                let col = w[PARAM_COLUMN + k] as usize;
                f32::from_bits(if col == 0 { w[PARAM_SHARED + k] } else { w[col + j] })
            })
            .collect())
    }

    /// Records a rollout of `steps` steps with `policy` on the device, in dispatches of at most
    /// [`ROLLOUT_CHUNK`] steps, and submits it; nothing is read back. Statistics accumulate in
    /// [`GpuBuffers::stats`] from zero.
    pub fn submit_rollout(&mut self, steps: usize, policy: Policy<'_>) -> Result<(), GpuError> {
        let p = self.prepare_rollout(policy)?;
        let base = Ctl { policy: p.kind(), ..self.ctl };
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.rollout") });
        for b in &self.dev.stats.buffers {
            enc.clear_buffer(b, 0, None);
        }
        let (full, rest) = (steps / ROLLOUT_CHUNK, steps % ROLLOUT_CHUNK);
        // One submission per distinct `steps` value: a buffer write lands before the next
        // submission, not between passes of one. With device timing on, the first dispatch
        // writes the start timestamp and the last one the end.
        let dispatches = full + (rest > 0) as usize;
        if full > 0 {
            self.write_ctl_with(&Ctl { steps: ROLLOUT_CHUNK as u32, ..base }, Some(&p));
            for k in 0..full {
                self.encode_timed(&mut enc, &self.pipelines.rollout, "fusegym.rollout", k == 0, k + 1 == dispatches);
            }
            self.ctx.queue.submit([enc.finish()]);
            enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.rollout") });
        }
        if rest > 0 {
            self.write_ctl_with(&Ctl { steps: rest as u32, ..base }, Some(&p));
            self.encode_timed(&mut enc, &self.pipelines.rollout, "fusegym.rollout", full == 0, true);
        }
        if let Some(t) = self.timer.as_mut().filter(|_| dispatches > 0) {
            t.resolve(&mut enc);
        }
        self.ctx.queue.submit([enc.finish()]);
        Ok(())
    }

    /// Reads what pending steps there are, checks `policy` with the core's checks (the CPU's
    /// errors) and writes its numbers into every chunk's input region.
    fn prepare_rollout<'a>(&mut self, policy: Policy<'a>) -> Result<DevicePolicy<'a>, GpuError> {
        self.drain_pending()?;
        let checked = checks::policy(self.info.id, policy, self.space, self.obs_dim, self.n)?;
        let p = DevicePolicy { checked, n: self.n };
        let words: Vec<Vec<u32>> = self.chunks.iter().map(|ch| p.words(*ch)).collect();
        if words.iter().zip(&self.dev.input.regions).any(|(w, r)| w.len() as u64 * 4 > r.size) {
            // A per-env linear policy needs more rows than the actions: regrow every chunk's
            // region (the chunk plan counted these rows, so each still fits one binding).
            let need: Vec<usize> = words.iter().map(Vec::len).collect();
            let len_of = |ch: &GpuChunk| need[self.chunks.partition_point(|x| x.first < ch.first)];
            let input = Chunked::new(&self.ctx, "fusegym.input", &self.chunks, len_of, STORAGE)?;
            self.dev.input = input;
            self.bind_groups = self.dev.bind_groups(&self.ctx, &self.pipelines.layout, self.chunks.len());
            self.buffers = self.dev.first();
        }
        for (c, w) in words.iter().enumerate() {
            self.dev.input.write(&self.ctx.queue, c, 0, w);
        }
        Ok(p)
    }

    /// `steps` steps of every env with actions from `policy`, on the device; returns the same
    /// statistics as the CPU's `rollout` and leaves the last step's outputs in
    /// [`GpuVecEnv::view`] (native; blocks).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn rollout(&mut self, steps: usize, policy: Policy<'_>) -> Result<GpuRolloutStats, GpuError> {
        self.submit_rollout(steps, policy)?;
        self.finish_rollout(steps)
    }

    /// The statistics of the rollout just submitted, and its last step's outputs into
    /// [`GpuVecEnv::view`] (native; blocks).
    #[cfg(not(target_arch = "wasm32"))]
    fn finish_rollout(&mut self, steps: usize) -> Result<GpuRolloutStats, GpuError> {
        crate::context::block_on(self.finish_rollout_async(steps))
    }

    /// [`GpuVecEnv::finish_rollout`] without blocking.
    async fn finish_rollout_async(&mut self, steps: usize) -> Result<GpuRolloutStats, GpuError> {
        let w = self.read_rows_async(&self.dev.stats, STAT_ROWS).await?;
        let n = self.n;
        let row = |r: usize| &w[r * n..(r + 1) * n];
        // The stats layout: docs/gpu.md, binding 8.
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
            self.read_step_async().await?;
        }
        Ok(stats)
    }
}
