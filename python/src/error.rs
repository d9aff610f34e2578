//! The core's and the GPU backend's errors as Python exceptions: the Rust message is kept as
//! is, the exception type says what kind of mistake it is.

use fusegym::Error;
use fusegym_gpu::GpuError;
use pyo3::exceptions::{PyIndexError, PyMemoryError, PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::PyErr;

/// `fusegym::Error` -> `ValueError`, `TypeError`, `IndexError`, `MemoryError`, ...
pub fn core(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::ActionType { .. } => PyTypeError::new_err(msg),
        Error::EnvIndex { .. } => PyIndexError::new_err(msg),
        Error::TooLarge { .. } | Error::Alloc { .. } => PyMemoryError::new_err(msg),
        Error::Unsupported { .. } => PyNotImplementedError::new_err(msg),
        Error::Executor { .. } | Error::ExecutorCoverage { .. } => PyRuntimeError::new_err(msg),
        // Unknown ids and parameters, bad values, lengths, ranges, actions out of range ...
        _ => PyValueError::new_err(msg),
    }
}

/// `GpuError` -> the core's mapping for input errors, `RuntimeError` for the device's own
/// (no adapter, device lost, ...), `MemoryError` for buffers past the adapter's limits.
pub fn gpu(e: GpuError) -> PyErr {
    match e {
        GpuError::Core(e) => core(e),
        GpuError::TooLarge { .. } | GpuError::OutOfMemory { .. } => PyMemoryError::new_err(e.to_string()),
        other => PyRuntimeError::new_err(other.to_string()),
    }
}

/// A `ValueError` with `msg`.
pub fn value(msg: impl Into<String>) -> PyErr {
    PyValueError::new_err(msg.into())
}
