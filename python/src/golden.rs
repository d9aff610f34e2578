//! `fusegym.validate`: the native golden validator (`fusegym validate`), so Python checks a file
//! with exactly the CLI's criteria instead of a second implementation of them.

use crate::error;
use fusegym::golden::{self, gpu::check_gpu, FreeRunning, Report};
use fusegym::SimdPath;
use fusegym_gpu::GpuContext;
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn report_dict<'py>(py: Python<'py>, r: &Report) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let o = &r.outcome;
    d.set_item("env_id", &r.env_id)?;
    d.set_item("passed", r.passed())?;
    d.set_item("episodes", r.episodes)?;
    d.set_item("teacher_forced_steps", o.steps)?;
    d.set_item("worst_eps_m", o.worst.ulps)?;
    d.set_item("worst_at", &o.worst.at)?;
    d.set_item("failures", o.failures.clone())?;
    d.set_item("more_failures", o.more_failures)?;
    let free: Vec<(usize, usize, usize)> = o.free.iter().map(|f| (f.length, f.followed, f.bar)).collect();
    d.set_item("free_running", free)?;
    Ok(d)
}

/// Replays golden file `path` on `backend` (`scalar`, `simd` or `gpu`): header constants,
/// teacher-forced steps and free-running episodes; a dict of the report (`passed`, `failures`,
/// `free_running` as `(length, followed, bar)` per episode ...). A file that cannot be read or
/// parsed raises `ValueError`.
#[pyfunction]
#[pyo3(signature = (path, backend = "simd"))]
pub fn validate<'py>(py: Python<'py>, path: &str, backend: &str) -> PyResult<Bound<'py, PyDict>> {
    let path_owned = std::path::PathBuf::from(path);
    let report = py.detach(|| -> PyResult<Report> {
        let file = golden::load(&path_owned).map_err(|e| error::value(e.to_string()))?;
        match backend {
            "scalar" => Ok(golden::check(&file, SimdPath::Scalar)),
            "simd" => Ok(golden::check(&file, SimdPath::best())),
            "gpu" => {
                let ctx = GpuContext::new().map_err(error::gpu)?;
                Ok(check_gpu(&file, &ctx, &FreeRunning::default()))
            }
            other => Err(error::value(format!("unknown backend {other:?}; expected scalar, simd or gpu"))),
        }
    });
    report_dict(py, &report?)
}
