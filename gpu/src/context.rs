//! Adapter and device: found once, shared by every batch built on them.

use crate::error::GpuError;
#[cfg(not(target_arch = "wasm32"))]
use std::future::Future;

/// A GPU device and its queue, plus what the backend learned about the adapter.
#[derive(Clone, Debug)]
pub struct GpuContext {
    /// The adapter the device came from.
    pub adapter: wgpu::Adapter,
    /// The device: create your own pipelines and bind groups on it to read a batch's buffers.
    pub device: wgpu::Device,
    /// Its queue: submit your own work here, in order with the batch's.
    pub queue: wgpu::Queue,
    /// Name, backend, device type and driver of the adapter.
    pub info: wgpu::AdapterInfo,
    /// Whether the device records GPU timestamps (`Features::TIMESTAMP_QUERY`).
    pub timestamps: bool,
}

/// Adapter name, backend and type in one line, e.g. `llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan,
/// Cpu, driver "llvmpipe")`.
pub fn describe(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?}, driver {:?} {:?})", info.name, info.backend, info.device_type, info.driver, info.driver_info)
}

/// An instance over every backend of the build, or those named in `WGPU_BACKEND` (e.g.
/// `vulkan`; wgpu's own variable, so a user can pick one, and tests can ask for one this machine
/// lacks).
fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = desc.backends.with_env();
    wgpu::Instance::new(desc)
}

impl GpuContext {
    /// The highest-performance adapter the platform offers, with its own limits (so large
    /// batches may bind more than WebGPU's defaults where the hardware allows) and timestamp
    /// queries when offered. Fails with [`GpuError::NoAdapter`] when there is none.
    pub async fn new_async() -> Result<GpuContext, GpuError> {
        let instance = instance();
        let options = wgpu::RequestAdapterOptions { power_preference: wgpu::PowerPreference::HighPerformance, ..Default::default() };
        let adapter = instance.request_adapter(&options).await.map_err(|e| GpuError::NoAdapter { detail: e.to_string() })?;
        Self::from_adapter(adapter).await
    }

    /// A device on `adapter` (e.g. one of [`adapters`]), with the adapter's own limits.
    pub async fn from_adapter(adapter: wgpu::Adapter) -> Result<GpuContext, GpuError> {
        let limits = adapter.limits();
        Self::from_adapter_with_limits(adapter, limits).await
    }

    /// A device on `adapter` with `limits` (at most the adapter's): lower binding and buffer
    /// limits make batches split into chunks, which is how the tests check chunking on a
    /// software adapter.
    pub async fn from_adapter_with_limits(adapter: wgpu::Adapter, limits: wgpu::Limits) -> Result<GpuContext, GpuError> {
        let info = adapter.get_info();
        let timestamps = adapter.features().contains(wgpu::Features::TIMESTAMP_QUERY);
        let required_features = if timestamps { wgpu::Features::TIMESTAMP_QUERY } else { wgpu::Features::empty() };
        let desc = wgpu::DeviceDescriptor { label: Some("fusegym"), required_features, required_limits: limits, ..Default::default() };
        let (device, queue) =
            adapter.request_device(&desc).await.map_err(|e| GpuError::Device { adapter: info.name.clone(), detail: e.to_string() })?;
        Ok(GpuContext { adapter, device, queue, info, timestamps })
    }

    /// [`GpuContext::new_async`], blocking (native only; on the web, await the async one).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new() -> Result<GpuContext, GpuError> {
        block_on(Self::new_async())
    }

    /// A second device on this context's adapter whose limits are `change(adapter limits)`
    /// (native; see [`GpuContext::from_adapter_with_limits`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_limits(&self, change: impl FnOnce(&mut wgpu::Limits)) -> Result<GpuContext, GpuError> {
        let mut limits = self.adapter.limits();
        change(&mut limits);
        block_on(Self::from_adapter_with_limits(self.adapter.clone(), limits))
    }

    /// The device's limits.
    pub fn limits(&self) -> wgpu::Limits {
        self.device.limits()
    }

    /// Waits until the GPU has finished everything submitted (native; a no-op on the web).
    pub fn wait(&self) -> Result<(), GpuError> {
        #[cfg(not(target_arch = "wasm32"))]
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Wgpu(e.to_string()))?;
        Ok(())
    }
}

/// Every adapter wgpu finds on this machine (native only).
#[cfg(not(target_arch = "wasm32"))]
pub fn adapters() -> Vec<wgpu::AdapterInfo> {
    let instance = instance();
    let backends = wgpu::Backends::all().with_env();
    block_on(instance.enumerate_adapters(backends)).iter().map(|a| a.get_info()).collect()
}

/// Drives a future to completion on this thread. wgpu's native futures finish without a reactor
/// (adapter and device requests complete at once; mapping completes during `Device::poll`), so
/// polling with a no-op waker is enough.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}
