//! GPU time of a batch's work from timestamp queries (`Features::TIMESTAMP_QUERY`): one
//! timestamp at the start of the first compute pass of a timed call and one at the end of its
//! last, resolved and copied for reading in the same submission. Device time excludes the
//! host's recording, submission and waiting, which the wall clock includes.

use crate::context::GpuContext;
#[cfg(not(target_arch = "wasm32"))]
use crate::error::GpuError;

/// The query set and buffers of one batch's timer.
pub struct DeviceTimer {
    queries: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    read: wgpu::Buffer,
    /// Nanoseconds per timestamp tick (`Queue::get_timestamp_period`; read by the native reader).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    period: f64,
    /// A resolved pair was copied into `read` and not yet read.
    pub ready: bool,
}

/// Bytes of the two resolved `u64` timestamps.
const PAIR: u64 = 16;

impl DeviceTimer {
    /// A timer on `ctx`'s device, or `None` where the device has no timestamp queries.
    pub fn new(ctx: &GpuContext) -> Option<DeviceTimer> {
        if !ctx.timestamps {
            return None;
        }
        let queries = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("fusegym.timestamps"),
            ty: wgpu::QueryType::Timestamp,
            count: 2,
        });
        let buffer = |label, usage| {
            ctx.device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size: PAIR, usage, mapped_at_creation: false })
        };
        Some(DeviceTimer {
            queries,
            resolve: buffer("fusegym.timestamps.resolve", wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC),
            read: buffer("fusegym.timestamps.read", wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST),
            period: ctx.queue.get_timestamp_period() as f64,
            ready: false,
        })
    }

    /// The timestamp writes of a pass that is the first (`begin`) and/or the last (`end`) of a
    /// timed call; `None` for the passes in between.
    pub fn writes(&self, begin: bool, end: bool) -> Option<wgpu::ComputePassTimestampWrites<'_>> {
        (begin || end).then_some(wgpu::ComputePassTimestampWrites {
            query_set: &self.queries,
            beginning_of_pass_write_index: begin.then_some(0),
            end_of_pass_write_index: end.then_some(1),
        })
    }

    /// Records the resolve and the copy for reading, after the last timed pass.
    pub fn resolve(&mut self, enc: &mut wgpu::CommandEncoder) {
        enc.resolve_query_set(&self.queries, 0..2, &self.resolve, 0);
        enc.copy_buffer_to_buffer(&self.resolve, 0, &self.read, 0, PAIR);
        self.ready = true;
    }

    /// Seconds between the two timestamps of the last timed call (native; waits for the
    /// device). `None` when no timed call is pending.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read(&mut self, ctx: &GpuContext) -> Result<Option<f64>, GpuError> {
        if !self.ready {
            return Ok(None);
        }
        self.ready = false;
        let slice = self.read.slice(..);
        let fut = crate::readback::map_read(slice);
        ctx.wait()?;
        crate::context::block_on(fut)?;
        let ticks: [u64; 2] = {
            let view = slice.get_mapped_range().map_err(|e| GpuError::Wgpu(format!("reading timestamps: {e}")))?;
            bytemuck::pod_read_unaligned(&view[..PAIR as usize])
        };
        self.read.unmap();
        Ok(Some(ticks[1].wrapping_sub(ticks[0]) as f64 * self.period * 1e-9))
    }
}
