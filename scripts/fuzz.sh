#!/usr/bin/env bash
# Runs each fuzz target in fuzz/ (cargo-fuzz, libFuzzer, AddressSanitizer) for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default: 60 s each, targets golden actions cli
#
#   golden   the golden-file reader (JSON, schema, structure, actions) and the replay behind it
#   actions  action decoding: Actions validation of `step`, Constant/Linear policies of `rollout`
#   cli      the CLI's value parsing (--policy, linear:FILE, --param, --autoreset, numbers)
#
# FUZZ_SANITIZER=none builds without AddressSanitizer (several times faster to build and run; the
# targets are safe Rust, where the failures sought are panics, aborts and hangs, which libFuzzer
# catches either way); the default is address.
#
# cargo-fuzz needs nightly features; on a stable toolchain RUSTC_BOOTSTRAP=1 enables them (set
# here). cargo-fuzz is installed when missing (`cargo install cargo-fuzz`, a few minutes).
# New inputs that widen coverage are added to fuzz/corpus/<target>/ (commit the interesting
# ones: native/tests/fuzz_corpus.rs replays that folder in the ordinary test suite). A crash
# leaves its input in fuzz/artifacts/<target>/ and this script exits non-zero.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(golden actions cli)
case $seconds in
  '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  printf '\n== fuzz %s for %s s (sanitizer %s)\n' "$t" "$seconds" "${FUZZ_SANITIZER:-address}"
  # -max_len: golden inputs are JSON files (a few KB covers every field); the others are short.
  max_len=4096
  [ "$t" = golden ] && max_len=16384
  log=$(mktemp)
  rc=0
  cargo fuzz run --sanitizer "${FUZZ_SANITIZER:-address}" "$t" "corpus/$t" -- -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  grep -E '^(#[0-9]+ +(INITED|DONE)|stat::number_of_executed_units|stat::peak_rss|==[0-9]+==ERROR|SUMMARY|thread .* panicked|.*Test unit written)' "$log" || true
  if [ "$rc" -ne 0 ]; then
    tail -n 30 "$log"
    echo "fuzz.sh: target $t FAILED (rc $rc; input in fuzz/artifacts/$t/)" >&2
    status=1
  fi
  rm -f "$log"
done
exit $status
