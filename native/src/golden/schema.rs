//! The golden-trajectory file format (schema_version 1, documented in `tests/golden/README.md`)
//! and its structural checks. Every problem is reported with where it is in the file.

use super::num;
use serde::Deserialize;

/// A whole golden file.
#[derive(Debug, Deserialize)]
pub struct GoldenFile {
    /// Metadata and the constants of the recorded env.
    pub header: Header,
    /// Recorded episodes.
    pub episodes: Vec<Episode>,
}

/// File metadata.
#[derive(Debug, Deserialize)]
pub struct Header {
    /// Must be 1.
    pub schema_version: u32,
    /// Gymnasium id.
    pub env_id: String,
    /// Gymnasium's TimeLimit for the env.
    pub max_episode_steps: u32,
    /// Internal state components.
    pub state_dim: usize,
    /// Observation components.
    pub obs_dim: usize,
    /// Action space description.
    pub action: ActionHeader,
    /// Physics constants read from the live env (checked against our defaults).
    #[serde(default)]
    pub constants: serde_json::Map<String, serde_json::Value>,
}

/// Action space as recorded.
#[derive(Debug, Deserialize)]
pub struct ActionHeader {
    /// "discrete" or "box".
    #[serde(rename = "type")]
    pub kind: String,
    /// Number of actions (discrete).
    pub n: Option<u32>,
    /// Shape (box).
    pub shape: Option<Vec<usize>>,
}

/// One recorded episode.
#[derive(Debug, Deserialize)]
pub struct Episode {
    /// Internal state the episode starts from (float64).
    pub initial_state: Vec<f64>,
    /// Observation of that state.
    pub initial_obs: Vec<f64>,
    /// One action per step (integer for discrete envs).
    pub actions: Vec<f64>,
    /// Observation returned by each step.
    pub obs: Vec<Vec<f64>>,
    /// Reward of each step.
    pub rewards: Vec<f64>,
    /// `terminated` of each step.
    pub terminated: Vec<bool>,
    /// `truncated` of each step.
    pub truncated: Vec<bool>,
    /// Internal state after each step (float64).
    pub states: Vec<Vec<f64>>,
    /// Number of recorded steps.
    pub length: usize,
}

/// `Err` naming `at(c)` and the value when a component of `vals` does not round to a finite
/// float32 (the type the replay gives states and observations).
fn fits_f32(vals: &[f64], at: impl Fn(usize) -> String) -> Result<(), String> {
    match vals.iter().position(|v| !(*v as f32).is_finite()) {
        None => Ok(()),
        Some(c) => Err(format!("{}: {} does not fit in float32 (largest {:e})", at(c), num(vals[c]), f32::MAX)),
    }
}

impl GoldenFile {
    /// Checks that every array has the length and width the header promises, so the replay
    /// can index without surprises. Returns "where: what" on the first problem.
    pub fn check_structure(&self, state_dim: usize, obs_dim: usize) -> Result<(), String> {
        let h = &self.header;
        if h.schema_version != 1 {
            return Err(format!("header.schema_version: expected 1, got {}", h.schema_version));
        }
        if h.state_dim != state_dim {
            return Err(format!("header.state_dim: {} has {state_dim} state components, file says {}", h.env_id, h.state_dim));
        }
        if h.obs_dim != obs_dim {
            return Err(format!("header.obs_dim: {} has {obs_dim} observation components, file says {}", h.env_id, h.obs_dim));
        }
        if self.episodes.is_empty() {
            return Err("episodes: empty".into());
        }
        for (e, ep) in self.episodes.iter().enumerate() {
            let at = |field: &str| format!("episodes[{e}].{field}");
            let n = ep.length;
            if n == 0 {
                return Err(format!("{}: 0", at("length")));
            }
            for (field, len) in [
                ("actions", ep.actions.len()),
                ("obs", ep.obs.len()),
                ("rewards", ep.rewards.len()),
                ("terminated", ep.terminated.len()),
                ("truncated", ep.truncated.len()),
                ("states", ep.states.len()),
            ] {
                if len != n {
                    return Err(format!("{}: {len} entries, but length is {n}", at(field)));
                }
            }
            if ep.initial_state.len() != state_dim {
                return Err(format!("{}: expected {state_dim} numbers, got {}", at("initial_state"), ep.initial_state.len()));
            }
            if ep.initial_obs.len() != obs_dim {
                return Err(format!("{}: expected {obs_dim} numbers, got {}", at("initial_obs"), ep.initial_obs.len()));
            }
            for t in 0..n {
                if ep.obs[t].len() != obs_dim {
                    return Err(format!("{}[{t}]: expected {obs_dim} numbers, got {}", at("obs"), ep.obs[t].len()));
                }
                if ep.states[t].len() != state_dim {
                    return Err(format!("{}[{t}]: expected {state_dim} numbers, got {}", at("states"), ep.states[t].len()));
                }
                let done = ep.terminated[t] || ep.truncated[t];
                if done && t + 1 != n {
                    return Err(format!("{}[{t}]: episode continues after it ended", at("terminated/truncated")));
                }
                if !ep.actions[t].is_finite() {
                    return Err(format!("{}[{t}]: not a finite number", at("actions")));
                }
                if !ep.rewards[t].is_finite() {
                    return Err(format!("{}[{t}] (episode {e}, step {t}): not a finite number", at("rewards")));
                }
                fits_f32(&ep.obs[t], |c| format!("{}[{t}][{c}] (episode {e}, step {t})", at("obs")))?;
                fits_f32(&ep.states[t], |c| format!("{}[{t}][{c}] (episode {e}, step {t})", at("states")))?;
            }
            fits_f32(&ep.initial_state, |c| format!("{}[{c}]", at("initial_state")))?;
            fits_f32(&ep.initial_obs, |c| format!("{}[{c}]", at("initial_obs")))?;
        }
        Ok(())
    }
}
