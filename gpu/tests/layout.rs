//! The generated WGSL against the core: every Params struct has the byte layout WGSL computes
//! for the generated declaration, every env has a shader and every shader file is used, and every
//! composed module validates.

use fusegym_core::envs::*;
use fusegym_core::{Env, ParamSet, ENVS};
use fusegym_gpu::compose::{self, SHADERS};
use fusegym_gpu::wgpu::naga;

/// Size and member offsets of `struct Params` as naga lays it out for WGSL.
fn wgsl_layout(id: &str) -> (u32, Vec<(String, u32)>) {
    let info = fusegym_core::info(id).unwrap();
    let module = fusegym_gpu::validate_wgsl(&compose::compose(info).unwrap()).unwrap();
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).unwrap();
    let (handle, ty) = module.types.iter().find(|(_, t)| t.name.as_deref() == Some("Params")).expect("struct Params");
    let members = match &ty.inner {
        naga::TypeInner::Struct { members, .. } => members.iter().map(|m| (m.name.clone().unwrap(), m.offset)).collect(),
        _ => panic!("Params is not a struct"),
    };
    (layouter[handle].size, members)
}

fn check<E: Env>() {
    let id = E::SPEC.id;
    let (size, members) = wgsl_layout(id);
    assert_eq!(size as usize, std::mem::size_of::<E::Params>(), "{id}: size of Params");
    let fields = <E::Params as ParamSet>::FIELDS;
    assert_eq!(members.len(), fields.len() + 1, "{id}: members");
    // The Rust struct's bytes, read at the WGSL member offsets, give each field's value.
    let p = E::Params::default();
    let bytes = bytemuck::bytes_of(&p);
    let word = |off: u32| u32::from_le_bytes(bytes[off as usize..off as usize + 4].try_into().unwrap());
    for (k, f) in fields.iter().enumerate() {
        assert_eq!(members[k].0, f.name, "{id}: member {k}");
        assert_eq!(word(members[k].1), p.get(k).to_bits(), "{id}: field {} at WGSL offset {}", f.name, members[k].1);
    }
    let last = &members[fields.len()];
    assert_eq!(last.0, "max_episode_steps");
    assert_eq!(word(last.1), p.max_episode_steps(), "{id}: max_episode_steps");
}

#[test]
fn params_layout_matches_wgsl() {
    check::<CartPole>();
    check::<MountainCar>();
    check::<MountainCarContinuous>();
    check::<Pendulum>();
    check::<Acrobot>();
    check::<Reach3D>();
}

#[test]
fn every_env_has_a_shader_and_every_shader_is_used() {
    let ids: Vec<&str> = ENVS.iter().map(|e| e.id).collect();
    let shaders: Vec<&str> = SHADERS.iter().map(|s| s.id).collect();
    assert_eq!(ids, shaders);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shaders");
    let shared = ["rng", "math", "kernel", "rollout", "mountain_car_track"];
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        assert!(
            shared.contains(&stem.as_str()) || SHADERS.iter().any(|s| s.stem == stem),
            "shaders/{stem}.wgsl belongs to no env and is not shared"
        );
    }
    for s in SHADERS {
        assert!(dir.join(format!("{}.wgsl", s.stem)).exists(), "shaders/{}.wgsl missing", s.stem);
        assert!(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../core/src/envs/{}.rs", s.stem)).exists());
    }
}

#[test]
fn composed_modules_fit_webgpu_defaults() {
    let limits = fusegym_gpu::wgpu::Limits::default();
    for info in ENVS {
        let module = fusegym_gpu::validate_wgsl(&compose::compose(info).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", info.id));
        let storage = module.global_variables.iter().filter(|(_, v)| matches!(v.space, naga::AddressSpace::Storage { .. })).count();
        assert!(storage as u32 <= limits.max_storage_buffers_per_shader_stage, "{}: {storage} storage buffers", info.id);
        for ep in &module.entry_points {
            let [x, y, z] = ep.workgroup_size;
            assert!(x * y * z <= limits.max_compute_invocations_per_workgroup && x <= limits.max_compute_workgroup_size_x);
        }
    }
}

#[test]
fn dispatch_goes_2d_past_65535_workgroups() {
    use fusegym_gpu::layout::dispatch_size;
    assert_eq!(dispatch_size(4096, 65535), (64, 1));
    assert_eq!(dispatch_size(65535 * 64, 65535), (65535, 1));
    // 16,777,216 envs: 262,144 workgroups.
    let (x, y) = dispatch_size(16_777_216, 65535);
    assert!(x <= 65535 && (x as u64) * (y as u64) * 64 >= 16_777_216);
    assert_eq!((x, y), (65535, 5));
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn no_adapter_is_a_typed_error_that_says_how_to_get_one() {
    // Metal does not exist on Linux/Windows runners: no adapter. (On macOS this test is moot.)
    if cfg!(target_os = "macos") {
        return;
    }
    // A child process, so the variable does not leak into the other tests.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_without_adapter", "--nocapture", "--include-ignored"])
        .env("WGPU_BACKEND", "metal")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("CHILD OK"), "{text}");
}

#[test]
#[ignore = "run by no_adapter_is_a_typed_error_that_says_how_to_get_one with WGPU_BACKEND=metal"]
fn child_without_adapter() {
    if std::env::var("WGPU_BACKEND").as_deref() != Ok("metal") {
        return;
    }
    match fusegym_gpu::GpuContext::new() {
        Err(e @ fusegym_gpu::GpuError::NoAdapter { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("no GPU adapter") && msg.contains("mesa-vulkan-drivers") && msg.contains("does not fall back"), "{msg}");
            assert!(fusegym_gpu::adapters().is_empty());
            println!("CHILD OK");
        }
        other => panic!("expected NoAdapter, got {:?}", other.map(|c| c.info)),
    }
}
