//! # fusegym-gpu
//!
//! fusegym's fused step on the GPU: the same environments, autoreset modes, parameters and
//! counter-based RNG as the CPU core, as WGSL compute shaders run through wgpu (Vulkan, Metal
//! and DX12 natively; WebGPU in browsers on wasm32).
//!
//! * [`GpuContext`] finds an adapter and opens a device; with none it fails with
//!   [`GpuError::NoAdapter`], never silently running on the CPU.
//! * [`GpuVecEnv`] is a batch resident on the GPU with the CPU `VecEnv`'s shape of API, double
//!   buffered readback ([`GpuVecEnv::submit_step`] / [`GpuVecEnv::read_step`]), device rollouts
//!   ([`GpuVecEnv::rollout`]) and its buffers open to your own pipelines ([`GpuBuffers`]). A
//!   batch whose buffers exceed the adapter's binding limit runs in chunks ([`GpuChunk`]).
//! * The shaders (`shaders/`) mirror `core/src/` function for function; [`compose`] joins them
//!   with a prelude generated from the core's parameter and record declarations.
//!
//! Results agree with the CPU within the tolerance derived in `docs/parity.md` ("GPU"), not bit
//! for bit: WGSL lets compilers contract `a * b + c` into a fused multiply-add, and its `/` and
//! `sqrt` are not correctly rounded. Design and usage: `docs/gpu.md`.
#![warn(missing_docs)]

mod chunks;
pub mod compose;
mod context;
mod error;
pub mod layout;
mod pipelines;
mod policy;
mod readback;
mod timing;
mod vec_env;

pub use chunks::GpuChunk;
#[cfg(not(target_arch = "wasm32"))]
pub use context::adapters;
pub use context::{describe, GpuContext};
pub use error::GpuError;
pub use vec_env::{GpuBuffers, GpuRolloutStats, GpuTrajectory, GpuVecEnv, HostStep, CTL_STRIDE};
pub use wgpu;

/// Parses and validates a WGSL module with naga (what wgpu does on shader creation), returning
/// the module or the error as text (native).
#[cfg(not(target_arch = "wasm32"))]
pub fn validate_wgsl(source: &str) -> Result<wgpu::naga::Module, String> {
    use wgpu::naga;
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
        .validate(&module)
        .map_err(|e| e.emit_to_string(source))?;
    Ok(module)
}
