# Sourced (not run) by scripts/check-wasm.sh and scripts/build-web.sh: what both need to build
# for wasm32-unknown-unknown, written once.
#
#   wasm_toolchain STD_CRATES     # e.g. "core,alloc" or "std,panic_abort"; sets TOOLCHAIN, CARGO, BUILD_STD
#   wasm_build_both BUILD_FN      # runs `BUILD_FN simd128 "-C target-feature=+simd128"` and
#                                 # `BUILD_FN plain ""` at once; sets simd_rc, plain_rc, JOBS
#
# Toolchain: rustup's wasm32-unknown-unknown target when installed (a developer laptop).
# Otherwise Debian 12's rustc-web 1.96 + rust-web-src + lld-22, building the standard library
# crates from source (-Zbuild-std); missing Debian packages are installed with apt (`rustup
# target add` cannot be used on the project machines). The caller defines say() and die().

TARGET=wasm32-unknown-unknown

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "not root and no sudo: cannot install packages"
  SUDO=(sudo)
fi

apt_install() {
  say "installing with apt: $*"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

rustup_has_wasm() {
  command -v rustup >/dev/null &&
    timeout 60 rustup target list --installed 2>/dev/null | grep -qx "$TARGET"
}

# Debian packages this file may install, each with the check that says it is present; $1 is a
# library crate whose source must be there (alloc or std).
deb_missing() {
  local missing=()
  /usr/bin/rustc -V 2>/dev/null | grep -q '^rustc 1\.96\.' || missing+=(rustc-web)
  /usr/bin/cargo -V 2>/dev/null | grep -q '^cargo 1\.96\.' || missing+=(cargo-web)
  { dpkg-query -W -f='${Version}' rust-web-src 2>/dev/null | grep -q '^1\.96\.' &&
    [ -f "/usr/lib/rustlib/src/rust/library/$1/Cargo.toml" ]; } || missing+=(rust-web-src)
  [ -x /usr/bin/wasm-ld-22 ] || missing+=(lld-22)
  command -v node >/dev/null || missing+=(nodejs)
  # cargo fetches crates over https; a minimal Debian image has no CA bundle.
  [ -s /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
  echo "${missing[@]}"
}

# wasm_toolchain STD_CRATES: picks the toolchain, installing what is missing.
wasm_toolchain() {
  local std_crates=$1 probe=alloc
  case ",$std_crates," in *,std,*) probe=std ;; esac
  if rustup_has_wasm; then
    TOOLCHAIN="rustup ($(rustc -V))"
    CARGO=(cargo)
    BUILD_STD=()
    command -v node >/dev/null || apt_install nodejs
    return
  fi
  local missing
  read -r -a missing <<<"$(deb_missing "$probe")"
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
    read -r -a missing <<<"$(deb_missing "$probe")"
    [ "${#missing[@]}" -eq 0 ] || die "still missing after apt-get install: ${missing[*]}"
  fi
  TOOLCHAIN="Debian $(/usr/bin/rustc -V) + build-std $std_crates, wasm-ld-22"
  # ~/.cargo/bin may come first on PATH: call Debian's cargo and rustc by full path. No prebuilt
  # wasm32 standard library exists for them, so it is built from rust-web-src (a nightly flag,
  # hence RUSTC_BOOTSTRAP). Debian ships no rust-lld: lld-22's wasm-ld links.
  CARGO=(env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/bin/wasm-ld-22 /usr/bin/cargo)
  BUILD_STD=("-Zbuild-std=$std_crates")
}

# wasm_build_both BUILD_FN: both flavours at once, each with half the cores: most of a cold
# build is one long serial chain (core -> alloc -> ... -> the crate) that would leave a core idle.
wasm_build_both() {
  JOBS=$(($(nproc) / 2))
  [ "$JOBS" -ge 1 ] || JOBS=1
  unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_TARGET_DIR
  "$1" simd128 "-C target-feature=+simd128" &
  local simd_pid=$!
  plain_rc=0
  "$1" plain "" || plain_rc=$?
  simd_rc=0
  wait "$simd_pid" || simd_rc=$?
}
