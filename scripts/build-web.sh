#!/usr/bin/env bash
# Builds the browser side of fusegym:
#   wasm/pkg/   the npm package `fusegym`: two builds of crate fusegym-wasm (simd/ with simd128,
#               baseline/ without) run through wasm-bindgen --target web, plus the JS layer
#               (wasm/js/index.js, index.d.ts), package.json and README.md;
#   web/dist/   the site: web/*.html and web/*.js, with the package under web/dist/pkg/.
#
#   scripts/build-web.sh            # then: python3 -m http.server 8000 --bind 127.0.0.1 --directory web/dist
#
# Toolchain: rustup's wasm32-unknown-unknown target when installed (a developer laptop), else
# Debian 12's rustc-web 1.96 + rust-web-src + lld-22 building std from source (-Zbuild-std), as
# in scripts/check-wasm.sh; missing Debian packages are installed with apt. wasm-bindgen-cli
# must print 0.2.130 (the version pinned in wasm/Cargo.toml); it is installed with cargo when it
# does not. Build logs: target/wasm-web-{simd128,plain}/build.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
t0=$SECONDS
TARGET=wasm32-unknown-unknown
WB_VERSION=0.2.130

say() { printf 'build-web: %s\n' "$*"; }
die() { printf 'build-web: error: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

rustup_has_wasm() {
  command -v rustup >/dev/null && timeout 60 rustup target list --installed 2>/dev/null | grep -qx "$TARGET"
}

deb_missing() {
  local missing=()
  /usr/bin/rustc -V 2>/dev/null | grep -q '^rustc 1\.96\.' || missing+=(rustc-web)
  /usr/bin/cargo -V 2>/dev/null | grep -q '^cargo 1\.96\.' || missing+=(cargo-web)
  { dpkg-query -W -f='${Version}' rust-web-src 2>/dev/null | grep -q '^1\.96\.' &&
    [ -f /usr/lib/rustlib/src/rust/library/std/Cargo.toml ]; } || missing+=(rust-web-src)
  [ -x /usr/bin/wasm-ld-22 ] || missing+=(lld-22)
  [ -s /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
  echo "${missing[@]}"
}

if rustup_has_wasm; then
  TOOLCHAIN="rustup ($(rustc -V))"
  CARGO=(cargo)
  BUILD_STD=()
else
  read -r -a missing <<<"$(deb_missing)"
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing with apt: ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    read -r -a missing <<<"$(deb_missing)"
    [ "${#missing[@]}" -eq 0 ] || die "still missing after apt-get install: ${missing[*]}"
  fi
  TOOLCHAIN="Debian $(/usr/bin/rustc -V) + build-std std,panic_abort, wasm-ld-22"
  # ~/.cargo/bin may come first on PATH: Debian's cargo and rustc by full path. No prebuilt wasm32
  # std exists for them, so std is built from rust-web-src (a nightly flag, hence RUSTC_BOOTSTRAP);
  # Debian ships no rust-lld, so lld-22's wasm-ld links.
  CARGO=(env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/bin/wasm-ld-22 /usr/bin/cargo)
  BUILD_STD=(-Zbuild-std=std,panic_abort)
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  say "installing wasm-bindgen-cli $WB_VERSION with cargo (several minutes)"
  # No --locked: one dependency version in its lock file is missing from the registry.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" -q
fi
command -v node >/dev/null || die "node is needed (apt-get install nodejs)"
say "toolchain: $TOOLCHAIN; $(wasm-bindgen --version); node $(node --version)"

JOBS=$(($(nproc) / 2))
[ "$JOBS" -ge 1 ] || JOBS=1
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_TARGET_DIR

# build FLAVOUR RUSTFLAGS
build() {
  local tdir=target/wasm-web-$1
  mkdir -p "$tdir"
  RUSTFLAGS=$2 "${CARGO[@]}" build --release --target "$TARGET" "${BUILD_STD[@]}" -p fusegym-wasm \
    --target-dir "$tdir" -j "$JOBS" >"$tdir/build.log" 2>&1
}

say "building both flavours (logs: target/wasm-web-{simd128,plain}/build.log)"
b0=$SECONDS
build simd128 "-C target-feature=+simd128" &
simd_pid=$!
plain_rc=0
build plain "" || plain_rc=$?
simd_rc=0
wait "$simd_pid" || simd_rc=$?
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
