//! The golden replay on the GPU backend: the same checks as on the CPU (`replay.rs`), through
//! a [`ReplayBatch`] over [`GpuVecEnv`].
//!
//! States set between steps are kept on the host and uploaded whole before the next step, and
//! the state is read back after each step: the replay sets hundreds of envs per step, and one
//! upload beats hundreds of small writes.

use super::replay::{self, FreeRunning, Outcome, ReplayBatch};
use super::{constants, GoldenFile, Report};
use fusegym_core::{ActionSpace, Actions, EnvConfig};
use fusegym_gpu::{GpuContext, GpuVecEnv, HostStep};

/// A GPU batch of default parameters, seed 0, same-step mode, as the CPU replay's.
struct GpuReplay {
    env: GpuVecEnv,
    state: Vec<f32>,
    elapsed: Vec<u32>,
    dirty: bool,
    /// Envs whose observation must be recomputed from a state set since the last step.
    observe: Vec<bool>,
    last: HostStep,
}

impl GpuReplay {
    fn new(ctx: &GpuContext, id: &str, n: usize) -> Result<GpuReplay, String> {
        let env = GpuVecEnv::new(ctx, id, &EnvConfig::new(n, 0)).map_err(|e| e.to_string())?;
        let state = env.state().map_err(|e| e.to_string())?;
        let elapsed = env.elapsed().map_err(|e| e.to_string())?;
        let last = env.view().clone();
        Ok(GpuReplay { env, state, elapsed, dirty: false, observe: vec![false; n], last })
    }

    fn upload(&mut self) {
        if self.dirty {
            let (q, b) = (self.env.queue(), self.env.buffers());
            q.write_buffer(&b.state, 0, bytemuck::cast_slice(&self.state));
            q.write_buffer(&b.counters, 0, bytemuck::cast_slice(&self.elapsed));
            // Mid-episode: no done flags (same-step mode keeps none in the counters either).
            q.write_buffer(&b.flags, 0, bytemuck::cast_slice(&vec![0u32; self.elapsed.len()]));
            self.dirty = false;
        }
    }
}

impl ReplayBatch for GpuReplay {
    fn action_space(&self) -> ActionSpace {
        self.env.action_space()
    }
    fn obs_dim(&self) -> usize {
        self.env.obs_dim()
    }
    fn state_dim(&self) -> usize {
        self.env.state_dim()
    }
    fn set_env_state(&mut self, i: usize, state: &[f32], elapsed: u32) -> Result<(), String> {
        let n = self.env.num_envs();
        if i >= n || state.len() != self.env.state_dim() {
            return Err(format!("set_env_state({i}, {} values) on a batch of {n} envs", state.len()));
        }
        for (k, v) in state.iter().enumerate() {
            self.state[k * n + i] = *v;
        }
        self.elapsed[i] = elapsed;
        self.observe[i] = true;
        self.dirty = true;
        Ok(())
    }
    fn obs(&mut self) -> Result<Vec<f32>, String> {
        if self.observe.iter().any(|&o| o) {
            self.upload();
            let mask = std::mem::replace(&mut self.observe, vec![false; self.env.num_envs()]);
            self.last = self.env.observe_envs(&mask).map_err(|e| e.to_string())?.clone();
        }
        Ok(self.last.obs.clone())
    }
    fn step(&mut self, actions: Actions<'_>) -> Result<(), String> {
        self.upload();
        self.last = self.env.step(actions).map_err(|e| e.to_string())?.clone();
        self.observe.iter_mut().for_each(|o| *o = false);
        self.state = self.env.state().map_err(|e| e.to_string())?;
        self.elapsed = self.env.elapsed().map_err(|e| e.to_string())?;
        Ok(())
    }
    fn outcome(&self, i: usize) -> (bool, bool, f32) {
        (self.last.terminated[i], self.last.truncated[i], self.last.reward[i])
    }
    fn final_obs(&self, i: usize) -> Vec<f64> {
        self.last.final_obs_of(i).unwrap_or_default().iter().map(|&x| x as f64).collect()
    }
    fn state(&self) -> &[f32] {
        &self.state
    }
}

/// [`super::check_with`] on the GPU: header constants, teacher-forced steps and free-running
/// episodes, with the CPU's tolerances.
pub fn check_gpu(file: &GoldenFile, ctx: &GpuContext, free: &FreeRunning) -> Report {
    let mut outcome = Outcome::default();
    outcome.failures.extend(constants::mismatches(file));
    let id = file.header.env_id.as_str();
    let k = file.episodes.len();
    match GpuReplay::new(ctx, id, k) {
        Ok(mut b) => {
            if let Err(e) = replay::teacher_forced_on(&mut b, file, &mut outcome) {
                outcome.failures.push(format!("teacher-forced replay failed: {e}"));
            }
        }
        Err(e) => outcome.failures.push(format!("teacher-forced replay failed: {e}")),
    }
    match GpuReplay::new(ctx, id, k * (1 + free.twins)) {
        Ok(mut b) => {
            if let Err(e) = replay::free_running_on(&mut b, file, free, &mut outcome) {
                outcome.failures.push(format!("free-running replay failed: {e}"));
            }
        }
        Err(e) => outcome.failures.push(format!("free-running replay failed: {e}")),
    }
    Report { env_id: file.header.env_id.clone(), episodes: k, outcome }
}
