//! Proof of Gymnasium parity: replays recorded Gymnasium trajectories (the golden files,
//! schema in `tests/golden/README.md`) through our step and reports how close it came.
//!
//! Used by `fusegym validate` and by the test suite, so both check the same thing.

mod constants;
pub mod replay;
pub mod schema;

use fusegym_core::{make, SimdPath};
use std::path::Path;

pub use replay::{Outcome, FREE_REL, TEACHER_ULPS};
pub use schema::GoldenFile;

/// A file that cannot be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// File path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON in the golden schema, or is inconsistent with itself.
    #[error("{path}: malformed: {message}")]
    Malformed {
        /// File path.
        path: String,
        /// What is wrong and where.
        message: String,
    },
}

/// The result of checking one file.
#[derive(Debug)]
pub struct Report {
    /// Env id from the header.
    pub env_id: String,
    /// Episodes in the file.
    pub episodes: usize,
    /// The replay's numbers and failures.
    pub outcome: Outcome,
}

impl Report {
    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.outcome.failures.is_empty()
    }
}

/// Parses `path` and checks its structure.
pub fn load(path: &Path) -> Result<GoldenFile, GoldenError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| GoldenError::Io { path: p.clone(), source })?;
    let file: GoldenFile =
        serde_json::from_str(&text).map_err(|e| GoldenError::Malformed { path: p.clone(), message: e.to_string() })?;
    let env = make(&file.header.env_id, 1, 0).map_err(|e| GoldenError::Malformed { path: p.clone(), message: format!("header.env_id: {e}") })?;
    file.check_structure(env.state_dim(), env.obs_dim()).map_err(|message| GoldenError::Malformed { path: p.clone(), message })?;
    replay::check_actions(&file, env.action_space()).map_err(|message| GoldenError::Malformed { path: p.clone(), message })?;
    Ok(file)
}

/// Replays a parsed file on `path`: header constants, teacher-forced steps, free-running
/// episodes.
pub fn check(file: &GoldenFile, path: SimdPath) -> Report {
    let mut outcome = Outcome::default();
    for problem in constants::mismatches(file) {
        outcome.failures.push(problem);
    }
    if let Err(e) = replay::teacher_forced(file, path, &mut outcome) {
        outcome.failures.push(format!("teacher-forced replay failed: {e}"));
    }
    if let Err(e) = replay::free_running(file, path, &mut outcome) {
        outcome.failures.push(format!("free-running replay failed: {e}"));
    }
    Report { env_id: file.header.env_id.clone(), episodes: file.episodes.len(), outcome }
}

/// [`load`] then [`check`].
pub fn validate_file(path: &Path, simd: SimdPath) -> Result<Report, GoldenError> {
    let file = load(path)?;
    Ok(check(&file, simd))
}
