//! Helpers shared by the cross-crate tests.

use std::path::PathBuf;

/// `tests/golden/<id>.json`.
pub fn golden_path(id: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden").join(format!("{id}.json"))
}

/// The Gymnasium envs that have golden files.
pub const GYMNASIUM_IDS: [&str; 5] = ["CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1", "Acrobot-v1"];
