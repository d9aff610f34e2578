//! Batches larger than one binding: the envs are split into chunks whose every binding fits the
//! adapter's `max_storage_buffer_binding_size`, and each buffer is laid out chunk by chunk, each
//! chunk a small feature-major batch of its own (`[component][chunk_len]`). A chunk gets its own
//! bind group over its region of every buffer and its own `Ctl` (`n` = the chunk's length,
//! `env_offset` = the global index of its first env), so the shaders are unchanged and every
//! random draw, keyed by (seed, global env index, episode), is the unchunked batch's.
//!
//! Regions sit in one buffer while `max_buffer_size` allows, else in as many buffers as needed.
//! A batch that fits one binding is one chunk, laid out exactly as before (`[component][n]`).

use crate::context::GpuContext;
use crate::error::GpuError;
use std::num::NonZeroU64;

/// Envs `first .. first + len` of a batch, stepped by one dispatch over one bind group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GpuChunk {
    /// Index of the chunk's first env in the batch.
    pub first: usize,
    /// Number of envs in the chunk.
    pub len: usize,
}

/// Storage binding offsets must be multiples of `min_storage_buffer_offset_alignment`, at most
/// 256 bytes on every adapter (WebGPU's bound), so regions start at multiples of 256.
pub const REGION_ALIGN: u64 = 256;

/// Chunks below this many envs are not worth a dispatch; a limit that cannot hold them is an error.
const MIN_CHUNK: usize = 64;

/// Splits `n` envs into chunks such that a region of `rows * len` words, and one of
/// `fixed + fixed_rows * len` words (the parameters: a header and per-env columns), both fit
/// `limit` bytes (the adapter's limit called `limit_name`). One chunk when the whole batch fits;
/// otherwise chunks of a multiple of 64 envs (whole workgroups), the last one shorter.
pub fn plan(
    n: usize,
    rows: usize,
    fixed: usize,
    fixed_rows: usize,
    (limit, limit_name): (u64, &'static str),
) -> Result<Vec<GpuChunk>, GpuError> {
    let words = (limit / 4) as usize;
    let by_rows = words / rows.max(1);
    let by_fixed = words.saturating_sub(fixed) / fixed_rows.max(1);
    let most = by_rows.min(by_fixed);
    if n <= most {
        return Ok(vec![GpuChunk { first: 0, len: n }]);
    }
    let len = most / MIN_CHUNK * MIN_CHUNK;
    if len == 0 {
        let bytes = (MIN_CHUNK * rows.max(fixed_rows)) as u64 * 4 + fixed as u64 * 4;
        return Err(GpuError::TooLarge { what: "one chunk of 64 envs", bytes, limit, limit_name });
    }
    Ok((0..n).step_by(len).map(|first| GpuChunk { first, len: len.min(n - first) }).collect())
}

/// Where one chunk's region of a buffer lives.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    /// Index into [`Chunked::buffers`].
    pub buffer: usize,
    /// Byte offset in that buffer.
    pub offset: u64,
    /// Bytes of the region.
    pub size: u64,
}

/// One logical buffer of a batch: a region per chunk, in one or more device buffers.
#[derive(Debug)]
pub struct Chunked {
    /// The device buffers, in chunk order.
    pub buffers: Vec<wgpu::Buffer>,
    /// Chunk `c`'s region.
    pub regions: Vec<Region>,
}

impl Chunked {
    /// Buffers holding `words(chunk)` `u32` words per chunk, packed into as few buffers as
    /// `max_buffer_size` allows.
    pub fn new(
        ctx: &GpuContext,
        label: &str,
        chunks: &[GpuChunk],
        words: impl Fn(&GpuChunk) -> usize,
        usage: wgpu::BufferUsages,
    ) -> Result<Chunked, GpuError> {
        let max = ctx.limits().max_buffer_size;
        let mut sizes = vec![0u64];
        let mut regions = Vec::with_capacity(chunks.len());
        for ch in chunks {
            // wgpu rejects zero-sized bindings: every region holds at least one word.
            let size = (words(ch).max(1) as u64).checked_mul(4).ok_or(GpuError::TooLarge {
                what: "buffer region",
                bytes: u64::MAX,
                limit: max,
                limit_name: "u64",
            })?;
            let what = "one chunk's region of a buffer";
            if size > max {
                return Err(GpuError::TooLarge { what, bytes: size, limit: max, limit_name: "max_buffer_size" });
            }
            let last = sizes.len() - 1;
            let offset = sizes[last].next_multiple_of(REGION_ALIGN);
            let (buffer, offset) = if offset + size <= max { (last, offset) } else { (last + 1, 0) };
            if buffer == sizes.len() {
                sizes.push(0);
            }
            sizes[buffer] = offset + size;
            regions.push(Region { buffer, offset, size });
        }
        let buffers = sizes
            .iter()
            .enumerate()
            .map(|(b, &size)| {
                let label = if b == 0 { label.to_string() } else { format!("{label}.{b}") };
                ctx.device.create_buffer(&wgpu::BufferDescriptor { label: Some(&label), size, usage, mapped_at_creation: false })
            })
            .collect();
        Ok(Chunked { buffers, regions })
    }

    /// Chunk `c`'s region as a binding.
    pub fn binding(&self, c: usize) -> wgpu::BindingResource<'_> {
        let r = self.regions[c];
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffers[r.buffer],
            offset: r.offset,
            size: NonZeroU64::new(r.size),
        })
    }

    /// Writes `words` at word `at` of chunk `c`'s region.
    pub fn write(&self, queue: &wgpu::Queue, c: usize, at: usize, words: &[u32]) {
        let r = self.regions[c];
        queue.write_buffer(&self.buffers[r.buffer], r.offset + at as u64 * 4, bytemuck::cast_slice(words));
    }

    /// Writes host rows `[rows][n]` (feature-major over the whole batch) into every chunk's
    /// region as `[rows][len]`: one write when the batch is one chunk.
    pub fn write_rows(&self, queue: &wgpu::Queue, chunks: &[GpuChunk], host: &[u32], rows: usize) {
        let n = chunks.iter().map(|c| c.len).sum::<usize>();
        if chunks.len() == 1 {
            self.write(queue, 0, 0, &host[..rows * n]);
            return;
        }
        for (c, ch) in chunks.iter().enumerate() {
            for k in 0..rows {
                self.write(queue, c, k * ch.len, &host[k * n + ch.first..k * n + ch.first + ch.len]);
            }
        }
    }

    /// Records a copy of `words` words from word `from` of chunk `c`'s region to word `to` of
    /// the same chunk's region of `dst`.
    pub fn copy_to(&self, enc: &mut wgpu::CommandEncoder, c: usize, from: usize, dst: &Chunked, to: usize, words: usize) {
        let (s, d) = (self.regions[c], dst.regions[c]);
        enc.copy_buffer_to_buffer(
            &self.buffers[s.buffer],
            s.offset + from as u64 * 4,
            &dst.buffers[d.buffer],
            d.offset + to as u64 * 4,
            words as u64 * 4,
        );
    }

    /// Chunk `c`'s words out of `whole`, the words of every buffer read back.
    pub fn region_of<'a>(&self, whole: &'a [Vec<u32>], c: usize) -> &'a [u32] {
        let r = self.regions[c];
        &whole[r.buffer][(r.offset / 4) as usize..((r.offset + r.size) / 4) as usize]
    }

    /// Scatters chunk regions read back (`region(c)` = chunk `c`'s words, `[rows][len]`) into
    /// host rows `[rows][n]`.
    pub fn gather<'a>(chunks: &[GpuChunk], rows: usize, region: impl Fn(usize) -> &'a [u32]) -> Vec<u32> {
        let n = chunks.iter().map(|c| c.len).sum::<usize>();
        let mut host = vec![0u32; rows * n];
        for (c, ch) in chunks.iter().enumerate() {
            let words = region(c);
            for k in 0..rows {
                host[k * n + ch.first..k * n + ch.first + ch.len].copy_from_slice(&words[k * ch.len..(k + 1) * ch.len]);
            }
        }
        host
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: (u64, &str) = (16 << 10, "max_storage_buffer_binding_size");

    #[test]
    fn a_batch_that_fits_is_one_chunk() {
        assert_eq!(plan(409, 10, 128, 2, LIMIT).unwrap(), vec![GpuChunk { first: 0, len: 409 }]);
    }

    #[test]
    fn chunks_cover_the_batch_in_whole_workgroups_and_fit_the_limit() {
        for (n, rows, columns) in [(3000, 10, 2), (4096, 14, 0), (700, 21, 5), (100_000, 5, 9)] {
            let chunks = plan(n, rows, 128, columns, LIMIT).unwrap();
            assert!(chunks.len() > 1, "{n} envs of {rows} rows fit 16 KiB only in pieces");
            let mut next = 0;
            for (c, ch) in chunks.iter().enumerate() {
                assert_eq!(ch.first, next);
                assert!(ch.len > 0 && (c + 1 == chunks.len() || ch.len % 64 == 0), "{ch:?}");
                assert!((rows * ch.len * 4) as u64 <= LIMIT.0 && ((128 + columns * ch.len) * 4) as u64 <= LIMIT.0, "{ch:?}");
                next += ch.len;
            }
            assert_eq!(next, n);
        }
    }

    #[test]
    fn a_limit_below_64_envs_is_too_large() {
        match plan(1000, 10, 128, 0, (2048, "max_buffer_size")) {
            Err(GpuError::TooLarge { limit: 2048, limit_name: "max_buffer_size", .. }) => {}
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }
}
