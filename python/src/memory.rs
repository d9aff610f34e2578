//! Allocations sized by the user: checked against the memory at hand first, then made fallibly,
//! so a request too large is a `MemoryError` naming the size instead of an abort that would take
//! the interpreter (or a Ray actor) with it.

use pyo3::exceptions::PyMemoryError;
use pyo3::PyResult;

/// Memory this process may still use (Linux `MemAvailable`), if known.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// Fails with a `MemoryError` when `bytes` (for `what`) cannot be had now: more than the memory
/// available, or refused by the allocator (an address-space limit, say).
pub fn check(what: &str, bytes: Option<usize>) -> PyResult<()> {
    let Some(bytes) = bytes else {
        return Err(PyMemoryError::new_err(format!("{what}: the size overflows this platform's address space")));
    };
    if let Some(avail) = available_bytes() {
        if bytes as u64 > avail {
            return Err(PyMemoryError::new_err(format!(
                "{what} needs about {:.1} GiB, and this machine has {:.1} GiB available",
                gib(bytes as u64),
                gib(avail)
            )));
        }
    }
    let mut probe: Vec<u8> = Vec::new();
    probe
        .try_reserve_exact(bytes)
        .map_err(|_| PyMemoryError::new_err(format!("{what} needs about {:.1} GiB, which this process cannot allocate", gib(bytes as u64))))
}

/// A zeroed vector of `len` elements, checked and allocated fallibly.
pub fn zeroed<T: Copy + Default>(what: &str, len: usize) -> PyResult<Vec<T>> {
    check(what, len.checked_mul(std::mem::size_of::<T>()))?;
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| PyMemoryError::new_err(format!("{what}: cannot allocate {len} elements")))?;
    v.resize(len, T::default());
    Ok(v)
}
