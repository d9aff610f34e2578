#!/usr/bin/env bash
# The GPU check for a Linux x86-64 machine with an NVIDIA datacenter GPU (H100/H200 class), no
# network and no Rust toolchain, in at most about 6 minutes. Run it from the folder
# scripts/package-device-check.sh assembles (binary, Vulkan loader, golden files, optional wheels):
#
#   ./gpu-device-check.sh           # the full check: 1,048,576 and 16,777,216 envs
#   ./gpu-device-check.sh --quick   # small batches (4,096 and 65,536 envs): keeps this script
#                                   # tested on a software adapter (native/tests/cli_gpu.rs)
#
# 1. lists the GPU adapters (fusegym info) and fails if there is none;
# 2. fusegym validate --backend gpu on every golden file (exit 1 on a mismatch);
# 3. fusegym bench --backend gpu --mode step --mode rollout for every env at both batch sizes;
# 4. gymnax (JAX) on the same GPU for CartPole-v1 at both sizes, when DIR/wheels holds gymnax and
#    a CUDA jax (installed offline into a venv); otherwise it says gymnax was not run and why.
#    Note: a CUDA JAX wheel set is over 1 GB, more than the 64 MiB the device tool carries, so on
#    such a machine reached through it gymnax is not run;
# 5. prints one table: what ran, envs, mode, M/s by the wall clock and by GPU timestamps.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fusegym="$here/fusegym"
started=$SECONDS
say() { printf '\n== %s\n' "$*"; }

if [ "$quick" = 1 ]; then
  sizes="4096 65536"; seconds=0.05; repeats=1; envs=(--env CartPole-v1 --env Pendulum-v1)
else
  sizes="1048576 16777216"; seconds=0.5; repeats=3; envs=()
fi

say "adapters"
"$fusegym" info | grep -i "gpu adapter" || { echo "no GPU adapter: is the NVIDIA driver's Vulkan ICD installed (nvidia_icd.json)?"; exit 2; }

say "validate --backend gpu (golden files)"
"$fusegym" validate --backend gpu "$here"/golden/*.json "$here"/golden/branches/*.json
validated=$?

rows=$(mktemp)
benched=0
for n in $sizes; do
  say "bench --backend gpu at $n envs"
  "$fusegym" bench --backend gpu --mode step --mode rollout "${envs[@]}" --envs "$n" --seconds "$seconds" --repeats "$repeats" | tee "$rows.$n" || benched=1
  # Table rows: env mode backend autoreset path threads steps median min max clock validated.
  awk -v n="$n" '$3 == "gpu" && $11 ~ /^(wall|device)$/ { printf "fusegym %-24s %-9s %-8s %12s %-6s\n", $1, n, $2, $8, $11 }' "$rows.$n" >> "$rows"
done

say "gymnax (JAX) on the same GPU"
gymnax_note=""
if [ ! -d "$here/wheels" ]; then
  gymnax_note="gymnax: not run (no wheels folder beside this script; a CUDA JAX wheel set is over 1 GB and was not carried)"
elif ! command -v python3 >/dev/null; then
  gymnax_note="gymnax: not run (no python3 on this machine)"
else
  venv=$(mktemp -d)/venv
  if python3 -m venv "$venv" && "$venv/bin/pip" install -q --no-index --find-links "$here/wheels" gymnax jax >/dev/null; then
    for n in $sizes; do
      "$venv/bin/python" "$here/device-check-gymnax.py" --envs "$n" --seconds "$seconds" | tee -a "$rows" || gymnax_note="gymnax: failed at $n envs (output above)"
    done
  else
    gymnax_note="gymnax: not run (the wheels in $here/wheels did not install offline)"
  fi
fi
[ -n "$gymnax_note" ] && echo "$gymnax_note"

say "summary ($((SECONDS - started)) s)"
"$fusegym" info | grep -i "gpu adapter 0"
printf '%-7s %-24s %-9s %-8s %12s %-6s\n' "what" "env" "envs" "mode" "M/s" "clock"
cat "$rows"
[ -n "$gymnax_note" ] && echo "$gymnax_note"
echo "golden files on the GPU: $([ "$validated" = 0 ] && echo PASS || echo "FAIL (exit $validated)")"
echo "benchmarks: $([ "$benched" = 0 ] && echo "every row validated and timed" || echo "FAILED (see above)")"
rm -f "$rows" "$rows".*
[ "$validated" = 0 ] && [ "$benched" = 0 ]
