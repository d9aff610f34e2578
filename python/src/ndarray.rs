//! numpy arrays read and written in place, for `step`'s per-call work (`batch.rs`).
//!
//! Neither of the limited API's ways to an array's memory suits a call that must cost well under
//! a microsecond: the buffer protocol joined the limited API only in Python 3.11 (this extension
//! is abi3-py39), and `__array_interface__` builds a fresh dict on every access (about 1 us).
//! So an `ndarray` is read through numpy's own object layout, `PyArrayObject_fields` (public in
//! numpy's `ndarraytypes.h`, the same in numpy 1.x and 2.x), and its dtype is recognised by
//! identity with numpy's built-in dtype objects, which numpy shares between arrays.
//!
//! The layout is checked once per process against what numpy itself reports for probe arrays
//! (`__array_interface__`, `shape`, `strides`, `dtype`, `flags`). Where it differs (a future
//! numpy), or with the environment variable `FUSEGYM_NUMPY_IN_PLACE=0`, nothing is read in
//! place and every caller takes its general path, which only uses numpy's Python API.

use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{IntoPyDict, PySlice, PyTuple};
use std::os::raw::c_int;

/// The head of numpy's array object, `PyArrayObject_fields`: the fields used here, in order.
#[repr(C)]
struct Fields {
    head: ffi::PyObject,
    data: *mut u8,
    nd: c_int,
    dimensions: *const isize,
    strides: *const isize,
    base: *mut ffi::PyObject,
    descr: *mut ffi::PyObject,
    flags: c_int,
}

/// `NPY_ARRAY_WRITEABLE`.
const WRITEABLE: c_int = 0x0400;

/// The dtypes recognised, each numpy's built-in (native byte order) one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    Bool,
}

const DTYPES: [(&str, Dtype); 11] = [
    ("int8", Dtype::I8),
    ("int16", Dtype::I16),
    ("int32", Dtype::I32),
    ("int64", Dtype::I64),
    ("uint8", Dtype::U8),
    ("uint16", Dtype::U16),
    ("uint32", Dtype::U32),
    ("uint64", Dtype::U64),
    ("float32", Dtype::F32),
    ("float64", Dtype::F64),
    ("bool", Dtype::Bool),
];

/// numpy's objects this module compares with or calls, once the layout has passed its check.
struct Numpy {
    ndarray: Py<PyAny>,
    dtypes: Vec<(Py<PyAny>, Dtype)>,
    empty: Py<PyAny>,
}

static NUMPY: PyOnceLock<Option<Numpy>> = PyOnceLock::new();

/// An array's memory as numpy describes it. The pointers stay valid while the array object is
/// alive and no Python code runs (Python code could reshape or resize it): use it under the GIL,
/// before anything calls back into Python.
pub struct Array<'a> {
    pub data: *mut u8,
    pub dtype: Dtype,
    pub shape: &'a [isize],
    /// Byte strides.
    pub strides: &'a [isize],
    pub writeable: bool,
}

impl Array<'_> {
    /// Bytes `[start, end)` the elements lie in (empty for an empty array).
    pub fn span(&self) -> (usize, usize) {
        if self.shape.contains(&0) {
            return (self.data as usize, self.data as usize);
        }
        let (mut lo, mut hi) = (0isize, 0isize);
        for (&d, &s) in self.shape.iter().zip(self.strides) {
            let far = (d - 1) * s;
            if far < 0 {
                lo += far;
            } else {
                hi += far;
            }
        }
        let base = self.data as isize;
        ((base + lo) as usize, (base + hi) as usize + self.dtype.size())
    }
}

impl Dtype {
    pub fn size(self) -> usize {
        match self {
            Dtype::I8 | Dtype::U8 | Dtype::Bool => 1,
            Dtype::I16 | Dtype::U16 => 2,
            Dtype::I32 | Dtype::U32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::U64 | Dtype::F64 => 8,
        }
    }
}

fn numpy(py: Python<'_>) -> Option<&Numpy> {
    NUMPY
        .get_or_init(py, || {
            if std::env::var("FUSEGYM_NUMPY_IN_PLACE").as_deref() == Ok("0") {
                return None;
            }
            // Any failure (numpy missing, a layout that differs) leaves the general paths.
            load(py).ok().flatten()
        })
        .as_ref()
}

/// Whether arrays are read in place in this process (see the module's doc).
pub fn in_place(py: Python<'_>) -> bool {
    numpy(py).is_some()
}

fn load(py: Python<'_>) -> PyResult<Option<Numpy>> {
    let np = py.import("numpy")?;
    let dtype = np.getattr("dtype")?;
    let dtypes = DTYPES.iter().map(|(name, d)| Ok((dtype.call1((*name,))?.unbind(), *d))).collect::<PyResult<Vec<_>>>()?;
    let numpy = Numpy { ndarray: np.getattr("ndarray")?.unbind(), dtypes, empty: np.getattr("empty")?.unbind() };
    // Probes: C and Fortran order, a negative and a non-unit stride, 1-D, read-only, every dtype.
    let zeros = np.getattr("zeros")?;
    let mut probes = Vec::new();
    for (name, _) in DTYPES {
        probes.push(zeros.call1(((3, 5), name))?);
    }
    let base = zeros.call1(((4, 6), "float64"))?;
    let step = PySlice::new(py, 5, -7, -2);
    probes.push(base.get_item((PySlice::full(py), step))?);
    probes.push(np.call_method1("asfortranarray", (zeros.call1(((3, 2), "int32"))?,))?);
    let ro = zeros.call1((7, "uint8"))?;
    ro.call_method("setflags", (), Some(&[("write", false)].into_py_dict(py)?))?;
    probes.push(ro);
    for p in &probes {
        if !numpy.matches(p)? {
            return Ok(None);
        }
    }
    Ok(Some(numpy))
}

impl Numpy {
    /// Whether the fields read in place agree with numpy's own account of `p`.
    fn matches(&self, p: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Some(a) = self.read(p) else { return Ok(false) };
        let data: usize = p.getattr("__array_interface__")?.get_item("data")?.get_item(0)?.extract()?;
        let shape: Vec<isize> = p.getattr("shape")?.extract()?;
        let strides: Vec<isize> = p.getattr("strides")?.extract()?;
        let writeable: bool = p.getattr("flags")?.getattr("writeable")?.extract()?;
        let dtype = p.getattr("dtype")?;
        let same_dtype = self.dtypes.iter().any(|(d, t)| *t == a.dtype && d.bind(p.py()).is(&dtype));
        Ok(a.data as usize == data && a.shape == shape && a.strides == strides && a.writeable == writeable && same_dtype)
    }

    fn read<'a>(&self, obj: &'a Bound<'_, PyAny>) -> Option<Array<'a>> {
        if obj.get_type_ptr() as *mut ffi::PyObject != self.ndarray.as_ptr() {
            return None;
        }
        // SAFETY: `obj` is exactly an `ndarray`, whose object starts with these fields (the
        // layout was checked in `load` before this `Numpy` existed).
        let f = unsafe { &*(obj.as_ptr() as *const Fields) };
        let dtype = self.dtypes.iter().find(|(d, _)| d.as_ptr() == f.descr)?.1;
        let nd = usize::try_from(f.nd).ok()?;
        let (shape, strides) = if nd == 0 {
            (&[][..], &[][..])
        } else {
            // SAFETY: numpy keeps `nd` dimensions and strides for as long as the array lives
            // unchanged, and `obj` is borrowed for 'a.
            unsafe { (std::slice::from_raw_parts(f.dimensions, nd), std::slice::from_raw_parts(f.strides, nd)) }
        };
        Some(Array { data: f.data, dtype, shape, strides, writeable: f.flags & WRITEABLE != 0 })
    }
}

/// `obj`'s memory when it is exactly an `ndarray` of a recognised dtype and arrays are read in
/// place in this process; `None` otherwise.
pub fn read<'a>(obj: &'a Bound<'_, PyAny>) -> Option<Array<'a>> {
    numpy(obj.py())?.read(obj)
}

/// A new C-ordered `ndarray` of `shape` and `dtype` (numpy's `empty`) and its data pointer,
/// checked to be exactly that (writeable, contiguous); `None` where arrays are not read in place.
pub fn empty<'py>(py: Python<'py>, shape: &[usize], dtype: Dtype) -> PyResult<Option<(Bound<'py, PyAny>, *mut u8)>> {
    let Some(np) = numpy(py) else { return Ok(None) };
    let descr = np.dtypes.iter().find(|(_, d)| *d == dtype).expect("every Dtype is in DTYPES").0.bind(py);
    let array = np.empty.bind(py).call1((PyTuple::new(py, shape)?, descr))?;
    let data = np.read(&array).filter(|a| a.writeable && a.dtype == dtype && is_c_contiguous(a, shape)).map(|a| a.data);
    let data =
        data.ok_or_else(|| PyRuntimeError::new_err(format!("numpy.empty did not return a C-ordered {dtype:?} array of {shape:?}")))?;
    Ok(Some((array, data)))
}

fn is_c_contiguous(a: &Array<'_>, shape: &[usize]) -> bool {
    let mut stride = a.dtype.size() as isize;
    for k in (0..shape.len()).rev() {
        if a.shape.get(k) != Some(&(shape[k] as isize)) || (shape[k] > 1 && a.strides[k] != stride) {
            return false;
        }
        stride *= shape[k] as isize;
    }
    a.shape.len() == shape.len()
}
