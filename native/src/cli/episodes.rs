//! What `fusegym run` does with each step's outputs, on every backend: count and print finished
//! episodes (`Episodes`) and write the step as one JSON line (`Recorder`, schema in docs/cli.md).

use fusegym::Autoreset;
use serde::Serialize;
use serde_json::{json, Value};
use std::fs::File;
use std::io::{BufWriter, Write};

/// Per-env running return and length of the current episode, and the totals so far.
pub struct Episodes {
    mode: Autoreset,
    ret: Vec<f64>,
    len: Vec<u64>,
    frozen: Vec<bool>,
    /// Episodes finished so far, over all envs.
    pub done: usize,
    returns: f64,
    lengths: f64,
}

impl Episodes {
    pub fn new(n: usize, mode: Autoreset) -> Episodes {
        Episodes { mode, ret: vec![0.0; n], len: vec![0; n], frozen: vec![false; n], done: 0, returns: 0.0, lengths: 0.0 }
    }

    /// Disabled mode: every env has finished and waits for a reset that `run` never makes.
    pub fn all_finished(&self) -> bool {
        self.mode == Autoreset::Disabled && self.frozen.iter().all(|&f| f)
    }

    /// Adds one step (`elapsed`: each env's steps in its current episode after the step) and
    /// prints the episodes it finished.
    pub fn add(&mut self, reward: &[f32], terminated: &[bool], truncated: &[bool], elapsed: &[u32]) {
        for (i, &steps_so_far) in elapsed.iter().enumerate() {
            if self.frozen[i] {
                continue;
            }
            self.ret[i] += reward[i] as f64;
            let (term, trunc) = (terminated[i], truncated[i]);
            // Next-step mode: the step after a done step starts the episode; it is not one of
            // the episode's steps (reward 0, no flags).
            let reset_step = self.mode == Autoreset::NextStep && steps_so_far == 0 && !term && !trunc;
            if !reset_step {
                self.len[i] += 1;
            }
            if term || trunc {
                let how = if term { "terminated" } else { "truncated" };
                println!("env {i:>5} episode {:>4}: return {:>10.3}  length {:>6}  {how}", self.done, self.ret[i], self.len[i]);
                self.done += 1;
                self.returns += self.ret[i];
                self.lengths += self.len[i] as f64;
                self.ret[i] = 0.0;
                self.len[i] = 0;
                self.frozen[i] = self.mode == Autoreset::Disabled;
            }
        }
    }

    /// The closing line after `steps` steps.
    pub fn summary(&self, steps: usize) -> String {
        if self.done == 0 {
            return format!("no episode finished in {steps} steps");
        }
        let k = self.done as f64;
        format!("mean over {} episodes: return {:.3}, length {:.1} ({steps} steps)", self.done, self.returns / k, self.lengths / k)
    }
}

/// `--record FILE`: one JSON object per step.
pub struct Recorder {
    out: BufWriter<File>,
}

impl Recorder {
    pub fn create(path: &str) -> Result<Recorder, String> {
        Ok(Recorder { out: BufWriter::new(File::create(path).map_err(|e| format!("--record {path}: {e}"))?) })
    }

    /// Step `t` of `n` envs: `obs` is `[obs_dim][n]`; `finals` (same-step mode only) the final
    /// observations of the envs that finished on this step, as (env, observation) pairs.
    pub fn write<O: Serialize>(
        &mut self,
        t: usize,
        obs: &[f32],
        reward: &[f32],
        terminated: &[bool],
        truncated: &[bool],
        finals: Option<Vec<(usize, O)>>,
    ) -> Result<(), String> {
        let n = reward.len();
        let od = obs.len() / n.max(1);
        let per_env: Vec<Vec<f32>> = (0..n).map(|i| (0..od).map(|k| obs[k * n + i]).collect()).collect();
        let mut line = json!({
            "step": t,
            "obs": per_env,
            "reward": reward,
            "terminated": terminated,
            "truncated": truncated,
        });
        if let Some(finals) = finals {
            let finals: Vec<Value> = finals.iter().map(|(i, o)| json!({"env": i, "obs": o})).collect();
            line["final_obs"] = Value::from(finals);
        }
        serde_json::to_writer(&mut self.out, &line).map_err(|e| format!("--record: {e}"))?;
        self.out.write_all(b"\n").map_err(|e| format!("--record: {e}"))
    }

    pub fn finish(mut self) -> Result<(), String> {
        self.out.flush().map_err(|e| format!("--record: {e}"))
    }
}
