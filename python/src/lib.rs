//! # fusegym-python
//!
//! The PyO3 extension `fusegym._native` behind the `fusegym` pip package. Nothing here is the
//! public Python API: `python/fusegym/` wraps these types as Gymnasium vector envs
//! (`fusegym.make_vec`) and documents them (`python/fusegym/*.pyi`). This crate only moves
//! values between Python and the core's dynamic API (`fusegym::make_with`, `DynVecEnv`) or the
//! GPU crate's `GpuVecEnv`; it holds no environment logic, and its checks are the core's.
//!
//! Conventions of the boundary:
//! * Every fallible call raises a Python exception carrying the core's message (`error.rs`).
//! * Buffers Python reads or writes every step are the batch's own memory, handed to numpy as
//!   `__array_interface__` views (`buffer.rs`), so stepping copies nothing across the boundary.
//!   Per-call arrays (a step's actions, `copy=True`'s fresh outputs) are read and written in
//!   place through numpy's object layout (`ndarray.rs`), so a step call costs a fixed few
//!   hundred nanoseconds on top of the core's step.
//! * Sizes derived from user input are checked arithmetic and checked against the memory at
//!   hand before anything is allocated (`memory.rs`).
//! * The extension is built with unwinding (profile `fast`, see `python/pyproject.toml`), so even a bug surfaces as a
//!   `pyo3_runtime.PanicException` instead of aborting the interpreter.

use fusegym::registry::EnvInfo;
use fusegym::{ActionSpace, SimdPath, ENVS};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

pub mod actions;
pub mod batch;
pub mod buffer;
pub mod engine;
pub mod error;
pub mod golden;
pub mod memory;
pub mod ndarray;
pub mod outputs;

fn env_dict<'py>(py: Python<'py>, info: &EnvInfo) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", info.id)?;
    d.set_item("reference", info.reference)?;
    d.set_item("obs_names", info.obs_names.to_vec())?;
    d.set_item("state_names", info.state_names.to_vec())?;
    d.set_item("action_names", info.action_names.to_vec())?;
    let obs = (info.observation_space)();
    d.set_item("observation_low", obs.low[..obs.dim].to_vec())?;
    d.set_item("observation_high", obs.high[..obs.dim].to_vec())?;
    match (info.action_space)() {
        ActionSpace::Discrete { n } => {
            d.set_item("action_type", "discrete")?;
            d.set_item("action_n", n)?;
        }
        ActionSpace::Box { dim, low, high } => {
            d.set_item("action_type", "box")?;
            d.set_item("action_low", low[..dim].to_vec())?;
            d.set_item("action_high", high[..dim].to_vec())?;
        }
    }
    d.set_item("max_episode_steps", (info.max_episode_steps)())?;
    let params = PyList::empty(py);
    for f in info.params {
        let p = PyDict::new(py);
        p.set_item("name", f.name)?;
        p.set_item("doc", f.doc)?;
        p.set_item("default", f.default)?;
        p.set_item("low", f.valid.lo)?;
        p.set_item("high", f.valid.hi)?;
        p.set_item("low_closed", f.valid.lo_closed)?;
        p.set_item("high_closed", f.valid.hi_closed)?;
        p.set_item("valid", f.valid.describe())?;
        params.append(p)?;
    }
    d.set_item("params", params)?;
    Ok(d)
}

/// The registry: one dict per env (spaces, time limit, parameters with their valid ranges).
#[pyfunction]
fn envs(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    ENVS.iter().map(|info| env_dict(py, info)).collect()
}

/// The crate version.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// SIMD paths this CPU and build have, best last.
#[pyfunction]
fn simd_paths() -> Vec<&'static str> {
    SimdPath::ALL.iter().filter(|p| p.is_available()).map(|p| p.name()).collect()
}

/// The path new CPU batches use.
#[pyfunction]
fn best_simd_path() -> &'static str {
    SimdPath::best().name()
}

/// Every GPU adapter wgpu finds, described in one line each.
#[pyfunction]
fn gpu_adapters(py: Python<'_>) -> Vec<String> {
    py.detach(|| fusegym_gpu::adapters().iter().map(fusegym_gpu::describe).collect())
}

/// Logical cores available to this process (the thread pool's default size).
#[pyfunction]
fn cores() -> usize {
    fusegym::threads::available()
}

/// Whether this process reads and writes numpy arrays in place (`ndarray.rs`); false means
/// every step takes the general path (numpy's `copyto` and copies).
#[pyfunction]
fn numpy_in_place(py: Python<'_>) -> bool {
    ndarray::in_place(py)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<batch::Batch>()?;
    m.add_class::<buffer::Buffer>()?;
    m.add_function(wrap_pyfunction!(envs, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(simd_paths, m)?)?;
    m.add_function(wrap_pyfunction!(best_simd_path, m)?)?;
    m.add_function(wrap_pyfunction!(gpu_adapters, m)?)?;
    m.add_function(wrap_pyfunction!(cores, m)?)?;
    m.add_function(wrap_pyfunction!(numpy_in_place, m)?)?;
    m.add_function(wrap_pyfunction!(golden::validate, m)?)?;
    Ok(())
}
