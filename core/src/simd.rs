//! Which lane type runs the step, chosen once per batch and reported to the user.

use crate::error::Error;
use crate::kernel::{self, Buffers};
#[cfg(all(target_arch = "x86_64", feature = "std"))]
use crate::lane::x86::{Avx2, Avx512};
use crate::lane::Lane;
use crate::policy::Checked;
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

// A path's discriminant is its index in `SimdPath::ALL` (how `Kernels` finds its table):
// checked when this crate compiles.
const _: () = {
    let mut i = 0;
    while i < SimdPath::ALL.len() {
        assert!(SimdPath::ALL[i] as usize == i, "SimdPath::ALL must list the variants in declaration order");
        i += 1;
    }
};

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

/// An env's kernels on one lane path, the step and the rollout (every policy), each for shared
/// (`[0]`) and per-env (`[1]`) parameters (two kernels, so the shared path keeps its parameters
/// as hoisted constants).
pub struct PathKernels<E: Env> {
    pub(crate) step: [StepFn<E>; 2],
    pub(crate) rollout: [RolloutFn<E, Checked>; 2],
}

/// Builds one path's table, or says why this CPU or build cannot run the path.
type PathTable<E> = fn() -> Result<PathKernels<E>, Error>;

/// An env's step and rollout kernels on every lane path ([`SimdPath::ALL`]'s order), as the
/// crate that built this table compiled them (see [`Env::kernels`]).
pub struct Kernels<E: Env> {
    paths: [PathTable<E>; 5],
}

impl<E: Env> Kernels<E> {
    /// Every kernel of `E`, compiled in the crate whose non-generic code calls this, in one
    /// codegen unit (an env declared outside this crate; this crate's envs use
    /// `compiled_here!`, which splits them).
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Kernels { paths: [PathKernels::scalar, PathKernels::wide4, PathKernels::wide8, PathKernels::avx2, PathKernels::avx512] }
    }

    /// The table of each path, in [`SimdPath::ALL`]'s order.
    pub(crate) fn from_paths(paths: [PathTable<E>; 5]) -> Self {
        Kernels { paths }
    }

    /// The kernels on `path`, or the error for a path this CPU or build cannot run.
    fn on(&self, path: SimdPath) -> Result<PathKernels<E>, Error> {
        (self.paths[path as usize])()
    }

    /// The step on `path`.
    pub(crate) fn step(&self, path: SimdPath, per_env: bool) -> Result<StepFn<E>, Error> {
        Ok(self.on(path)?.step[usize::from(per_env)])
    }

    /// The rollout on `path`.
    pub(crate) fn rollout(&self, path: SimdPath, per_env: bool) -> Result<RolloutFn<E, Checked>, Error> {
        Ok(self.on(path)?.rollout[usize::from(per_env)])
    }
}

/// `fn kernels()` for an [`Env`] impl of this crate, with [`compile_kernels!`] invoked beside
/// the impl: every kernel of the env compiled once, here, one lane path per module.
///
/// Why here: Rust shares no generic instantiation between crates in an optimised build, so
/// with the trait's default every crate that steps an env (the CLI, each test binary, the
/// benches) compiled all its kernels again: 5-9 minutes per test binary on a 2-core machine.
///
/// Why one module per path: rustc places an instance of a generic function in the codegen unit
/// of the module that declares it, and an `inline` one in the unit of its caller, so with one
/// generic table every kernel of every env (then 6 envs x 5 paths x 4 kernels, one per policy,
/// x 2 parameter kinds x 3 autoreset modes) was one LLVM module: one thread for 5 minutes and
/// 8.6 GB of memory for the core alone (`cargo rustc -p fusegym-core --release -- -Z
/// time-passes`, 2-core machine). A non-generic table per (env, path) in a module of its own is
/// a codegen unit of its own (`docs/benchmarks.md`, "Building it").
macro_rules! compiled_here {
    () => {
        fn kernels() -> $crate::simd::Kernels<Self> {
            $crate::simd::Kernels::from_paths([
                self::compiled_kernels::scalar::table,
                self::compiled_kernels::wide4::table,
                self::compiled_kernels::wide8::table,
                self::compiled_kernels::avx2::table,
                self::compiled_kernels::avx512::table,
            ])
        }
    };
}
pub(crate) use compiled_here;

/// The per-path tables that [`compiled_here!`] refers to, for env `$env` of the module this is
/// invoked in. `inline(never)`: a table inlined into its caller would put its kernels back in
/// the caller's codegen unit.
macro_rules! compile_kernels {
    ($env:ident) => {
        /// This env's kernels, one lane path per module (so per codegen unit: see
        /// `simd::compiled_here!`).
        mod compiled_kernels {
            $crate::simd::compile_kernels!(@path $env, scalar);
            $crate::simd::compile_kernels!(@path $env, wide4);
            $crate::simd::compile_kernels!(@path $env, wide8);
            $crate::simd::compile_kernels!(@path $env, avx2);
            $crate::simd::compile_kernels!(@path $env, avx512);
        }
    };
    (@path $env:ident, $path:ident) => {
        pub(super) mod $path {
            use $crate::simd::PathKernels;
            #[inline(never)]
            pub(in super::super) fn table() -> Result<PathKernels<super::super::$env>, $crate::Error> {
                PathKernels::$path()
            }
        }
    };
}
pub(crate) use compile_kernels;

/// The error for a path this CPU or build cannot run.
fn unavailable(path: SimdPath) -> Error {
    Error::SimdUnavailable { path: path.name(), available: SimdPath::available_list() }
}

impl<E: Env> PathKernels<E> {
    /// The kernels on the portable lane type `L`. `inline(always)`, as every table below: the
    /// kernels it names are compiled in the codegen unit of the table's non-inline caller.
    #[inline(always)]
    fn of<L: Lane>() -> Self {
        PathKernels {
            step: [kernel::step_range::<E, L, false>, kernel::step_range::<E, L, true>],
            rollout: [kernel::rollout_range::<E, L, Checked, false>, kernel::rollout_range::<E, L, Checked, true>],
        }
    }

    /// [`SimdPath::Scalar`].
    #[inline(always)]
    pub(crate) fn scalar() -> Result<Self, Error> {
        Ok(Self::of::<f32>())
    }

    /// [`SimdPath::Wide4`].
    #[inline(always)]
    pub(crate) fn wide4() -> Result<Self, Error> {
        #[cfg(not(all(target_arch = "wasm32", not(target_feature = "simd128"))))]
        return Ok(Self::of::<wide::f32x4>());
        #[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
        return Err(unavailable(SimdPath::Wide4));
    }

    /// [`SimdPath::Wide8`].
    #[inline(always)]
    pub(crate) fn wide8() -> Result<Self, Error> {
        #[cfg(not(target_arch = "wasm32"))]
        return Ok(Self::of::<wide::f32x8>());
        #[cfg(target_arch = "wasm32")]
        return Err(unavailable(SimdPath::Wide8));
    }

    /// [`SimdPath::Avx2`]. The x86 kernels come only from a capability token (`lane::x86`), so a
    /// path this CPU lacks is an error here, not a crash.
    #[inline(always)]
    pub(crate) fn avx2() -> Result<Self, Error> {
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        return Ok(Avx2::detect().ok_or_else(|| unavailable(SimdPath::Avx2))?.kernels::<E>());
        #[cfg(not(all(target_arch = "x86_64", feature = "std")))]
        return Err(unavailable(SimdPath::Avx2));
    }

    /// [`SimdPath::Avx512`], from its token as [`PathKernels::avx2`].
    #[inline(always)]
    pub(crate) fn avx512() -> Result<Self, Error> {
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        return Ok(Avx512::detect().ok_or_else(|| unavailable(SimdPath::Avx512))?.kernels::<E>());
        #[cfg(not(all(target_arch = "x86_64", feature = "std")))]
        return Err(unavailable(SimdPath::Avx512));
    }
}
