//! What machine and code path a figure was measured on, for every report.

use fusegym_core::SimdPath;
use serde::Serialize;

/// The machine and build, as printed in benchmark headers and `fusegym info`.
#[derive(Clone, Debug, Serialize)]
pub struct Hardware {
    /// CPU model name (from /proc/cpuinfo on Linux).
    pub cpu: String,
    /// Logical cores available to this process.
    pub cores: usize,
    /// Target architecture of this build.
    pub arch: &'static str,
    /// Operating system.
    pub os: &'static str,
    /// SIMD path `Backend::Simd` runs here.
    pub simd_path: &'static str,
    /// All SIMD paths this machine can run.
    pub simd_available: Vec<&'static str>,
    /// fusegym version.
    pub fusegym_version: &'static str,
    /// Whether this binary was built with optimisations.
    pub optimized: bool,
}

impl Hardware {
    /// Reads the current machine.
    pub fn detect() -> Self {
        Hardware {
            cpu: cpu_model(),
            cores: crate::threads::available(),
            arch: std::env::consts::ARCH,
            os: std::env::consts::OS,
            simd_path: SimdPath::best().name(),
            simd_available: SimdPath::ALL.into_iter().filter(|p| p.is_available()).map(|p| p.name()).collect(),
            fusegym_version: env!("CARGO_PKG_VERSION"),
            optimized: !cfg!(debug_assertions),
        }
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|m| m.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".to_string())
}
