//! What `fusegym run` does with each step's outputs, on every backend: count and print finished
//! episodes (`Episodes`) and write the step as one JSON line (`Recorder`, schema in docs/cli.md).

use super::memory::try_vec;
use fusegym::Autoreset;
use serde::Serialize;
use serde_json::{json, Value};
use std::fs::File;
use std::io::{BufWriter, Write};

/// Bytes per env that [`Episodes`] keeps (for the memory check before a run).
pub const EPISODE_BYTES_PER_ENV: u128 = 8 + 8 + 1 + 8;

/// Per-env running return and length of the current episode, episodes finished per env, and
/// the totals so far.
pub struct Episodes {
    mode: Autoreset,
    ret: Vec<f64>,
    len: Vec<u64>,
    frozen: Vec<bool>,
    /// Episodes env `i` has finished so far (the number printed with each finished episode).
    count: Vec<u64>,
    /// Episodes finished so far, over all envs.
    pub done: usize,
    returns: f64,
    lengths: f64,
}

impl Episodes {
    /// Counters for `n` envs, allocated fallibly (a batch too large is exit 2, not an abort).
    pub fn new(n: usize, mode: Autoreset) -> Result<Episodes, String> {
        let what = "episode counters";
        Ok(Episodes {
            mode,
            ret: try_vec(what, n, 0.0)?,
            len: try_vec(what, n, 0)?,
            frozen: try_vec(what, n, false)?,
            count: try_vec(what, n, 0)?,
            done: 0,
            returns: 0.0,
            lengths: 0.0,
        })
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
                // The episode's number within env `i` (0 for its first), not the global count.
                println!("env {i:>5} episode {:>4}: return {:>10.3}  length {:>6}  {how}", self.count[i], self.ret[i], self.len[i]);
                self.count[i] += 1;
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

/// `--record FILE` and its size cap.
#[derive(Clone, Debug)]
pub struct RecordOpts {
    /// The file.
    pub path: String,
    /// Largest file `--record` writes, in bytes (`--record-limit-gib`).
    pub limit: u64,
}

/// Counts the bytes written through it.
struct Count(u64);

impl Write for Count {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes free to this user on the filesystem holding `path` (`statvfs` of its directory), plus
/// the size of `path` itself, which `--record` truncates; `None` where unknown.
fn free_bytes(path: &str) -> Option<u128> {
    let p = std::path::Path::new(path);
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let existing = std::fs::metadata(p).ok().filter(|m| m.is_file()).map_or(0, |m| m.len() as u128);
    statvfs_free(dir).map(|f| f + existing)
}

#[cfg(unix)]
fn statvfs_free(dir: &std::path::Path) -> Option<u128> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a valid out-parameter for the call.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail as u128 * st.f_frsize as u128)
}

#[cfg(not(unix))]
fn statvfs_free(_dir: &std::path::Path) -> Option<u128> {
    None
}

fn gib(b: u128) -> String {
    format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64)
}

/// One step as the JSON object `--record` writes.
fn line<O: Serialize>(
    t: usize,
    obs: &[f32],
    reward: &[f32],
    terminated: &[bool],
    truncated: &[bool],
    finals: Option<Vec<(usize, O)>>,
) -> Value {
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
    line
}

/// `--record FILE`: one JSON object per step, never more than the cap.
pub struct Recorder {
    out: BufWriter<File>,
    path: String,
    limit: u64,
    written: u64,
    buf: Vec<u8>,
}

impl Recorder {
    /// Checks the size of the recording before creating the file: `first` is the batch's
    /// current outputs (obs, reward, terminated, truncated; each step's line is about as long),
    /// `steps` the steps to be recorded where known. Refuses (exit 2) a recording estimated past
    /// `opts.limit` or the free space of the file's filesystem.
    pub fn create(opts: &RecordOpts, first: (&[f32], &[f32], &[bool], &[bool]), steps: Option<usize>) -> Result<Recorder, String> {
        let path = &opts.path;
        let mut count = Count(0);
        let (obs, reward, terminated, truncated) = first;
        serde_json::to_writer(&mut count, &line::<Vec<f32>>(0, obs, reward, terminated, truncated, None))
            .map_err(|e| format!("--record: {e}"))?;
        let per_step = count.0 as u128 + 1;
        if let Some(steps) = steps {
            let need = per_step * steps as u128;
            let what =
                format!("--record {path}: {steps} steps of {} envs need about {} ({per_step} bytes per step)", reward.len(), gib(need));
            if need > opts.limit as u128 {
                return Err(format!(
                    "{what}, above the cap of {} (--record-limit-gib); record fewer steps or envs, or raise the cap",
                    gib(opts.limit as u128)
                ));
            }
            if let Some(free) = free_bytes(path) {
                if need > free {
                    return Err(format!("{what}, and its filesystem has {} free", gib(free)));
                }
            }
        }
        let file = File::create(path).map_err(|e| format!("--record {path}: {e}"))?;
        Ok(Recorder { out: BufWriter::new(file), path: path.clone(), limit: opts.limit, written: 0, buf: Vec::new() })
    }

    /// Step `t` of `n` envs: `obs` is `[obs_dim][n]`; `finals` (same-step mode only) the final
    /// observations of the envs that finished on this step, as (env, observation) pairs. A line
    /// that would take the file past the cap is not written: exit 2 naming the step.
    pub fn write<O: Serialize>(
        &mut self,
        t: usize,
        obs: &[f32],
        reward: &[f32],
        terminated: &[bool],
        truncated: &[bool],
        finals: Option<Vec<(usize, O)>>,
    ) -> Result<(), String> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, &line(t, obs, reward, terminated, truncated, finals)).map_err(|e| format!("--record: {e}"))?;
        self.buf.push(b'\n');
        let after = self.written + self.buf.len() as u64;
        if after > self.limit {
            // What was written stays a valid JSON-lines file of the steps before.
            self.out.flush().map_err(|e| format!("--record {}: {e}", self.path))?;
            return Err(format!(
                "--record {}: step {t} would take the file past the cap of {} (--record-limit-gib); {t} steps were recorded",
                self.path,
                gib(self.limit as u128)
            ));
        }
        self.out.write_all(&self.buf).map_err(|e| format!("--record {}: {e}", self.path))?;
        self.written = after;
        Ok(())
    }

    pub fn finish(mut self) -> Result<(), String> {
        self.out.flush().map_err(|e| format!("--record {}: {e}", self.path))
    }
}
