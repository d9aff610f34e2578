//! Checks at the JS boundary that the core cannot make for us: JavaScript numbers as counts,
//! the memory a batch will need, and policy buffer lengths. Plain Rust returning `String`
//! errors, so the unit tests run natively.

use fusegym_core::policy::linear_outputs;
use fusegym_core::registry::EnvInfo;
use fusegym_core::ActionSpace;

/// A JavaScript number as a count in `min..=max`: rejects NaN, infinities, fractions and values
/// out of range, naming `what`.
pub fn to_count(what: &str, value: f64, min: u64, max: u64) -> Result<usize, String> {
    if !value.is_finite() || value.fract() != 0.0 || value < min as f64 || value > max as f64 {
        return Err(format!("{what} must be an integer in {min}..={max}, got {value}"));
    }
    usize::try_from(value as u64).map_err(|_| format!("{what} = {value} does not fit in this platform's address space"))
}

/// Fixed headroom added to every reservation (allocator bookkeeping, small per-batch vectors).
const HEADROOM: usize = 1 << 20;

/// Bytes per env this crate holds besides the core's buffers and the action buffer (which the
/// core's estimate counts): the `elapsed()` copy (u32) and the reset mask, as bytes the page
/// writes and as the bools the core reads.
pub const CRATE_BYTES_PER_ENV: usize = 4 + 1 + 1;

/// An upper bound of the bytes a batch of `n` envs of `info` allocates over its life: every
/// buffer `VecEnv` holds (state, observations, same-step final observations packed and dense,
/// rewards, flags, step and episode counters, one column per parameter field, rollout
/// statistics) plus this crate's per-env buffers, with a quarter on top for allocator slack.
pub fn batch_bytes(info: &EnvInfo, n: usize) -> Result<usize, String> {
    let ours = n.checked_mul(CRATE_BYTES_PER_ENV);
    let bytes = info.batch_bytes(n).and_then(|b| b.checked_add(ours?)).and_then(|b| b.checked_add(HEADROOM));
    bytes.ok_or_else(|| {
        format!("{} x {n} envs: the buffers need more bytes than this platform can address (4 GiB on wasm32); use fewer envs", info.id)
    })
}

/// Makes sure `bytes` can be allocated now (growing wasm memory if needed) and gives them back
/// to the allocator, so the batch built next does not hit an allocation failure (which aborts
/// a wasm instance).
pub fn reserve(bytes: usize, id: &str, n: usize) -> Result<(), String> {
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(bytes).map_err(|_| {
        format!(
            "{id} x {n} envs needs about {} MiB, more than this wasm instance can allocate (wasm32 memory is at most 4 GiB); use fewer envs",
            bytes.div_ceil(1 << 20)
        )
    })
}

/// `len` copies of `value` in a buffer allocated fallibly, for `what` (named in the error with
/// its size): an allocation failure would abort the instance, and every batch in it.
pub fn try_filled<T: Clone>(what: &str, len: usize, value: T) -> Result<Vec<T>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| {
        format!(
            "{what}: {} bytes could not be allocated: this wasm instance's memory is full (wasm32 memory is at most 4 GiB, \
             shared by every batch in the instance); free other batches or use fewer envs",
            len.saturating_mul(size_of::<T>())
        )
    })?;
    v.resize(len, value);
    Ok(v)
}

/// A JavaScript number as the index of an env of a batch of `n` (`n >= 1`): NaN, infinities,
/// fractions, negative values and values from `n` up are errors (wasm-bindgen would pass
/// `2^32 + 5` as a `usize` of 5).
pub fn to_index(value: f64, n: usize) -> Result<usize, String> {
    if !value.is_finite() || value.fract() != 0.0 || value < 0.0 {
        return Err(format!("env index must be an integer in 0..={}, got {value}", n.saturating_sub(1)));
    }
    if value >= n as f64 {
        return Err(format!("env index {value} is out of range for a batch of {n}"));
    }
    Ok(value as usize)
}

/// wasm32's address space: no allocation, nor all of an instance's, can be larger.
pub const WASM32_MEMORY: u64 = 4 << 30;

/// Element counts of a recorded rollout of `steps` steps of `n` envs: `[steps][obs_dim][n]`
/// observations, `[steps][action_dim][n]` actions (f32 each) and `[steps][n]` of each of the
/// per-step rows (`rows`: f32 rewards, u8 flags); `extra` bytes per env and step come on top (a
/// GPU rollout's read-back words). Errors, naming the size and the limit, when all of it is
/// larger than wasm32's 4 GiB; returns `(obs, actions, per_step, bytes)`.
pub fn trajectory_lengths(steps: usize, od: usize, ad: usize, n: usize, extra: usize) -> Result<(usize, usize, usize, usize), String> {
    let cells = steps as u128 * n as u128;
    let per_cell = 4 * (od as u128 + ad as u128 + 1) + 2 + extra as u128;
    let bytes = cells * per_cell;
    if bytes > WASM32_MEMORY as u128 {
        return Err(format!(
            "rollout record: {steps} steps x {n} envs need {bytes} bytes ({} MiB) for the trajectory ({per_cell} bytes per env \
             and step), more than wasm32 memory's limit of {WASM32_MEMORY} bytes (4 GiB); record fewer steps per call, or fewer envs",
            bytes.div_ceil(1 << 20)
        ));
    }
    // Below 4 GiB, every count fits in usize (32 bits on wasm32).
    let cells = cells as usize;
    Ok((cells * od, cells * ad, cells, bytes as usize))
}

fn unallocatable(bytes: usize) -> String {
    format!(
        "rollout record: the trajectory's {bytes} bytes ({} MiB) could not be allocated: more than this wasm instance can \
         allocate (wasm32 memory's limit is {WASM32_MEMORY} bytes, 4 GiB, for everything in it); record fewer steps per call",
        bytes.div_ceil(1 << 20)
    )
}

/// Makes sure a trajectory of `bytes` bytes in all can be allocated now (as [`reserve`] does for
/// a batch), or the error naming its size and the limit (an allocation failure would abort the
/// instance).
pub fn reserve_trajectory(bytes: usize) -> Result<(), String> {
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(bytes).map_err(|_| unallocatable(bytes))
}

/// A zeroed buffer of `len` values, part of a trajectory of `bytes` bytes in all (the error
/// names those, as [`reserve_trajectory`]).
pub fn try_zeroed<T: Clone + Default>(len: usize, bytes: usize) -> Result<Vec<T>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| unallocatable(bytes))?;
    v.resize(len, T::default());
    Ok(v)
}

/// Checks a linear policy's buffer lengths (JS numbers) for `space`, `obs_dim` observations and
/// `n` envs: weights `outputs x obs_dim` and bias `outputs` (one policy), or both times `n`
/// (one policy per env). Returns them as `usize`.
pub fn policy_lengths(space: ActionSpace, obs_dim: usize, n: usize, weights: f64, bias: f64) -> Result<(usize, usize), String> {
    let outputs = linear_outputs(space);
    let shared_w = outputs * obs_dim;
    let (w, b) = (to_count("weights length", weights, 0, u32::MAX as u64)?, to_count("bias length", bias, 0, u32::MAX as u64)?);
    if (w, b) == (shared_w, outputs) {
        return Ok((w, b));
    }
    let per_env = |x: usize| x.checked_mul(n).ok_or_else(|| format!("per-env policy of {n} envs overflows this platform's address space"));
    let (per_w, per_b) = (per_env(shared_w)?, per_env(outputs)?);
    if (w, b) == (per_w, per_b) {
        return Ok((w, b));
    }
    Err(format!(
        "linear policy: got weights of length {w} and bias of length {b}; expected {shared_w} and {outputs} (one policy: \
         [outputs {outputs}][obs_dim {obs_dim}] and [outputs]), or {per_w} and {per_b} (one policy per env, feature-major \
         [outputs][obs_dim][numEnvs] and [outputs][numEnvs])"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_reject_non_integers_and_out_of_range() {
        assert_eq!(to_count("numEnvs", 4096.0, 1, u32::MAX as u64), Ok(4096));
        for bad in [0.0, -1.0, 1.5, f64::NAN, f64::INFINITY, 2f64.powi(32)] {
            let e = to_count("numEnvs", bad, 1, u32::MAX as u64).unwrap_err();
            assert!(e.starts_with("numEnvs must be an integer in 1..=4294967295"), "{e}");
        }
    }

    #[test]
    fn env_indices_are_checked_against_the_batch_never_wrapped() {
        assert_eq!(to_index(0.0, 8), Ok(0));
        assert_eq!(to_index(7.0, 8), Ok(7));
        assert_eq!(to_index(-0.0, 8), Ok(0));
        for big in [8.0, 2f64.powi(32) + 5.0, 2f64.powi(32), 2f64.powi(53), 1e300] {
            let e = to_index(big, 8).unwrap_err();
            assert!(e.starts_with(&format!("env index {big} is out of range for a batch of 8")), "{e}");
        }
        for bad in [-1.0, 0.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = to_index(bad, 8).unwrap_err();
            assert!(e.starts_with("env index must be an integer in 0..=7, got"), "{e}");
        }
    }

    #[test]
    fn buffers_are_allocated_fallibly_with_their_name_and_size() {
        assert_eq!(try_filled("mask", 3, 1u8), Ok(vec![1, 1, 1]));
        let e = try_filled("elapsed copy", usize::MAX / 8, 0u32).unwrap_err();
        assert!(e.starts_with("elapsed copy: ") && e.contains("could not be allocated") && e.contains("free other batches"), "{e}");
    }

    #[test]
    fn batch_bytes_bounds_the_buffers_and_overflows_cleanly() {
        let cart = fusegym_core::info("CartPole-v1").unwrap();
        let b = batch_bytes(cart, 1000).unwrap();
        // CartPole: 4 state, 4 obs, 2 actions... at least the obs, state and rewards.
        assert!(b > 1000 * 4 * (4 + 4 + 1) && b < 1000 * 400 + HEADROOM * 2, "{b}");
        let e = batch_bytes(cart, usize::MAX / 8).unwrap_err();
        assert!(e.contains("more bytes than this platform can address") && e.contains("use fewer envs"), "{e}");
    }

    #[test]
    fn reserving_too_much_is_an_error_not_an_abort() {
        let e = reserve(usize::MAX / 2, "CartPole-v1", 7).unwrap_err();
        assert!(e.contains("CartPole-v1 x 7 envs needs about") && e.contains("use fewer envs"), "{e}");
        reserve(1024, "CartPole-v1", 1).unwrap();
    }

    #[test]
    fn trajectory_lengths_count_every_buffer_and_name_the_limit() {
        // CartPole: 4 obs, 1 action: 4 x (4 + 1 + 1) + 2 = 26 bytes per env and step.
        assert_eq!(trajectory_lengths(10, 4, 1, 3, 0), Ok((120, 30, 30, 780)));
        assert_eq!(trajectory_lengths(0, 4, 1, 3, 0), Ok((0, 0, 0, 0)));
        let e = trajectory_lengths(u32::MAX as usize, 4, 1, u32::MAX as usize, 0).unwrap_err();
        assert!(e.contains("need 479615345693110042650 bytes") && e.contains("limit of 4294967296 bytes"), "{e}");
        // Just over the limit, counting the extra bytes.
        let n = (WASM32_MEMORY / 26) as usize + 1;
        assert!(trajectory_lengths(1, 4, 1, n, 0).unwrap_err().contains("more than wasm32 memory's limit"));
        assert!(trajectory_lengths(1, 4, 1, n - 1, 0).is_ok() && trajectory_lengths(1, 4, 1, n - 1, 1).is_err());
    }

    #[test]
    fn an_allocation_too_large_is_an_error() {
        let e = try_zeroed::<f32>(usize::MAX / 4, 1 << 31).unwrap_err();
        assert!(e.contains("2147483648 bytes (2048 MiB) could not be allocated") && e.contains("4 GiB"), "{e}");
        assert_eq!(try_zeroed::<u8>(3, 3), Ok(vec![0, 0, 0]));
    }

    #[test]
    fn policy_lengths_accept_shared_and_per_env_only() {
        let space = ActionSpace::Discrete { n: 2 };
        assert_eq!(policy_lengths(space, 4, 10, 8.0, 2.0), Ok((8, 2)));
        assert_eq!(policy_lengths(space, 4, 10, 80.0, 20.0), Ok((80, 20)));
        let e = policy_lengths(space, 4, 10, 8.0, 20.0).unwrap_err();
        assert!(e.contains("got weights of length 8 and bias of length 20") && e.contains("or 80 and 20"), "{e}");
        assert_eq!(policy_lengths(space, 4, usize::MAX / 2, 8.0, 2.0), Ok((8, 2)));
        let e = policy_lengths(space, 4, usize::MAX / 2, 9.0, 2.0).unwrap_err();
        assert!(e.contains("overflows"), "{e}");
        let boxed = ActionSpace::uniform_box(3, -1.0, 1.0);
        assert_eq!(policy_lengths(boxed, 9, 1, 27.0, 3.0), Ok((27, 3)));
    }
}
