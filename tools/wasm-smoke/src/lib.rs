//! A `no_std` cdylib that proves `fusegym-core` links and runs on `wasm32-unknown-unknown`
//! with nothing but `core` + `alloc`: no std, no wasm-bindgen, no imports. The module exports
//! plain C-ABI functions that `scripts/check-wasm.sh` calls from node.
//!
//! On wasm32 this crate brings its own `#[panic_handler]` and global allocator. On other
//! targets it links `std` (for the native reference test and so that `cargo build
//! --workspace` keeps working on the host).
#![no_std]

extern crate alloc;
#[cfg(not(target_arch = "wasm32"))]
extern crate std;

use fusegym_core::envs::CartPole;
use fusegym_core::{Actions, SimdPath, VecEnv};

/// Seed of every batch made here.
const SEED: u64 = 1;

/// Index of `p` in [`SimdPath::ALL`] (Scalar = 0, Wide4 = 1, Wide8 = 2, Avx2 = 3).
fn path_index(p: SimdPath) -> u32 {
    SimdPath::ALL.iter().position(|q| *q == p).map_or(u32::MAX, |i| i as u32)
}

/// Steps a CartPole batch of `n` envs `steps` times with every action 1 and returns the sum of
/// all rewards (CartPole pays exactly 1.0 per env and step, so this is `n * steps`), or NaN if
/// the batch cannot be made or a step is rejected.
#[no_mangle]
pub extern "C" fn smoke(n: u32, steps: u32) -> f32 {
    let Ok(mut env) = VecEnv::<CartPole>::new(n as usize, SEED) else {
        return f32::NAN;
    };
    let actions = alloc_actions(n as usize);
    let mut sum = 0.0f32;
    for _ in 0..steps {
        let Ok(v) = env.step(Actions::Discrete(&actions)) else {
            return f32::NAN;
        };
        sum += v.reward.iter().sum::<f32>();
    }
    sum
}

/// [`SimdPath::best`] for this build as an index into [`SimdPath::ALL`]: 1 (`Wide4`) on
/// wasm32 with simd128, 0 (`Scalar`) without.
#[no_mangle]
pub extern "C" fn simd_path() -> u32 {
    path_index(SimdPath::best())
}

/// FNV-1a digest of everything a CartPole batch of `n` envs shows over `steps` steps with
/// every action 1 (reset observations, then after each step: observations, rewards, flags,
/// final observations of the envs that finished, episode numbers), stepped on
/// `SimdPath::ALL[path]`. Every lane path must give the same digest, on every target.
/// Returns 0 if `path` is out of range or unavailable, or the batch cannot be made.
#[no_mangle]
pub extern "C" fn digest(n: u32, steps: u32, path: u32) -> u32 {
    let Some(&p) = SimdPath::ALL.get(path as usize) else {
        return 0;
    };
    let Ok(mut env) = VecEnv::<CartPole>::new(n as usize, SEED) else {
        return 0;
    };
    if env.set_simd_path(p).is_err() {
        return 0;
    }
    let n = n as usize;
    let obs_dim = env.obs_dim();
    let actions = alloc_actions(n);
    let mut h = Fnv::new();
    env.obs().iter().for_each(|x| h.u32(x.to_bits()));
    for _ in 0..steps {
        let Ok(v) = env.step(Actions::Discrete(&actions)) else {
            return 0;
        };
        v.obs.iter().chain(v.reward).for_each(|x| h.u32(x.to_bits()));
        for i in 0..n {
            let done = v.terminated[i] || v.truncated[i];
            h.u32(v.terminated[i] as u32 | (v.truncated[i] as u32) << 1);
            if done {
                (0..obs_dim).for_each(|k| h.u32(v.final_obs.get(i).unwrap()[k].to_bits()));
            }
        }
        env.episodes().iter().for_each(|&e| h.u32(e));
    }
    h.0
}

/// The constant action (push right) for every env.
fn alloc_actions(n: usize) -> alloc::vec::Vec<u32> {
    alloc::vec![1u32; n]
}

/// 32-bit FNV-1a over little-endian words.
struct Fnv(u32);
impl Fnv {
    fn new() -> Self {
        Fnv(0x811c_9dc5)
    }
    fn u32(&mut self, w: u32) {
        for b in w.to_le_bytes() {
            self.0 = (self.0 ^ b as u32).wrapping_mul(0x0100_0193);
        }
    }
}

/// Aborts (a wasm `unreachable` trap): there is no one to print to.
#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: bump::Bump = bump::Bump::new();

/// A bump allocator over pages taken with `memory.grow`: never frees. Enough for a smoke test
/// that makes a few batches; a long-lived module would want a real allocator.
#[cfg(target_arch = "wasm32")]
mod bump {
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::Cell;

    const PAGE: usize = 65536;

    pub struct Bump {
        next: Cell<usize>,
        end: Cell<usize>,
    }

    // SAFETY: wasm32-unknown-unknown without the atomics feature has a single thread.
    unsafe impl Sync for Bump {}

    impl Bump {
        pub const fn new() -> Self {
            Bump { next: Cell::new(0), end: Cell::new(0) }
        }
    }

    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let align = l.align(); // a power of two
            let mut start = (self.next.get() + align - 1) & !(align - 1);
            if start.checked_add(l.size()).is_none_or(|e| e > self.end.get()) {
                // Grow by enough fresh pages for this request; any rest of the old chunk is
                // left unused. Fresh pages start 64 KiB aligned; `+ align` covers larger aligns.
                let pages = (l.size() + align).div_ceil(PAGE);
                let old = core::arch::wasm32::memory_grow(0, pages);
                if old == usize::MAX {
                    return core::ptr::null_mut();
                }
                start = (old * PAGE + align - 1) & !(align - 1);
                self.end.set((old + pages) * PAGE);
            }
            self.next.set(start + l.size());
            start as *mut u8
        }

        unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::println;

    /// The reference the wasm builds are checked against. `scripts/check-wasm.sh` reads the
    /// `native-reference` line (run with `--nocapture`).
    #[test]
    fn native_reference() {
        let (n, steps) = (203, 100);
        assert_eq!(smoke(n, steps), (n * steps) as f32);
        let best = SimdPath::best();
        let d = digest(n, steps, path_index(best));
        assert_ne!(d, 0);
        assert_eq!(digest(n, steps, path_index(SimdPath::Scalar)), d, "{best} differs from scalar");
        println!("native-reference smoke={} digest={d} path={best}", smoke(n, steps));
    }
}
