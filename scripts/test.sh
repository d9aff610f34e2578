#!/usr/bin/env bash
# Runs every fusegym test on a fresh Debian machine: installs what is missing, then
#   1. the whole workspace test suite (unit, parity on the golden files, tamper, threads, CLI),
#   2. the criterion benches compiled,
#   3. the no_std core built for wasm32 with and without simd128 (scripts/check-wasm.sh, when present).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

# A Rust toolchain: rustup's when present (developer laptops, this project's machines),
# else Debian's rustc-web (1.96) from the security archive.
if ! command -v cargo >/dev/null 2>&1; then
  log "installing Rust (Debian rustc-web)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends rustc-web cargo-web gcc libc6-dev
fi
cargo --version

log "workspace tests (release: the parity and 10,000-step equality tests are long in debug)"
cargo test --workspace --release

log "criterion benches build"
cargo bench --workspace --no-run -q

if [ -x scripts/check-wasm.sh ]; then
  log "wasm32 builds of the no_std core"
  scripts/check-wasm.sh
fi
log "all tests passed"
