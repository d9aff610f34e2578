#!/usr/bin/env bash
# The GPU backend's tests (gpu/tests, native/tests/cli_gpu.rs) on whatever adapter wgpu finds.
# Installs Mesa's software Vulkan (llvmpipe) when no Vulkan driver is present, so a machine
# without a GPU still runs them. With CI=true a missing adapter fails the tests; elsewhere they
# skip with a message.
#
#   scripts/test-gpu.sh                 # install when missing, list adapters, run the GPU tests
#   scripts/test-gpu.sh --install-only  # what scripts/test.sh calls before the workspace tests
#                                       # (which include these tests), so they run once
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

# (grep -c reads all of ldconfig's output: with pipefail, grep -q would stop early and fail it.)
if ! ls /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1 || ! ldconfig -p 2>/dev/null | grep -c libvulkan.so.1 >/dev/null; then
  echo "== installing Mesa's Vulkan drivers (llvmpipe) and the Vulkan loader"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends mesa-vulkan-drivers libvulkan1
fi

[ "${1:-}" = "--install-only" ] && exit 0

echo "== GPU adapters"
cargo run --profile fast -q -p fusegym -- info | grep -i "gpu adapter" || true

echo "== GPU tests (profile fast: optimised, the same bits as release)"
cargo test --profile fast -p fusegym-gpu
cargo test --profile fast -p fusegym --test cli_gpu

echo "== GPU tests done in $((SECONDS - started)) s"
