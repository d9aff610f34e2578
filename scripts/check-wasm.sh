#!/usr/bin/env bash
# Checks that fusegym-core builds, links and runs on wasm32-unknown-unknown, with simd128 and
# without, using only core + alloc.
#
#   scripts/check-wasm.sh
#
# For each flavour (simd128, plain) it builds fusegym-core (--no-default-features) and the
# no_std cdylib tools/wasm-smoke, then runs the .wasm in node (scripts/wasm-smoke.mjs): the module
# must have no imports, CartPole's reward sum must be exact, SimdPath::best() must be Wide4 with
# simd128 and Scalar without, the digest of a 203-env x 100-step run must equal the one computed
# natively (`cargo test -p fusegym-wasm-smoke`), and the simd128 module must contain SIMD
# instructions while the plain one contains none.
#
# Toolchain (scripts/wasm-toolchain.sh, shared with build-web.sh): a rustup toolchain with the
# wasm32-unknown-unknown target if there is one (a developer laptop). Otherwise Debian 12's
# rustc-web 1.96 with its library source and lld-22, building core/alloc from source
# (-Zbuild-std); they are installed with apt when missing (`rustup target add` cannot be used on
# the project machines). Idempotent: a second run installs nothing and rebuilds nothing.
#
# Prints `wasm32 simd128: ok` and `wasm32 plain: ok`; exits non-zero naming the flavour that
# failed. Build logs: target/wasm-<flavour>/check-wasm.log.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
t0=$SECONDS
NATIVE_DIGEST_RE='^native-reference .* digest=([0-9]+) '

say() { printf 'check-wasm: %s\n' "$*"; }
die() { printf 'check-wasm: error: %s\n' "$*" >&2; exit 1; }

# --- toolchain and build (shared with build-web.sh) --------------------------------------------
# shellcheck source=scripts/wasm-toolchain.sh
source scripts/wasm-toolchain.sh
wasm_toolchain core,alloc
say "toolchain: $TOOLCHAIN; node $(node --version)"

# build FLAVOUR RUSTFLAGS: the wasm build; the plain flavour also runs the native reference.
build() {
  local flavour=$1 tdir=target/wasm-$1
  mkdir -p "$tdir"
  {
    RUSTFLAGS=$2 "${CARGO[@]}" build --release --target "$TARGET" "${BUILD_STD[@]}" \
      -p fusegym-core -p fusegym-wasm-smoke --no-default-features --target-dir "$tdir" -j "$JOBS" &&
      if [ "$flavour" = plain ]; then
        RUSTFLAGS= "${CARGO[@]}" test --release -p fusegym-wasm-smoke --target-dir "$tdir" -j "$JOBS" \
          -- --nocapture
      fi
  } >"$tdir/check-wasm.log" 2>&1
}

say "building (logs: target/wasm-{simd128,plain}/check-wasm.log)"
b0=$SECONDS
wasm_build_both build
say "builds took $((SECONDS - b0)) s"

# --- run -------------------------------------------------------------------------------------

native_digest=$(sed -nE "s/${NATIVE_DIGEST_RE}.*/\1/p" target/wasm-plain/check-wasm.log | head -n 1)

failed=()
# check FLAVOUR BUILD_RC EXPECTED_SIMD_PATH
check() {
  local flavour=$1 rc=$2 log=target/wasm-$1/check-wasm.log
  local wasm=target/wasm-$1/$TARGET/release/fusegym_wasm_smoke.wasm
  if [ "$rc" -ne 0 ]; then
    tail -n 30 "$log" | sed "s/^/  $flavour | /" >&2
    echo "wasm32 $flavour: FAILED (build or native reference; full log: $log)" >&2
  elif [ -z "$native_digest" ]; then
    echo "wasm32 $flavour: FAILED (no native reference digest in target/wasm-plain/check-wasm.log)" >&2
  elif ! node scripts/wasm-smoke.mjs "$wasm" "$flavour" "$3" "$native_digest"; then
    echo "wasm32 $flavour: FAILED (node run of $wasm)" >&2
  else
    echo "wasm32 $flavour: ok"
    return 0
  fi
  failed+=("$flavour")
}
# Expected SimdPath::best() as an index into SimdPath::ALL: Wide4 = 1, Scalar = 0.
check simd128 "$simd_rc" 1
check plain "$plain_rc" 0

say "done in $((SECONDS - t0)) s"
[ "${#failed[@]}" -eq 0 ] || die "failed flavour(s): ${failed[*]}"
