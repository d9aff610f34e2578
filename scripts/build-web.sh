#!/usr/bin/env bash
# Builds the browser side of fusegym:
#   wasm/pkg/   the npm package `fusegym`: two builds of crate fusegym-wasm (simd/ with simd128,
#               baseline/ without) run through wasm-bindgen --target web, plus the JS layer
#               (wasm/js/index.js, index.d.ts), package.json and README.md;
#   web/dist/   the site: web/*.html and web/*.js, with the package under web/dist/pkg/.
#
#   scripts/build-web.sh            # then: python3 -m http.server 8000 --bind 127.0.0.1 --directory web/dist
#
# Toolchain (scripts/wasm-toolchain.sh, shared with check-wasm.sh): rustup's wasm32-unknown-unknown
# target when installed (a developer laptop), else Debian 12's rustc-web 1.96 + rust-web-src +
# lld-22 building std from source (-Zbuild-std); missing Debian packages are installed with apt. wasm-bindgen-cli
# must print 0.2.130 (the version pinned in wasm/Cargo.toml); it is installed with cargo when it
# does not. Build logs: target/wasm-web-{simd128,plain}/build.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
t0=$SECONDS
WB_VERSION=0.2.130

say() { printf 'build-web: %s\n' "$*"; }
die() { printf 'build-web: error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=scripts/wasm-toolchain.sh
source scripts/wasm-toolchain.sh
wasm_toolchain std,panic_abort

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  say "installing wasm-bindgen-cli $WB_VERSION with cargo (several minutes)"
  # No --locked: one dependency version in its lock file is missing from the registry.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" -q
fi
command -v node >/dev/null || die "node is needed (apt-get install nodejs)"
say "toolchain: $TOOLCHAIN; $(wasm-bindgen --version); node $(node --version)"

# build FLAVOUR RUSTFLAGS; the simd build also carries the WebGPU batches (feature webgpu:
# fusegym-gpu on wgpu's webgpu backend): every browser with WebGPU runs simd128, and the
# baseline build stays small.
build() {
  local tdir=target/wasm-web-$1 features=()
  [ "$1" = simd128 ] && features=(--features webgpu)
  mkdir -p "$tdir"
  # Thin LTO, as the shipped module was built before the native release profile dropped it (to
  # build in 5 minutes with both AVX paths): the wasm build has two lane paths, not five, and
  # LTO keeps the module small.
  CARGO_PROFILE_RELEASE_LTO=thin RUSTFLAGS=$2 "${CARGO[@]}" build --release --target "$TARGET" "${BUILD_STD[@]}" -p fusegym-wasm "${features[@]}" \
    --target-dir "$tdir" -j "$JOBS" >"$tdir/build.log" 2>&1
}

say "building both flavours (logs: target/wasm-web-{simd128,plain}/build.log)"
b0=$SECONDS
wasm_build_both build
for f in simd128:$simd_rc plain:$plain_rc; do
  if [ "${f#*:}" -ne 0 ]; then
    tail -n 30 "target/wasm-web-${f%%:*}/build.log" >&2
    die "wasm build ${f%%:*} failed (log: target/wasm-web-${f%%:*}/build.log)"
  fi
done
say "wasm builds took $((SECONDS - b0)) s"

# --- package -----------------------------------------------------------------------------------
PKG=wasm/pkg
rm -rf "$PKG"
mkdir -p "$PKG"
wasm-bindgen --target web --out-dir "$PKG/simd" "target/wasm-web-simd128/$TARGET/release/fusegym_wasm.wasm"
wasm-bindgen --target web --out-dir "$PKG/baseline" "target/wasm-web-plain/$TARGET/release/fusegym_wasm.wasm"
cp wasm/js/index.js wasm/js/index.d.ts wasm/package.json wasm/README.md "$PKG/"
say "package: $PKG ($(du -sh "$PKG" | cut -f1); simd $(stat -c %s "$PKG/simd/fusegym_wasm_bg.wasm") B, baseline $(stat -c %s "$PKG/baseline/fusegym_wasm_bg.wasm") B)"

# --- site --------------------------------------------------------------------------------------
rm -rf web/dist
mkdir -p web/dist
for f in web/*.html web/*.js web/*.css; do
  [ -e "$f" ] && cp "$f" web/dist/
done
cp -r "$PKG" web/dist/pkg
say "site: web/dist (serve: python3 -m http.server 8000 --bind 127.0.0.1 --directory web/dist)"
say "done in $((SECONDS - t0)) s"
