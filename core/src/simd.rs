//! Which lane type runs the step, chosen once per batch and reported to the user.

use crate::error::Error;
use crate::kernel::{self, Buffers};
#[cfg(all(target_arch = "x86_64", feature = "std"))]
use crate::lane::x86::{Avx2, Avx512};
use crate::policy::{ConstantPolicy, LanePolicy, LinearPolicy, RandomPolicy};
use crate::spec::Env;
use core::fmt;

/// The code path a batch steps with. All paths give bit-identical results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SimdPath {
    /// One env at a time (`f32`).
    Scalar,
    /// `wide::f32x4`: simd128 on wasm32, SSE2/NEON elsewhere.
    Wide4,
    /// `wide::f32x8`: the portable 8-wide path (two SSE2 halves on default x86_64 builds).
    Wide8,
    /// AVX2 intrinsics, 8 lanes, selected at run time on x86_64.
    Avx2,
    /// AVX-512 (F, VL, DQ, BW) intrinsics, 16 lanes, selected at run time on x86_64.
    Avx512,
}

impl SimdPath {
    /// Every path, in order of preference (best last).
    pub const ALL: [SimdPath; 5] = [SimdPath::Scalar, SimdPath::Wide4, SimdPath::Wide8, SimdPath::Avx2, SimdPath::Avx512];

    /// Short name used by the CLI and reports.
    pub fn name(self) -> &'static str {
        match self {
            SimdPath::Scalar => "scalar",
            SimdPath::Wide4 => "wide-f32x4",
            SimdPath::Wide8 => "wide-f32x8",
            SimdPath::Avx2 => "avx2-f32x8",
            SimdPath::Avx512 => "avx512-f32x16",
        }
    }

    /// Envs per lane group.
    pub fn width(self) -> usize {
        match self {
            SimdPath::Scalar => 1,
            SimdPath::Wide4 => 4,
            SimdPath::Wide8 | SimdPath::Avx2 => 8,
            SimdPath::Avx512 => 16,
        }
    }

    /// Whether this CPU and build can run the path. wasm32 builds leave out the paths that
    /// would only be slower there, which also keeps their kernels out of the module: `Wide8`
    /// (two simd128 halves, no gain over `Wide4`), and in a build without simd128 every `wide`
    /// path (emulated vectors run several times slower than scalar code).
    pub fn is_available(self) -> bool {
        match self {
            SimdPath::Scalar => true,
            SimdPath::Wide4 => !cfg!(all(target_arch = "wasm32", not(target_feature = "simd128"))),
            SimdPath::Wide8 => !cfg!(target_arch = "wasm32"),
            SimdPath::Avx2 => avx2_available(),
            SimdPath::Avx512 => avx512_available(),
        }
    }

    /// The fastest SIMD path on this machine: AVX-512 when the CPU has F, VL, DQ and BW, else
    /// AVX2 when it has that (x86_64), else the portable `wide` path native to the build (f32x4 on wasm32 with simd128, f32x8 on other
    /// 64-bit targets). A wasm32 build without simd128 gets `Scalar`: emulated `wide` vectors
    /// run several times slower than plain scalar code there.
    pub fn best() -> SimdPath {
        if avx512_available() {
            SimdPath::Avx512
        } else if avx2_available() {
            SimdPath::Avx2
        } else if cfg!(all(target_arch = "wasm32", not(target_feature = "simd128"))) {
            SimdPath::Scalar
        } else if cfg!(target_arch = "wasm32") {
            SimdPath::Wide4
        } else {
            SimdPath::Wide8
        }
    }

    /// Paths available here, comma separated (for errors and reports).
    pub fn available_list() -> alloc::string::String {
        let mut s = alloc::string::String::new();
        for p in SimdPath::ALL.iter().filter(|p| p.is_available()) {
            if !s.is_empty() {
                s.push_str(", ");
            }
            s.push_str(p.name());
        }
        s
    }

    /// Parses a name as printed by [`SimdPath::name`].
    pub fn from_name(name: &str) -> Option<SimdPath> {
        SimdPath::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for SimdPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a user asks for: the scalar reference or the best SIMD path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backend {
    /// [`SimdPath::Scalar`].
    Scalar,
    /// [`SimdPath::best`] (the default).
    #[default]
    Simd,
}

impl Backend {
    /// The path this backend runs on this machine.
    pub fn path(self) -> SimdPath {
        match self {
            Backend::Scalar => SimdPath::Scalar,
            Backend::Simd => SimdPath::best(),
        }
    }
}

#[cfg(all(target_arch = "x86_64", feature = "std"))]
fn avx2_available() -> bool {
    Avx2::detect().is_some()
}
#[cfg(not(all(target_arch = "x86_64", feature = "std")))]
fn avx2_available() -> bool {
    false
}

#[cfg(all(target_arch = "x86_64", feature = "std"))]
fn avx512_available() -> bool {
    Avx512::detect().is_some()
}
#[cfg(not(all(target_arch = "x86_64", feature = "std")))]
fn avx512_available() -> bool {
    false
}

/// The largest value of `a` (0 when empty): AVX2's unsigned max where the CPU has it, else a
/// plain fold (vectorised with the build's own instruction set).
pub(crate) fn max_u32(a: &[u32]) -> u32 {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if let Some(avx2) = Avx2::detect() {
        return avx2.max_u32(a);
    }
    a.iter().fold(0, |m, &x| m.max(x))
}

/// A monomorphised step over a range of envs.
pub(crate) type StepFn<E> = unsafe fn(&<E as Env>::Params, &Buffers, usize, usize);

/// A monomorphised rollout over a range of envs.
pub(crate) type RolloutFn<E, P> = unsafe fn(&<E as Env>::Params, &Buffers, &P, &kernel::RolloutBuffers, usize, usize, usize);

/// Picks a kernel for a path and for shared (`false`) or per-env (`true`) parameters.
type Selector<F> = fn(SimdPath, bool) -> Result<F, Error>;

/// An env's step and rollout kernels on every lane type, as the crate that built this table
/// compiled them (see [`Env::kernels`]).
pub struct Kernels<E: Env> {
    step: Selector<StepFn<E>>,
    pub(crate) random: Selector<RolloutFn<E, RandomPolicy>>,
    pub(crate) constant: Selector<RolloutFn<E, ConstantPolicy>>,
    pub(crate) linear: Selector<RolloutFn<E, LinearPolicy>>,
}

impl<E: Env> Kernels<E> {
    /// Every kernel of `E`, compiled in the crate whose non-generic code calls this.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Kernels {
            step: step_fn::<E>,
            random: rollout_fn::<E, RandomPolicy>,
            constant: rollout_fn::<E, ConstantPolicy>,
            linear: rollout_fn::<E, LinearPolicy>,
        }
    }

    /// The step on `path`.
    pub(crate) fn step(&self, path: SimdPath, per_env: bool) -> Result<StepFn<E>, Error> {
        (self.step)(path, per_env)
    }

    /// The rollout with policy `P` on `path`.
    pub(crate) fn rollout<P: LanePolicy>(&self, path: SimdPath, per_env: bool) -> Result<RolloutFn<E, P>, Error> {
        P::kernel(self)(path, per_env)
    }
}

/// `fn kernels()` for an [`Env`] impl of this crate: the table built, and so every kernel of
/// the env compiled, once here. Rust shares no generic instantiation between crates in an
/// optimised build, so with the trait's default every crate that steps an env (the CLI, each
/// test binary, the benches) compiled all its kernels again: 5-9 minutes per test binary on
/// a 2-core machine, most of CI's time.
macro_rules! compiled_here {
    () => {
        #[inline(never)]
        fn kernels() -> $crate::simd::Kernels<Self> {
            $crate::simd::Kernels::new()
        }
    };
}
pub(crate) use compiled_here;

/// The error for a path this CPU or build cannot run.
fn unavailable(path: SimdPath) -> Error {
    Error::SimdUnavailable { path: path.name(), available: SimdPath::available_list() }
}

/// The step of env `E` on `path`, for shared or per-env parameters (two kernels, so the shared
/// path keeps its parameters as hoisted constants). The x86 kernels come only from a
/// capability token (`lane::x86`), so a path this CPU lacks is an error here, not a crash.
fn step_fn<E: Env>(path: SimdPath, per_env: bool) -> Result<StepFn<E>, Error> {
    if per_env {
        step_fn_of::<E, true>(path)
    } else {
        step_fn_of::<E, false>(path)
    }
}

fn step_fn_of<E: Env, const PER_ENV: bool>(path: SimdPath) -> Result<StepFn<E>, Error> {
    Ok(match path {
        SimdPath::Scalar => kernel::step_range::<E, f32, PER_ENV>,
        #[cfg(not(all(target_arch = "wasm32", not(target_feature = "simd128"))))]
        SimdPath::Wide4 => kernel::step_range::<E, wide::f32x4, PER_ENV>,
        #[cfg(not(target_arch = "wasm32"))]
        SimdPath::Wide8 => kernel::step_range::<E, wide::f32x8, PER_ENV>,
        #[cfg(target_arch = "wasm32")]
        SimdPath::Wide8 => return Err(unavailable(path)),
        #[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
        SimdPath::Wide4 => return Err(unavailable(path)),
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        SimdPath::Avx2 => Avx2::detect().ok_or_else(|| unavailable(path))?.step::<E, PER_ENV>(),
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        SimdPath::Avx512 => Avx512::detect().ok_or_else(|| unavailable(path))?.step::<E, PER_ENV>(),
        #[cfg(not(all(target_arch = "x86_64", feature = "std")))]
        SimdPath::Avx2 | SimdPath::Avx512 => return Err(unavailable(path)),
    })
}

/// The rollout of env `E` with policy `P` on `path`, for shared or per-env parameters.
fn rollout_fn<E: Env, P: LanePolicy>(path: SimdPath, per_env: bool) -> Result<RolloutFn<E, P>, Error> {
    if per_env {
        rollout_fn_of::<E, P, true>(path)
    } else {
        rollout_fn_of::<E, P, false>(path)
    }
}

fn rollout_fn_of<E: Env, P: LanePolicy, const PER_ENV: bool>(path: SimdPath) -> Result<RolloutFn<E, P>, Error> {
    Ok(match path {
        SimdPath::Scalar => kernel::rollout_range::<E, f32, P, PER_ENV>,
        #[cfg(not(all(target_arch = "wasm32", not(target_feature = "simd128"))))]
        SimdPath::Wide4 => kernel::rollout_range::<E, wide::f32x4, P, PER_ENV>,
        #[cfg(not(target_arch = "wasm32"))]
        SimdPath::Wide8 => kernel::rollout_range::<E, wide::f32x8, P, PER_ENV>,
        #[cfg(target_arch = "wasm32")]
        SimdPath::Wide8 => return Err(unavailable(path)),
        #[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
        SimdPath::Wide4 => return Err(unavailable(path)),
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        SimdPath::Avx2 => Avx2::detect().ok_or_else(|| unavailable(path))?.rollout::<E, P, PER_ENV>(),
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        SimdPath::Avx512 => Avx512::detect().ok_or_else(|| unavailable(path))?.rollout::<E, P, PER_ENV>(),
        #[cfg(not(all(target_arch = "x86_64", feature = "std")))]
        SimdPath::Avx2 | SimdPath::Avx512 => return Err(unavailable(path)),
    })
}
