#!/usr/bin/env bash
# Runs every fusegym test on a fresh Debian machine: installs what is missing, then
#   1. formatting, clippy (warnings denied) and rustdoc (warnings denied),
#   2. the whole workspace test suite (profile fast, optimised) (unit, parity on the golden files, autoreset
#      and parameter references, tamper, threads, CLI, docs generated from the declarations),
#   3. the thread pool's protocol model-checked with loom (scripts/loom.sh, when present),
#   4. the criterion benches compiled,
#   5. the no_std core built for wasm32 with and without simd128 (scripts/check-wasm.sh),
#   6. the Python package installed with pip and tested with pytest (scripts/test-python.sh), and the
#      npm package and pages (scripts/test-web.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
# Each stage is stamped with the seconds since the start, so a slow stage shows in CI's log.
log() { printf '\n== [%4d s] %s\n' "$((SECONDS - started))" "$*"; }

# A Rust toolchain: rustup's when present (developer laptops, this project's machines),
# else Debian's rustc-web (1.96) from the security archive.
if ! command -v cargo >/dev/null 2>&1; then
  log "installing Rust (Debian rustc-web)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends rustc-web cargo-web gcc libc6-dev
fi
cargo --version
if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi

log "format (cargo fmt --check)"
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all --check
else
  echo "rustfmt is not installed with this toolchain: format check NOT run"
fi

log "clippy (warnings denied)"
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --workspace --all-targets --release -q -- -D warnings
else
  echo "clippy is not installed with this toolchain: lint check NOT run"
fi

log "rustdoc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --release -q

# A software Vulkan adapter (Mesa's llvmpipe) when the machine has no Vulkan driver: the GPU
# tests below are part of the workspace and fail without an adapter under CI=true.
scripts/test-gpu.sh --install-only

# Tests and benches build in the `fast` profile: optimised like release (the same bits: no
# fast-math anywhere) but with parallel codegen and no LTO, which builds the monomorphised
# kernels several times faster than `release`. Speed figures come from `release`, never tests.
log "workspace tests (profile fast: the parity and 10,000-step equality tests are long in debug)"
cargo test --workspace --profile fast

log "Python package: pip install ./python, then pytest (scripts/test-python.sh)"
scripts/test-python.sh

log "GPU adapters the GPU tests ran on"
target/fast/fusegym info | grep -i "gpu adapter" || echo "no GPU adapter listed"

log "SIMD paths tested on this machine"
# Every path test iterates the paths this CPU has; name the ones it lacks, so a skipped path
# is visible in the log.
target/fast/fusegym info --json | python3 -c '
import json, sys
hw = json.load(sys.stdin)["hardware"]
every = ["scalar", "wide-f32x4", "wide-f32x8", "avx2-f32x8", "avx512-f32x16"]
have = hw["simd_available"]
print("tested:", ", ".join(have))
missing = [p for p in every if p not in have]
print("NOT tested here (this CPU/build lacks them):", ", ".join(missing) if missing else "none")
' 2>/dev/null || target/fast/fusegym info | grep "SIMD paths"

if [ -x scripts/loom.sh ]; then
  log "thread pool protocol (loom)"
  scripts/loom.sh
fi

log "criterion benches build"
cargo bench --workspace --no-run -q --profile fast

if [ -x scripts/check-wasm.sh ]; then
  log "wasm32 builds of the no_std core"
  scripts/check-wasm.sh
fi
log "browser: npm package, pages, node and browser tests (scripts/test-web.sh)"; scripts/test-web.sh
log "all tests passed in $((SECONDS - started)) s"
