//! The asynchronous API of [`GpuVecEnv`]: what a page uses on WebGPU, where nothing may block
//! (a mapping resolves only once control returns to the browser's event loop). Each call also
//! works natively, where the device is polled before the readback is awaited.
//!
//! On wasm32 a reset (in [`GpuVecEnv::new`], `reset`, `reset_with_seed`, `reset_envs`) leaves its
//! outputs pending; the `*_async` versions here read them.

use super::{GpuVecEnv, HostStep};
use crate::context::GpuContext;
use crate::error::GpuError;
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

    pub(super) async fn drain_pending_async(&mut self) -> Result<(), GpuError> {
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

    /// Internal states `[state_dim][n]` and the steps taken in each env's current episode
    /// (without the done bits), read back without blocking.
    pub async fn state_async(&self) -> Result<(Vec<f32>, Vec<u32>), GpuError> {
        let state = self.read_rows_async(&self.dev.state, self.state_dim).await?;
        let counters = self.read_rows_async(&self.dev.counters, 2).await?;
        Ok((state.into_iter().map(f32::from_bits).collect(), counters[..self.n].iter().map(|e| e & 0x3fff_ffff).collect()))
    }

    /// [`GpuVecEnv::rollout`] without blocking: `steps` steps with `policy` on the device, then
    /// its statistics and the last step's outputs ([`GpuVecEnv::view`]) read back.
    pub async fn rollout_async(&mut self, steps: usize, policy: Policy<'_>) -> Result<GpuRolloutStats, GpuError> {
        self.drain_pending_async().await?;
        self.submit_rollout(steps, policy)?;
        self.finish_rollout_async(steps).await
    }
}
