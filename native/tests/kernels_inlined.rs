//! The SIMD kernels must contain no calls to intrinsic functions.
//!
//! An intrinsic is only compiled to its instruction when it is inlined into a function built
//! with the matching `#[target_feature]`. A closure is not `inline(always)`, so an intrinsic
//! reached through a closure in an env's step (as `V3::map(|a| a * s)` once did) stays a
//! function of its own and every vector operation becomes a call: Acrobot's step ran at half
//! the speed of its rollout because of one such closure. When every use is inlined, the
//! compiler emits no symbol for the intrinsic, so the release binary's symbol table shows it.

#[test]
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[cfg_attr(debug_assertions, ignore = "inlining is a property of optimised builds (run with --release)")]
fn no_simd_intrinsic_survives_as_a_function_in_the_release_binary() {
    let bin = std::fs::read(env!("CARGO_BIN_EXE_fusegym")).expect("read the fusegym binary");
    // Legacy-mangled Rust paths: `_ZN4core9core_arch3x863avx...`.
    let needle = b"9core_arch3x86";
    let mut left = Vec::new();
    let mut at = 0;
    while let Some(k) = bin[at..].windows(needle.len()).position(|w| w == needle) {
        let start = at + k;
        let end = bin[start..].iter().position(|&b| b == 0).map_or(bin.len(), |e| start + e);
        let name = String::from_utf8_lossy(&bin[start..end]).into_owned();
        // `_xgetbv` is called by the standard library's CPU feature detection, not a kernel.
        if !name.contains("_xgetbv") {
            left.push(name);
        }
        at = end;
    }
    assert!(left.is_empty(), "intrinsics compiled as functions (called, not inlined):\n{}", left.join("\n"));
}
