#!/usr/bin/env bash
# The Python package's tests: installs python/ the way users do (`pip install ./python`, which
# builds the extension with maturin in the workspace's `fast` profile, so after the workspace
# tests it reuses their build of the core) into a virtual environment of its own, then runs
# pytest on python/tests. Installs what is missing on a fresh Debian machine (python3-venv).
# Ray is installed too (the sharded env's tests start a local Ray and a two-node cluster on this
# machine); --without-ray skips it, and those tests are then reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
log() { printf '\n== [python %4d s] %s\n' "$((SECONDS - started))" "$*"; }

VENV=target/python-venv
if [ ! -x "$VENV/bin/python" ]; then
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    log "installing python3-venv (Debian)"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip
  fi
  log "virtual environment $VENV"
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
log "test dependencies (numpy, Gymnasium 1.4, pytest, pygame for the render comparison, Ray)"
deps=("numpy>=1.22" "gymnasium==1.4.0" "pytest>=7" "pygame>=2.1")
[ "${1:-}" = "--without-ray" ] || deps+=("ray>=2.9")
"$PY" -m pip install -q --disable-pip-version-check "${deps[@]}"
log "pip install ./python"
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./python
log "pytest python/tests"
# From the repository root: python/ itself is not on sys.path, so the installed package is tested.
"$PY" -m pytest -q -p no:cacheprovider python/tests
log "done"
