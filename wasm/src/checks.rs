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

/// An upper bound of the bytes a batch of `n` envs of `info` allocates over its life: every
/// buffer `VecEnv` holds (state, observations, same-step final observations packed and dense,
/// rewards, flags, step and episode counters, one column per parameter field, rollout
/// statistics) plus this crate's action buffer, with a quarter on top for allocator slack.
pub fn batch_bytes(info: &EnvInfo, n: usize) -> Result<usize, String> {
    let (od, sd, ad, np) = (info.obs_names.len(), info.state_names.len(), info.action_names.len(), info.params.len());
    // 4-byte values per env: state, obs, packed + dense final obs, final index, elapsed, episode,
    // reward, parameter columns, actions; 8-byte: three rollout statistics; 1-byte: two flags.
    let words = sd + 3 * od + 4 + np + ad.max(1);
    let per_env = 4 * words + 8 * 3 + 2;
    let bytes = per_env.checked_mul(n).and_then(|b| b.checked_add(b / 4)).and_then(|b| b.checked_add(HEADROOM));
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
