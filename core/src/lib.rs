//! # fusegym-core
//!
//! The `no_std` heart of fusegym: vectorized reinforcement-learning environments whose whole
//! step (physics, reward, termination, truncation, observation and same-step auto-reset) runs
//! as **one fused pass** over a structure-of-arrays batch.
//!
//! * Each environment in [`envs`] writes its step once, generic over a [`Lane`] type, and
//!   runs as scalar `f32`, as portable SIMD (`wide::f32x4` / `wide::f32x8`) and, on x86_64
//!   CPUs that have them, as AVX-512 or AVX2 chosen at run time ([`SimdPath`]). All lane types produce
//!   bit-identical results: the step uses only IEEE-exact operations (`+ - * /`, `sqrt`,
//!   compares, selects) and the shared polynomials in [`math`].
//! * Resets and random actions draw from a counter-based [`rng`] keyed by
//!   `(seed, global env index, episode, draw)`, so a shard of a batch reproduces the
//!   matching envs of the unsplit batch exactly.
//! * Gymnasium's three autoreset modes ([`Autoreset`]) and per-env parameters (shared, one
//!   value per env, or drawn from ranges: [`ParamValue`], [`ParamRanges`]) are chosen at
//!   construction; every env declares its parameters once with [`params!`].
//! * [`VecEnv`] is the static API (env type known at compile time, [`VecEnv::builder`]);
//!   [`make`] / [`make_with`] are the dynamic one used by front-ends (CLI, wasm).
//!
//! Layout of every batch buffer: **feature-major** (structure of arrays). Component `k` of
//! env `i` lives at `buf[k * num_envs + i]`; a buffer with one component per env is just
//! `buf[i]`.
//!
//! The design notes live in `docs/ARCHITECTURE.md`.
#![no_std]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod checks;
pub mod config;
pub mod envs;
pub mod error;
pub mod exec;
pub mod kernel;
pub mod lane;
pub mod math;
pub mod params;
pub mod policy;
pub mod record;
pub mod registry;
pub mod rng;
pub mod rollout;
pub mod simd;
pub mod spec;
pub mod vec_env;

pub use config::{Autoreset, Builder, EnvConfig, ParamRanges, ParamValue};
pub use error::Error;
pub use exec::{Executor, Serial};
pub use lane::{Lane, Mask, U32Lane};
pub use params::{ParamField, ParamSet, Valid};
pub use policy::Policy;
pub use registry::{info, make, make_shard, make_with, DynVecEnv, EnvInfo, ENVS, ENV_IDS};
pub use rollout::{RolloutStats, Trajectory};
pub use simd::{Backend, SimdPath};
pub use spec::{ActionSpace, Actions, Env, EnvSpec, ObsSpace, ParamLanes, RefConst, Transition};
pub use vec_env::{FinalObs, StepView, VecEnv};
