//! The one error type of the GPU backend.

/// What can go wrong on the GPU path. Input errors of the core (unknown env, bad parameter,
/// wrong action length ...) come through unchanged as [`GpuError::Core`].
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No GPU adapter: nothing is run on the CPU instead.
    #[error(
        "no GPU adapter found ({detail}); fusegym does not fall back to the CPU. For a software adapter on Linux \
         install Mesa's Vulkan drivers (Debian/Ubuntu: apt-get install mesa-vulkan-drivers libvulkan1), or pick a CPU backend"
    )]
    NoAdapter {
        /// What wgpu reported.
        detail: String,
    },
    /// The adapter refused the device (limits or features).
    #[error("the GPU adapter {adapter:?} refused a device: {detail}")]
    Device {
        /// Adapter name.
        adapter: String,
        /// What wgpu reported.
        detail: String,
    },
    /// A buffer would exceed what the adapter can bind or allocate.
    #[error("{what} needs {bytes} bytes, above the adapter's limit of {limit} bytes ({limit_name}); use fewer envs")]
    TooLarge {
        /// Which buffer.
        what: &'static str,
        /// Bytes needed.
        bytes: u64,
        /// The adapter's limit.
        limit: u64,
        /// Which limit.
        limit_name: &'static str,
    },
    /// The device could not allocate a batch's buffers (wgpu's out-of-memory error, caught in
    /// an error scope instead of wgpu's uncaptured-error panic).
    #[error("the GPU is out of memory for {what} ({detail}); use fewer envs")]
    OutOfMemory {
        /// What was being allocated.
        what: String,
        /// What wgpu reported.
        detail: String,
    },
    /// The env has no shader (every registered env has one; see `SHADERS`).
    #[error("environment {id} has no GPU shader")]
    NoShader {
        /// Env id.
        id: String,
    },
    /// A GPU operation failed (shader compilation, validation, mapping, device lost).
    #[error("GPU error: {0}")]
    Wgpu(String),
    /// Bad input, as the CPU backend reports it.
    #[error(transparent)]
    Core(#[from] fusegym_core::Error),
    /// The call needs something this batch lacks (e.g. reading a step that was not submitted).
    #[error("{0}")]
    State(&'static str),
}
