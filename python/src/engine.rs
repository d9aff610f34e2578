//! What a Python batch steps: the core's `DynVecEnv` on this thread or the thread pool, or the
//! GPU crate's `GpuVecEnv`. Both are driven through the same calls, so the Python layer is
//! written once; this file only moves values between them and the host buffers Python views.

use crate::error;
use fusegym::{ActionSpace, Actions, DynVecEnv, Policy, RolloutStats, Threads, Trajectory};
use fusegym_gpu::{GpuContext, GpuVecEnv, HostStep};
use pyo3::PyResult;

/// Where the batch runs.
pub enum Engine {
    /// The core on the calling thread, or split across a pool.
    Cpu { env: Box<dyn DynVecEnv>, threads: Option<Threads> },
    /// The GPU, with host copies of its outputs (Python views these, so they must not move:
    /// they are sized once and overwritten in place).
    Gpu { env: Box<GpuVecEnv>, host: HostMirror },
}

/// Host copies of a GPU batch's last step, in the CPU's layout (flags as bytes).
pub struct HostMirror {
    pub obs: Vec<f32>,
    pub reward: Vec<f32>,
    pub terminated: Vec<u8>,
    pub truncated: Vec<u8>,
    pub final_obs: Vec<f32>,
}

impl HostMirror {
    fn new(n: usize, obs_dim: usize) -> HostMirror {
        HostMirror {
            obs: vec![0.0; n * obs_dim],
            reward: vec![0.0; n],
            terminated: vec![0; n],
            truncated: vec![0; n],
            final_obs: vec![0.0; n * obs_dim],
        }
    }
    fn copy_from(&mut self, h: &HostStep) {
        self.obs.copy_from_slice(&h.obs);
        self.reward.copy_from_slice(&h.reward);
        for (d, s) in self.terminated.iter_mut().zip(&h.terminated) {
            *d = *s as u8;
        }
        for (d, s) in self.truncated.iter_mut().zip(&h.truncated) {
            *d = *s as u8;
        }
        if h.final_obs.len() == self.final_obs.len() {
            self.final_obs.copy_from_slice(&h.final_obs);
        }
    }
}

/// Flags as the bytes numpy's `bool` holds.
fn bytes(flags: &[bool]) -> &[u8] {
    // SAFETY: a `bool` is one byte holding 0 or 1, so every `bool` slice is a valid `u8` slice.
    unsafe { std::slice::from_raw_parts(flags.as_ptr() as *const u8, flags.len()) }
}

/// Addresses of the buffers Python views; stable for the engine's life.
pub struct Addresses {
    pub obs: usize,
    pub reward: usize,
    pub terminated: usize,
    pub truncated: usize,
}

/// Per-env rollout statistics, owned.
pub struct Stats {
    pub reward_sum: Vec<f64>,
    pub episodes: Vec<u64>,
    pub length_sum: Vec<u64>,
}

impl From<RolloutStats<'_>> for Stats {
    fn from(s: RolloutStats<'_>) -> Stats {
        Stats { reward_sum: s.reward_sum.to_vec(), episodes: s.episodes.to_vec(), length_sum: s.length_sum.to_vec() }
    }
}

impl Engine {
    pub fn gpu(id: &str, config: &fusegym::EnvConfig) -> PyResult<Engine> {
        let ctx = GpuContext::new().map_err(error::gpu)?;
        let env = GpuVecEnv::new(&ctx, id, config).map_err(error::gpu)?;
        let mut host = HostMirror::new(env.num_envs(), env.obs_dim());
        host.copy_from(env.view());
        Ok(Engine::Gpu { env: Box::new(env), host })
    }

    pub fn is_gpu(&self) -> bool {
        matches!(self, Engine::Gpu { .. })
    }

    pub fn addresses(&mut self) -> Addresses {
        match self {
            Engine::Cpu { env, .. } => {
                let v = env.view();
                Addresses {
                    obs: v.obs.as_ptr() as usize,
                    reward: v.reward.as_ptr() as usize,
                    terminated: v.terminated.as_ptr() as usize,
                    truncated: v.truncated.as_ptr() as usize,
                }
            }
            Engine::Gpu { host, .. } => Addresses {
                obs: host.obs.as_ptr() as usize,
                reward: host.reward.as_ptr() as usize,
                terminated: host.terminated.as_ptr() as usize,
                truncated: host.truncated.as_ptr() as usize,
            },
        }
    }

    /// The last step's outputs: observations `[obs_dim][n]`, rewards, and the flags as bytes.
    pub fn outputs(&self) -> (&[f32], &[f32], &[u8], &[u8]) {
        match self {
            Engine::Cpu { env, .. } => {
                let v = env.view();
                (v.obs, v.reward, bytes(v.terminated), bytes(v.truncated))
            }
            Engine::Gpu { host, .. } => (&host.obs, &host.reward, &host.terminated, &host.truncated),
        }
    }

    /// The dense same-step final observations `[obs_dim][n]` (valid where an env finished on
    /// the last step), brought up to date; its address is stable once it exists.
    pub fn final_obs_dense(&mut self) -> PyResult<usize> {
        match self {
            Engine::Cpu { env, .. } => Ok(env.final_obs_dense().map_err(error::core)?.as_ptr() as usize),
            Engine::Gpu { host, .. } => Ok(host.final_obs.as_ptr() as usize),
        }
    }

    pub fn step(&mut self, actions: Actions<'_>) -> PyResult<()> {
        match self {
            Engine::Cpu { env, threads: None } => env.step(actions).map(|_| ()).map_err(error::core),
            Engine::Cpu { env, threads: Some(t) } => env.step_with(actions, t).map(|_| ()).map_err(error::core),
            Engine::Gpu { env, host } => {
                let h = env.step(actions).map_err(error::gpu)?;
                host.copy_from(h);
                Ok(())
            }
        }
    }

    /// Episode 0 of every env under `seed`.
    pub fn reset_with_seed(&mut self, seed: u64) -> PyResult<()> {
        match self {
            Engine::Cpu { env, .. } => {
                env.reset_with_seed(seed);
                Ok(())
            }
            Engine::Gpu { env, host } => {
                let h = env.reset_with_seed(seed).map_err(error::gpu)?;
                host.copy_from(h);
                Ok(())
            }
        }
    }

    /// The next episode of the envs where `mask` is true.
    pub fn reset_envs(&mut self, mask: &[bool]) -> PyResult<()> {
        match self {
            Engine::Cpu { env, .. } => env.reset_envs(mask).map(|_| ()).map_err(error::core),
            Engine::Gpu { env, host } => {
                let h = env.reset_envs(mask).map_err(error::gpu)?;
                host.copy_from(h);
                Ok(())
            }
        }
    }

    pub fn set_env_state(&mut self, i: usize, state: &[f32], elapsed: u32) -> PyResult<()> {
        match self {
            Engine::Cpu { env, .. } => env.set_env_state(i, state, elapsed).map_err(error::core),
            Engine::Gpu { env, host } => {
                env.write_env_state(i, state, elapsed).map_err(error::gpu)?;
                let mut mask = vec![false; env.num_envs()];
                mask[i] = true;
                let h = env.observe_envs(&mask).map_err(error::gpu)?;
                host.copy_from(h);
                Ok(())
            }
        }
    }

    /// Env `i`'s state (`[state_dim]`).
    pub fn env_state(&self, i: usize, n: usize) -> PyResult<Vec<f32>> {
        let state = match self {
            Engine::Cpu { env, .. } => env.state().to_vec(),
            Engine::Gpu { env, .. } => env.state().map_err(error::gpu)?,
        };
        if i >= n {
            return Err(error::core(fusegym::Error::EnvIndex { index: i, num_envs: n }));
        }
        Ok(state.iter().skip(i).step_by(n).copied().collect())
    }

    pub fn env_params(&self, i: usize) -> PyResult<Vec<f32>> {
        match self {
            Engine::Cpu { env, .. } => env.env_params(i).map_err(error::core),
            Engine::Gpu { env, .. } => env.env_params(i).map_err(error::gpu),
        }
    }

    pub fn episodes(&self) -> PyResult<Vec<u32>> {
        match self {
            Engine::Cpu { env, .. } => Ok(env.episodes().to_vec()),
            Engine::Gpu { env, .. } => env.episodes().map_err(error::gpu),
        }
    }

    pub fn elapsed(&self) -> PyResult<Vec<u32>> {
        match self {
            Engine::Cpu { env, .. } => Ok(env.elapsed()),
            Engine::Gpu { env, .. } => env.elapsed().map_err(error::gpu),
        }
    }

    pub fn action_space(&self) -> ActionSpace {
        match self {
            Engine::Cpu { env, .. } => env.action_space(),
            Engine::Gpu { env, .. } => env.action_space(),
        }
    }

    /// A rollout inside the fused loop; with `record`, the CPU fills the trajectory buffers.
    pub fn rollout(&mut self, steps: usize, policy: Policy<'_>, record: Option<Trajectory<'_>>) -> PyResult<Stats> {
        match self {
            Engine::Cpu { env, threads } => {
                let serial = fusegym::Serial;
                let exec: &dyn fusegym::Executor = match threads {
                    Some(t) => t,
                    None => &serial,
                };
                env.rollout_with(steps, policy, record, exec).map(Stats::from).map_err(error::core)
            }
            Engine::Gpu { env, host } => {
                if record.is_some() {
                    return Err(error::value(
                        "rollout(record=True) runs on the CPU backends (the GPU records without actions: use a CPU backend to record)",
                    ));
                }
                let s = env.rollout(steps, policy).map_err(error::gpu)?;
                host.copy_from(env.view());
                Ok(Stats { reward_sum: s.reward_sum, episodes: s.episodes, length_sum: s.length_sum })
            }
        }
    }

    /// Which code path runs the step, in words.
    pub fn path(&self) -> String {
        match self {
            Engine::Cpu { env, threads: None } => env.simd_path().name().to_string(),
            Engine::Cpu { env, threads: Some(t) } => {
                format!("{} x {} threads", env.simd_path().name(), fusegym::Executor::threads(t))
            }
            Engine::Gpu { env, .. } => format!("gpu: {}", fusegym_gpu::describe(&env.context().info)),
        }
    }
}
