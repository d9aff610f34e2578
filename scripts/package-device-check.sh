#!/usr/bin/env bash
# Assembles the folder scripts/gpu-device-check.sh runs from, for a Linux x86-64 machine with an
# NVIDIA datacenter GPU, no network and no Rust toolchain:
#
#   DIR/fusegym                 the x86-64 fusegym binary (release unless --binary says otherwise)
#   DIR/lib/libvulkan.so.1      the Vulkan loader of this machine (the GPU machine brings its own
#                               NVIDIA driver and ICD file; the loader is what it may lack)
#   DIR/golden/                 tests/golden/*.json and tests/golden/branches/*.json
#   DIR/gpu-device-check.sh     the check itself, DIR/device-check-gymnax.py its gymnax part
#   DIR/wheels/                 only with --wheels DIR: gymnax, jax[cuda] and their dependencies
#                               as wheels, installed offline into a venv by the check
#
#   scripts/package-device-check.sh [--out DIR] [--binary PATH] [--wheels DIR]
#
# Size: the binary and the loader are a few MiB, well within the 64 MiB the device tool carries;
# a CUDA JAX wheel set is over 1 GB and cannot travel that way (bring it to the machine otherwise,
# or run without it: the check then says gymnax was not run and why).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out=target/device-check
binary=""
wheels=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --wheels) wheels=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "package-device-check: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$binary" ]; then
  cargo build --release -q -p fusegym
  binary=target/release/fusegym
fi
[ -x "$binary" ] || { echo "package-device-check: no executable at $binary" >&2; exit 2; }
# awk reads to the end (no early `exit`): an early exit can kill ldconfig with SIGPIPE, which
# pipefail and set -e turn into a silent exit of this script.
loader=$(ldconfig -p 2>/dev/null | awk '/libvulkan\.so\.1 .*x86-64/ && !found { found = $NF } END { print found }')
[ -n "$loader" ] && [ -e "$loader" ] || { echo "package-device-check: no x86-64 libvulkan.so.1 here (apt-get install libvulkan1)" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out/lib" "$out/golden/branches"
cp "$binary" "$out/fusegym"
cp -L "$loader" "$out/lib/libvulkan.so.1"
cp tests/golden/*.json "$out/golden/"
cp tests/golden/branches/*.json "$out/golden/branches/"
cp scripts/gpu-device-check.sh scripts/device-check-gymnax.py "$out/"
if [ -n "$wheels" ]; then
  cp -r "$wheels" "$out/wheels"
fi
echo "packaged $(du -sh "$out" | cut -f1) in $out: copy it to the GPU machine and run $out/gpu-device-check.sh"
