#!/usr/bin/env bash
# Tests the browser side of fusegym on a fresh Debian machine: installs what is missing, builds
# the npm package and the site (scripts/build-web.sh), then runs
#   1. tsc --noEmit over wasm/examples/example.ts against the package's types,
#   2. the node tests of the package (wasm/tests: API, autoreset modes, views, errors, Gymnasium
#      golden parity through the JS API on both builds, teacher-forced and free-running) and of
#      the page's training code,
#   3. the browser tests (web/tests/browser.test.mjs): playwright-core driving Debian's Chromium
#      headless with SwiftShader's WebGPU over the site served on 127.0.0.1 (demo draws on wasm and
#      on WebGPU, training reaches its goals on both, the bench page validates and times every
#      row including the WebGPU ones, errors and a missing WebGPU shown on the page).
# Installs, only when missing: Debian's rustc-web, cargo-web, rust-web-src, lld-22 (unless rustup
# has the wasm32 target), chromium, nodejs and npm (apt-get; one apt-get update), wasm-bindgen-cli
# 0.2.130 (cargo install, in build-web.sh), playwright-core and typescript (npm, into web/; never
# `npx playwright install`: Debian's Chromium is used). Screenshots and the bench results land
# in target/web-test/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
t0=$SECONDS
say() { printf '\n== test-web: %s\n' "$*"; }
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

missing=()
if ! { command -v rustup >/dev/null && timeout 60 rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; }; then
  /usr/bin/rustc -V 2>/dev/null | grep -q '^rustc 1\.96\.' || missing+=(rustc-web)
  /usr/bin/cargo -V 2>/dev/null | grep -q '^cargo 1\.96\.' || missing+=(cargo-web)
  [ -f /usr/lib/rustlib/src/rust/library/std/Cargo.toml ] || missing+=(rust-web-src)
  [ -x /usr/bin/wasm-ld-22 ] || missing+=(lld-22)
fi
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing with apt: ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || { echo "test-web: node $node_major is too old (18+ needed for node --test)" >&2; exit 1; }

if [ ! -f web/node_modules/playwright-core/package.json ] || [ ! -f web/node_modules/typescript/package.json ]; then
  say "npm install (playwright-core, typescript) into web/"
  (cd web && npm install --no-audit --no-fund --loglevel=error)
fi

say "build (scripts/build-web.sh)"
scripts/build-web.sh

say "types (tsc --noEmit over wasm/examples/example.ts)"
web/node_modules/.bin/tsc -p wasm/examples/tsconfig.json

say "node tests (package and training)"
node --test wasm/tests/ web/tests/train.test.mjs

say "browser tests (headless Chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1))"
node --test web/tests/browser.test.mjs

say "all web tests passed in $((SECONDS - t0)) s"
