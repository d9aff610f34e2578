//! Mapping a buffer for reading, as a future: natively it completes during `Device::poll`, on
//! the web when the browser resolves the mapping (the page never blocks).

use crate::error::GpuError;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Shared {
    result: Option<Result<(), wgpu::BufferAsyncError>>,
    waker: Option<Waker>,
}

/// Resolves when `map_async` has called back.
pub struct MapFuture {
    shared: Arc<Mutex<Shared>>,
}

/// Starts mapping `slice` for reading.
pub fn map_read(slice: wgpu::BufferSlice<'_>) -> MapFuture {
    let shared = Arc::new(Mutex::new(Shared::default()));
    let s = shared.clone();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
        g.result = Some(r);
        if let Some(w) = g.waker.take() {
            w.wake();
        }
    });
    MapFuture { shared }
}

impl Future for MapFuture {
    type Output = Result<(), GpuError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut g = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        match g.result.take() {
            Some(r) => Poll::Ready(r.map_err(|e| GpuError::Wgpu(format!("mapping a readback buffer failed: {e}")))),
            None => {
                g.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
