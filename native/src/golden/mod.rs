//! Proof of Gymnasium parity: replays recorded Gymnasium trajectories (the golden files,
//! schema in `tests/golden/README.md`) through our step and reports how close it came.
//!
//! Used by `fusegym validate` and by the test suite, so both check the same thing.

mod constants;
pub mod gpu;
pub mod replay;
pub mod schema;

use fusegym_core::envs::{Acrobot, CartPole, MountainCar, MountainCarContinuous, Pendulum};
use fusegym_core::{ActionSpace, Env, SimdPath, VecEnv};
use std::path::Path;

pub use replay::{FreeRun, FreeRunning, Outcome, FREE_REL, TEACHER_ULPS};
pub use schema::GoldenFile;

/// The Gymnasium environments golden files can hold.
pub const GYMNASIUM_IDS: [&str; 5] =
    [CartPole::SPEC.id, MountainCar::SPEC.id, MountainCarContinuous::SPEC.id, Pendulum::SPEC.id, Acrobot::SPEC.id];

/// `Some(f::<E>(args))` for the env `E` whose id is `id`, `None` for an id not in [`GYMNASIUM_IDS`].
macro_rules! for_env {
    ($id:expr, $f:ident($($arg:expr),*)) => {{
        let id: &str = $id;
        if id == CartPole::SPEC.id {
            Some($f::<CartPole>($($arg),*))
        } else if id == MountainCar::SPEC.id {
            Some($f::<MountainCar>($($arg),*))
        } else if id == MountainCarContinuous::SPEC.id {
            Some($f::<MountainCarContinuous>($($arg),*))
        } else if id == Pendulum::SPEC.id {
            Some($f::<Pendulum>($($arg),*))
        } else if id == Acrobot::SPEC.id {
            Some($f::<Acrobot>($($arg),*))
        } else {
            None
        }
    }};
}

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
    /// The file is larger than any golden file (see [`MAX_GOLDEN_BYTES`]): `/dev/zero` or a
    /// huge file fails at once instead of after reading it all.
    #[error("{path}: larger than {limit} bytes, the most a golden file may hold (the largest in tests/golden is under 2 MB)")]
    TooLarge {
        /// File path.
        path: String,
        /// [`MAX_GOLDEN_BYTES`].
        limit: u64,
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

/// A number for a message: plain when short, in scientific notation otherwise (a value like
/// 1e300 never prints as 300 digits).
pub fn num(x: f64) -> String {
    if x == 0.0 || (x.is_finite() && (1e-4..1e7).contains(&x.abs())) {
        let s = format!("{x}");
        if s.len() <= 12 {
            return s;
        }
        return format!("{x:.9}").trim_end_matches('0').to_string();
    }
    if !x.is_finite() {
        return format!("{x}");
    }
    let s = format!("{x:e}");
    if s.len() <= 12 {
        s
    } else {
        format!("{x:.6e}")
    }
}

/// Reads `path`, parses it and checks its structure.
pub fn load(path: &Path) -> Result<GoldenFile, GoldenError> {
    use std::io::Read;
    let p = path.display().to_string();
    let io = |source| GoldenError::Io { path: p.clone(), source };
    let mut bytes = Vec::new();
    // Reads at most one byte past the cap, whatever the file claims (devices and pipes have no
    // size to ask for).
    std::fs::File::open(path).and_then(|f| f.take(MAX_GOLDEN_BYTES + 1).read_to_end(&mut bytes)).map_err(io)?;
    if bytes.len() as u64 > MAX_GOLDEN_BYTES {
        return Err(GoldenError::TooLarge { path: p, limit: MAX_GOLDEN_BYTES });
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| io(std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8")))?;
    parse(&p, &text)
}

/// Largest golden file [`load`] reads: 64 MiB (the files in tests/golden are at most 1.4 MB;
/// Gymnasium's recorder writes a few hundred bytes per step).
pub const MAX_GOLDEN_BYTES: u64 = 64 << 20;

/// Parses the text of a golden file and checks its structure (`p` names it in errors).
pub fn parse(p: &str, text: &str) -> Result<GoldenFile, GoldenError> {
    let p = p.to_string();
    let file: GoldenFile = serde_json::from_str(text).map_err(|e| GoldenError::Malformed { path: p.clone(), message: e.to_string() })?;
    let malformed = |message: String| GoldenError::Malformed { path: p.clone(), message };
    let (state_dim, obs_dim, space) = for_env!(&file.header.env_id, shape()).ok_or_else(|| {
        malformed(format!(
            "header.env_id: {:?} is not a Gymnasium environment fusegym replays (known: {})",
            file.header.env_id,
            GYMNASIUM_IDS.join(", ")
        ))
    })?;
    file.check_structure(state_dim, obs_dim).map_err(malformed)?;
    replay::check_actions(&file, space).map_err(malformed)?;
    Ok(file)
}

/// State and observation components and the action space of `E`.
fn shape<E: Env>() -> (usize, usize, ActionSpace) {
    let p = E::Params::default();
    let env = VecEnv::<E>::with_params(p, 1, 0).expect("a batch of one env");
    (env.state_dim(), env.obs_dim(), env.action_space())
}

/// Replays a parsed file on `path`: header constants, teacher-forced steps, free-running
/// episodes with the default [`FreeRunning`] criterion.
pub fn check(file: &GoldenFile, path: SimdPath) -> Report {
    check_with(file, path, &FreeRunning::default())
}

/// [`check`] with another free-running criterion (for studying the criterion itself).
pub fn check_with(file: &GoldenFile, path: SimdPath, free: &FreeRunning) -> Report {
    let mut outcome = Outcome::default();
    for problem in constants::mismatches(file) {
        outcome.failures.push(problem);
    }
    fn both<E: Env>(file: &GoldenFile, path: SimdPath, free: &FreeRunning, out: &mut Outcome) {
        if let Err(e) = replay::teacher_forced::<E>(file, path, out) {
            out.failures.push(format!("teacher-forced replay failed: {e}"));
        }
        if let Err(e) = replay::free_running::<E>(file, path, free, out) {
            out.failures.push(format!("free-running replay failed: {e}"));
        }
    }
    if for_env!(&file.header.env_id, both(file, path, free, &mut outcome)).is_none() {
        outcome.failures.push(format!("{}: not a Gymnasium environment fusegym replays", file.header.env_id));
    }
    Report { env_id: file.header.env_id.clone(), episodes: file.episodes.len(), outcome }
}

/// [`load`] then [`check`].
pub fn validate_file(path: &Path, simd: SimdPath) -> Result<Report, GoldenError> {
    let file = load(path)?;
    Ok(check(&file, simd))
}
