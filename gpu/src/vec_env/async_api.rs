//! The asynchronous API of [`GpuVecEnv`]: what a page uses on WebGPU, where nothing may block
//! (a mapping resolves only once control returns to the browser's event loop). Each call also
//! works natively, where the device is polled before the readback is awaited.
//!
//! On wasm32 a reset (in [`GpuVecEnv::new`], `reset`, `reset_with_seed`, `reset_envs`) leaves its
//! outputs pending; the `*_async` versions here read them.

use super::{GpuVecEnv, HostStep};
use crate::context::GpuContext;
use crate::error::GpuError;
use crate::readback::map_read;
use crate::GpuRolloutStats;
use fusegym_core::{Actions, EnvConfig, Policy};

impl GpuVecEnv {
    /// [`GpuVecEnv::new`], then the first observations read back without blocking. A validation
    /// error of the device while building the batch (e.g. a shader the browser's compiler
    /// rejects) is returned as [`GpuError::Wgpu`] naming the env, instead of only a console
    /// warning and a failed readback later.
    pub async fn new_async(ctx: &GpuContext, id: &str, config: &EnvConfig) -> Result<GpuVecEnv, GpuError> {
        let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let env = GpuVecEnv::new(ctx, id, config);
        if let Some(e) = scope.pop().await {
            return Err(GpuError::Wgpu(format!("{id}: the device rejected the batch: {e}")));
        }
        let mut env = env?;
        env.finish_reset().await?;
        Ok(env)
    }

    /// Reads a reset's outputs when they are still pending (wasm32), as the blocking reset does.
    async fn finish_reset(&mut self) -> Result<&HostStep, GpuError> {
        if !self.pending.is_empty() {
            self.read_step_async().await?;
            self.host.has_final.iter_mut().for_each(|f| *f = false);
        }
        Ok(&self.host)
    }

    /// [`GpuVecEnv::reset`] without blocking.
    pub async fn reset_async(&mut self) -> Result<&HostStep, GpuError> {
        self.drain_pending_async().await?;
        self.reset()?;
        self.finish_reset().await
    }

    /// [`GpuVecEnv::reset_with_seed`] without blocking.
    pub async fn reset_with_seed_async(&mut self, seed: u64) -> Result<&HostStep, GpuError> {
        self.drain_pending_async().await?;
        self.reset_with_seed(seed)?;
        self.finish_reset().await
    }

    /// [`GpuVecEnv::reset_envs`] without blocking.
    pub async fn reset_envs_async(&mut self, mask: &[bool]) -> Result<&HostStep, GpuError> {
        self.drain_pending_async().await?;
        self.reset_envs(mask)?;
        self.finish_reset().await
    }

    async fn drain_pending_async(&mut self) -> Result<(), GpuError> {
        while !self.pending.is_empty() {
            self.read_step_async().await?;
        }
        Ok(())
    }

    /// One step with host actions, read back without blocking (any step still pending is read
    /// first, as the blocking `step` does).
    pub async fn step_async(&mut self, actions: Actions<'_>) -> Result<&HostStep, GpuError> {
        self.drain_pending_async().await?;
        self.submit_step(actions)?;
        self.read_step_async().await
    }

    /// Reads a whole buffer as `u32` words through a staging copy, without blocking.
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

    /// Internal states `[state_dim][n]` and the steps taken in each env's current episode
    /// (without the done bits), read back without blocking.
    pub async fn state_async(&self) -> Result<(Vec<f32>, Vec<u32>), GpuError> {
        let n = self.n;
        let state = self.read_words_async(&self.buffers.state).await?;
        let counters = self.read_words_async(&self.buffers.counters).await?;
        Ok((
            state.into_iter().take(self.state_dim * n).map(f32::from_bits).collect(),
            counters[..n].iter().map(|e| e & 0x3fff_ffff).collect(),
        ))
    }

    /// [`GpuVecEnv::rollout`] without blocking: `steps` steps with `policy` on the device, then
    /// its statistics and the last step's outputs ([`GpuVecEnv::view`]) read back.
    pub async fn rollout_async(&mut self, steps: usize, policy: Policy<'_>) -> Result<GpuRolloutStats, GpuError> {
        self.drain_pending_async().await?;
        self.submit_rollout(steps, policy)?;
        let w = self.read_words_async(&self.buffers.stats).await?;
        let n = self.n;
        let row = |r: usize| &w[r * n..(r + 1) * n];
        // The decoding of the blocking `rollout` (stats layout: docs/gpu.md, binding 8).
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
