#!/usr/bin/env bash
# Model checking of the thread pool's protocol (native/tests/loom.rs) with loom.
# `source scripts/loom.sh; loom` (scripts/test.sh calls it), or run this file.
# A separate target folder: `--cfg loom` changes every crate's flags, and sharing the normal
# one would rebuild everything twice per test run.
loom() {
  (
    cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
    # Preemption bound 2: every interleaving with at most two forced switches (about 1 min
    # on 2 cores); raise it for a deeper search.
    LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}" RUSTFLAGS="--cfg loom" \
      CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/loom" \
      cargo test -p fusegym --profile loom --test loom -- --test-threads=1 "$@"
  )
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  loom "$@"
fi
