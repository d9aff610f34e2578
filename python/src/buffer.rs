//! [`Buffer`]: memory numpy can view without a copy, through numpy's `__array_interface__`
//! protocol (which needs nothing outside the limited API, so the extension stays abi3).
//!
//! A buffer either borrows one of a batch's own buffers (observations, rewards, flags, the
//! action staging area) and keeps the batch alive while any array over it exists, or owns its
//! memory (rollout statistics, recorded trajectories). `np.asarray(buffer)` makes an array whose
//! `.base` is the buffer, so numpy's reference counting does the lifetime bookkeeping.

use crate::batch::Batch;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// What keeps a buffer's memory alive.
pub enum Storage {
    /// A view of a batch's own memory: the batch lives as long as the view.
    Batch(Py<Batch>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    U64(Vec<u64>),
    U8(Vec<u8>),
}

/// Element types a buffer can hold, by numpy's type string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    F32,
    F64,
    U64,
    I64,
    U8,
    Bool,
}

impl Elem {
    fn typestr(self) -> &'static str {
        match self {
            Elem::F32 => "<f4",
            Elem::F64 => "<f8",
            Elem::U64 => "<u8",
            Elem::I64 => "<i8",
            Elem::U8 => "|u1",
            Elem::Bool => "|b1",
        }
    }
    fn size(self) -> usize {
        match self {
            Elem::F32 => 4,
            Elem::F64 | Elem::U64 | Elem::I64 => 8,
            Elem::U8 | Elem::Bool => 1,
        }
    }
}

/// A strided block of memory numpy views through `__array_interface__` (private: the Python
/// layer turns each into an `ndarray` at once).
#[pyclass(module = "fusegym._native", frozen)]
pub struct Buffer {
    storage: Storage,
    addr: usize,
    elem: Elem,
    shape: Vec<usize>,
    /// Byte strides.
    strides: Vec<usize>,
}

impl Buffer {
    /// A view of `batch`'s memory at `addr`.
    ///
    /// The caller guarantees that `addr` and the shape and strides given describe memory the
    /// batch owns and does not reallocate for as long as the batch object lives.
    pub fn view(batch: Py<Batch>, addr: usize, elem: Elem, shape: Vec<usize>, strides_elems: Vec<usize>) -> Buffer {
        batch.get().view_opened();
        let strides = strides_elems.iter().map(|s| s * elem.size()).collect();
        Buffer { storage: Storage::Batch(batch), addr, elem, shape, strides }
    }

    /// An owned buffer; `strides_elems` in elements.
    pub fn owned(storage: Storage, shape: Vec<usize>, strides_elems: Vec<usize>) -> Buffer {
        let (addr, elem) = match &storage {
            Storage::F32(v) => (v.as_ptr() as usize, Elem::F32),
            Storage::F64(v) => (v.as_ptr() as usize, Elem::F64),
            Storage::U64(v) => (v.as_ptr() as usize, Elem::U64),
            Storage::U8(v) => (v.as_ptr() as usize, Elem::U8),
            Storage::Batch(_) => unreachable!("views are made with Buffer::view"),
        };
        let strides = strides_elems.iter().map(|s| s * elem.size()).collect();
        Buffer { storage, addr, elem, shape, strides }
    }

    /// An owned, C-ordered buffer of `shape`.
    pub fn owned_c(storage: Storage, shape: Vec<usize>) -> Buffer {
        let mut strides = vec![1; shape.len()];
        for k in (0..shape.len().saturating_sub(1)).rev() {
            strides[k] = strides[k + 1] * shape[k + 1];
        }
        Buffer::owned(storage, shape, strides)
    }

    /// The same owned bytes seen as flags (`u8` 0/1 as numpy `bool`).
    pub fn as_bool(mut self) -> Buffer {
        self.elem = Elem::Bool;
        self
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if let Storage::Batch(b) = &self.storage {
            b.get().view_closed();
        }
    }
}

#[pymethods]
impl Buffer {
    /// numpy's array interface (version 3): shape, type, address, byte strides.
    #[getter]
    fn __array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("version", 3)?;
        d.set_item("shape", PyTuple::new(py, &self.shape)?)?;
        d.set_item("typestr", self.elem.typestr())?;
        // Writable: DLPack consumers (torch.from_dlpack) refuse read-only arrays.
        d.set_item("data", (self.addr, false))?;
        d.set_item("strides", PyTuple::new(py, &self.strides)?)?;
        Ok(d)
    }
}
