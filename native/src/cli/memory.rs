//! What a batch costs in memory, checked before anything is allocated: `bench` and `run` (CPU
//! and GPU) refuse a batch larger than the machine's available memory with exit 2 and both
//! figures in GiB. The check is an estimate; the allocations themselves are fallible too (the
//! core's `Error::Alloc`), for what the estimate misses (an address-space limit, other
//! processes).

use fusegym::EnvInfo;

/// Bytes a CPU batch of `n` envs of `e` holds (its buffers, same-step final observations and
/// rollout statistics included), roughly, plus `extra_per_env` bytes per env that the command
/// keeps besides (action rings, episode counters, host copies).
pub fn batch_bytes(e: &EnvInfo, n: usize, extra_per_env: u128) -> u128 {
    let (s, o) = (e.state_names.len() as u128, e.obs_names.len() as u128);
    let per_env = 4 * (s + 2 * o + 5) + 2 + 24 + extra_per_env;
    per_env * n as u128
}

/// Memory this process may still use (Linux `MemAvailable`), if known.
pub fn available() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Err (exit 2) when `need` bytes for `--envs n` of `id` exceed the memory available.
pub fn check(id: &str, n: usize, need: u128) -> Result<(), String> {
    let gib = |b: u128| b as f64 / (1u64 << 30) as f64;
    match available() {
        Some(avail) if need > avail => {
            Err(format!("--envs {n}: {id} needs about {:.1} GiB, and this machine has {:.1} GiB available", gib(need), gib(avail)))
        }
        _ => Ok(()),
    }
}

/// A buffer of `len` copies of `value`, allocated fallibly (exit 2 naming `what` instead of an
/// abort when memory is short).
pub fn try_vec<T: Clone>(what: &str, len: usize, value: T) -> Result<Vec<T>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| {
        format!(
            "{what}: could not allocate {} bytes (out of memory or address space); use fewer envs",
            len as u128 * size_of::<T>() as u128
        )
    })?;
    v.resize(len, value);
    Ok(v)
}
