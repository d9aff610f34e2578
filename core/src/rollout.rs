//! [`VecEnv::rollout`]: many steps in one call, with the policy evaluated inside the fused loop.
//!
//! Crossing from the caller into the kernel once per step can cost more than the physics of a
//! small env; a rollout crosses once per call, and keeps each lane group's state in registers
//! for all its steps (threads split the batch by lane groups). It computes exactly what the
//! same actions would give through [`VecEnv::step`], bit for bit.

use crate::error::Error;
use crate::exec::{Executor, Serial};
use crate::kernel::RolloutBuffers;
use crate::policy::{self, Checked, Policy};
use crate::record::Record;
use crate::spec::Env;
use crate::vec_env::{run_checked_with, VecEnv};

/// Per-env statistics of one rollout call (borrowed from the batch).
#[derive(Clone, Copy, Debug)]
pub struct RolloutStats<'a> {
    /// Sum of rewards over the call's steps, `[num_envs]`: f32 partial sums of 256 steps added
    /// into f64, so long rollouts keep f32's relative precision (a plain f32 sum stops counting
    /// -1 rewards at 2^24).
    pub reward_sum: &'a [f64],
    /// Episodes that finished during the call, `[num_envs]`.
    pub episodes: &'a [u64],
    /// Sum of the lengths of those episodes, `[num_envs]` (mean length = `length_sum / episodes`,
    /// exactly).
    pub length_sum: &'a [u64],
}

/// Caller buffers that receive a rollout's whole trajectory, all `[steps][component][num_envs]`.
pub struct Trajectory<'a> {
    /// The observation each action was chosen from, `[steps][obs_dim][num_envs]`.
    pub obs: &'a mut [f32],
    /// The actions taken (discrete ones as their index), `[steps][action_dim][num_envs]`.
    pub actions: &'a mut [f32],
    /// Rewards, `[steps][num_envs]`.
    pub rewards: &'a mut [f32],
    /// `terminated` flags (0/1), `[steps][num_envs]`.
    pub terminated: &'a mut [u8],
    /// `truncated` flags (0/1), `[steps][num_envs]`.
    pub truncated: &'a mut [u8],
}

impl<E: Env> VecEnv<E> {
    /// `steps` steps of every env on the calling thread, actions from `policy`.
    pub fn rollout(&mut self, steps: usize, policy: Policy<'_>, record: Option<Trajectory<'_>>) -> Result<RolloutStats<'_>, Error> {
        self.rollout_with(steps, policy, record, &Serial)
    }

    /// `steps` steps of every env, split across `exec`'s threads by lane groups. Afterwards the
    /// batch is where `steps` calls of [`VecEnv::step`] with the same actions would leave it,
    /// and [`VecEnv::view`] shows the last step's outputs.
    ///
    /// A call runs to the end; to bound how long one call takes (or to stop early), call it
    /// repeatedly with fewer steps: consecutive calls continue exactly where the last stopped,
    /// and each returns the statistics of its own steps.
    pub fn rollout_with(
        &mut self,
        steps: usize,
        policy: Policy<'_>,
        record: Option<Trajectory<'_>>,
        exec: &dyn Executor,
    ) -> Result<RolloutStats<'_>, Error> {
        let n = self.num_envs;
        let space = E::action_space(&self.params);
        let checked = policy::check::<E>(policy, space, n)?;
        self.reward_sum.fill(0.0);
        self.episodes_done.fill(0);
        self.length_sum.fill(0);
        let mut r = RolloutBuffers {
            reward_sum: self.reward_sum.as_mut_ptr(),
            episodes: self.episodes_done.as_mut_ptr(),
            length_sum: self.length_sum.as_mut_ptr(),
            rec_obs: core::ptr::null_mut(),
            rec_actions: core::ptr::null_mut(),
            rec_reward: core::ptr::null_mut(),
            rec_terminated: core::ptr::null_mut(),
            rec_truncated: core::ptr::null_mut(),
        };
        if let Some(t) = record {
            let (od, ad) = (E::Obs::<f32>::LEN, E::Action::<f32>::LEN);
            // Checked: `steps` comes from the caller, and a wrapped product would let short
            // buffers through.
            let len = |what: &'static str, per_step: usize| {
                steps.checked_mul(per_step).and_then(|x| x.checked_mul(n)).ok_or(Error::TooLarge {
                    what,
                    requested: (steps as u128) * (per_step as u128) * (n as u128),
                    limit: usize::MAX as u128,
                })
            };
            for (what, got, expected) in [
                ("trajectory obs", t.obs.len(), len("trajectory obs (steps x obs_dim x num_envs)", od)?),
                ("trajectory actions", t.actions.len(), len("trajectory actions (steps x action_dim x num_envs)", ad)?),
                ("trajectory rewards", t.rewards.len(), len("trajectory rewards (steps x num_envs)", 1)?),
                ("trajectory terminated", t.terminated.len(), len("trajectory terminated (steps x num_envs)", 1)?),
                ("trajectory truncated", t.truncated.len(), len("trajectory truncated (steps x num_envs)", 1)?),
            ] {
                if got != expected {
                    return Err(Error::Length { what, expected, got });
                }
            }
            r.rec_obs = t.obs.as_mut_ptr();
            r.rec_actions = t.actions.as_mut_ptr();
            r.rec_reward = t.rewards.as_mut_ptr();
            r.rec_terminated = t.terminated.as_mut_ptr();
            r.rec_truncated = t.truncated.as_mut_ptr();
        }
        self.run_rollout(steps, &checked, &r, exec)?;
        Ok(RolloutStats { reward_sum: &self.reward_sum, episodes: &self.episodes_done, length_sum: &self.length_sum })
    }

    fn run_rollout(&mut self, steps: usize, policy: &Checked, r: &RolloutBuffers, exec: &dyn Executor) -> Result<(), Error> {
        let f = E::kernels().rollout(self.path, self.per_env())?;
        let b = self.buffers(core::ptr::null());
        let params = &self.params;
        // SAFETY: buffers sized in `VecEnv::from_config` and above, policy checked, ranges
        // checked by `run_checked` and disjoint by the `Executor` contract.
        // A rollout of one step is a step; of more, a long job (every thread of the executor).
        run_checked_with(exec, self.num_envs, steps > 1, &|start, end| unsafe { f(params, &b, policy, r, steps, start, end) })
    }
}
