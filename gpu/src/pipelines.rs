//! The compute pipelines of one env's module and the bind group of each chunk of a batch.

use crate::context::GpuContext;
use crate::error::GpuError;

/// The three entry points of an env's module, over one bind group layout.
pub struct Pipelines {
    /// `step_envs`: one fused step.
    pub step: wgpu::ComputePipeline,
    /// `reset_envs`: resets, reseeds, masked resets and re-observations.
    pub reset: wgpu::ComputePipeline,
    /// `rollout`: many steps with the policy in the loop.
    pub rollout: wgpu::ComputePipeline,
    /// The layout every chunk's bind group follows.
    pub layout: wgpu::BindGroupLayout,
}

/// Compiles env `id`'s composed WGSL `source` into its pipelines.
pub fn pipelines(ctx: &GpuContext, source: &str, id: &str) -> Result<Pipelines, GpuError> {
    // Validate with naga first, so a shader error is a typed error naming the env instead of
    // wgpu's uncaptured-error panic.
    #[cfg(not(target_arch = "wasm32"))]
    crate::validate_wgsl(source).map_err(|e| GpuError::Wgpu(format!("{id}: shader does not validate: {e}")))?;
    let device = &ctx.device;
    let module =
        device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(id), source: wgpu::ShaderSource::Wgsl(source.into()) });
    let storage = |binding: u32, read_only: bool| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    };
    let mut entries = vec![wgpu::BindGroupLayoutEntry {
        binding: 0,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Uniform, has_dynamic_offset: false, min_binding_size: None },
        count: None,
    }];
    // Eight storage buffers: WebGPU's default maxStorageBuffersPerShaderStage.
    for b in 1..=8 {
        entries.push(storage(b, b == 7));
    }
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some("fusegym.layout"), entries: &entries });
    let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("fusegym.pipeline_layout"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let make = |entry: &'static str| {
        device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: Some(&pl),
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        })
    };
    Ok(Pipelines { step: make("step_envs"), reset: make("reset_envs"), rollout: make("rollout"), layout })
}

/// A bind group over `resources` in binding order (the `Ctl` uniform, then the eight storage
/// buffers of `shaders/kernel.wgsl`).
pub fn bind_group(ctx: &GpuContext, layout: &wgpu::BindGroupLayout, resources: [wgpu::BindingResource<'_>; 9]) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry<'_>> =
        resources.into_iter().enumerate().map(|(k, resource)| wgpu::BindGroupEntry { binding: k as u32, resource }).collect();
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some("fusegym.bind_group"), layout, entries: &entries })
}
