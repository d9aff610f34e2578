//! Recording a device rollout: each step's observation (the one its action was chosen from),
//! reward and flags are copied on the device into one trajectory buffer, in the host's layout,
//! and read back once at the end. No binding is added (the shaders keep WebGPU's eight storage
//! buffers): the rollout runs one step per dispatch and buffer copies record it.

use super::*;

/// A recorded trajectory, as the CPU's `Trajectory` without the actions (owned).
#[derive(Clone, Debug, Default)]
pub struct GpuTrajectory {
    /// The observation each action was chosen from, `[steps][obs_dim][num_envs]`.
    pub obs: Vec<f32>,
    /// Rewards, `[steps][num_envs]`.
    pub rewards: Vec<f32>,
    /// `terminated` flags (0/1), `[steps][num_envs]`.
    pub terminated: Vec<u8>,
    /// `truncated` flags (0/1), `[steps][num_envs]`.
    pub truncated: Vec<u8>,
}

impl GpuVecEnv {
    /// [`GpuVecEnv::rollout`], recording every step into a trajectory buffer on the device
    /// (`steps x (obs_dim + 2) x num_envs` words, which must fit `max_buffer_size`: else
    /// [`GpuError::TooLarge`]) and reading it back at the end (native; blocks). Statistics are
    /// the rollout's, with f32 reward windows of one step instead of 256 (so reward sums may
    /// differ from `rollout`'s in the last bits).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn rollout_recorded(&mut self, steps: usize, policy: Policy<'_>) -> Result<(GpuRolloutStats, GpuTrajectory), GpuError> {
        crate::context::block_on(self.record_async(steps, policy))
    }

    /// [`GpuVecEnv::rollout_recorded`] without blocking (on the web: await it); any step still
    /// pending is read first, as [`GpuVecEnv::rollout_async`] does.
    pub async fn rollout_recorded_async(&mut self, steps: usize, policy: Policy<'_>) -> Result<(GpuRolloutStats, GpuTrajectory), GpuError> {
        self.drain_pending_async().await?;
        self.record_async(steps, policy).await
    }

    async fn record_async(&mut self, steps: usize, policy: Policy<'_>) -> Result<(GpuRolloutStats, GpuTrajectory), GpuError> {
        let (n, od) = (self.n, self.obs_dim);
        let rows = od + 2;
        let limit = self.ctx.limits().max_buffer_size;
        let bytes = (steps as u128) * (rows as u128) * (n as u128) * 4;
        if bytes > limit as u128 {
            let what = "rollout trajectory (steps x (obs_dim + 2) x num_envs words)";
            return Err(GpuError::TooLarge { what, bytes: bytes.min(u64::MAX as u128) as u64, limit, limit_name: "max_buffer_size" });
        }
        let traj = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("fusegym.trajectory"),
            size: (bytes as u64).max(4),
            // Read back through `read_words`' staging copy (MAP_READ buffers take no COPY_SRC).
            usage: wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let p = self.prepare_rollout(policy)?;
        self.write_ctl_with(&Ctl { steps: 1, policy: p.kind(), ..self.ctl }, Some(&p));
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fusegym.rollout") });
        for b in &self.dev.stats.buffers {
            enc.clear_buffer(b, 0, None);
        }
        // Word offset of step t's rows in the trajectory: observations, then rewards, then flags
        // (each `[steps][..][n]`).
        let (obs_at, reward_at, flags_at) =
            (|t: usize| t * od * n, |t: usize| steps * od * n + t * n, |t: usize| steps * (od + 1) * n + t * n);
        for t in 0..steps {
            self.copy_rows(&mut enc, &self.dev.obs, od, &traj, obs_at(t));
            self.encode(&mut enc, &self.pipelines.rollout, "fusegym.rollout");
            self.copy_rows(&mut enc, &self.dev.reward, 1, &traj, reward_at(t));
            self.copy_rows(&mut enc, &self.dev.flags, 1, &traj, flags_at(t));
        }
        self.ctx.queue.submit([enc.finish()]);
        let stats = self.finish_rollout_async(steps).await?;
        let words = self.read_words_async(&traj).await?;
        let floats = |w: &[u32]| w.iter().map(|x| f32::from_bits(*x)).collect::<Vec<f32>>();
        let flags = &words[flags_at(0)..flags_at(0) + steps * n];
        let trajectory = GpuTrajectory {
            obs: floats(&words[..steps * od * n]),
            rewards: floats(&words[reward_at(0)..reward_at(0) + steps * n]),
            terminated: flags.iter().map(|f| (f & FLAG_TERMINATED != 0) as u8).collect(),
            truncated: flags.iter().map(|f| (f & FLAG_TRUNCATED != 0) as u8).collect(),
        };
        Ok((stats, trajectory))
    }

    /// Records copies of the first `rows` rows of `src` (every chunk) to word `at` of `dst`,
    /// laid out `[rows][n]` as on the host.
    fn copy_rows(&self, enc: &mut wgpu::CommandEncoder, src: &Chunked, rows: usize, dst: &wgpu::Buffer, at: usize) {
        let n = self.n;
        for (c, ch) in self.chunks.iter().enumerate() {
            let r = src.regions[c];
            let buffer = &src.buffers[r.buffer];
            if self.chunks.len() == 1 {
                enc.copy_buffer_to_buffer(buffer, r.offset, dst, at as u64 * 4, (rows * n) as u64 * 4);
                continue;
            }
            for k in 0..rows {
                let from = r.offset + (k * ch.len) as u64 * 4;
                enc.copy_buffer_to_buffer(buffer, from, dst, (at + k * n + ch.first) as u64 * 4, ch.len as u64 * 4);
            }
        }
    }
}
