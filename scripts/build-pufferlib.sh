#!/usr/bin/env bash
# Builds PufferLib 3.0's Ocean CartPole (C, one Python extension) for scripts/compare-peers.sh,
# from the PyPI sdist, into target/ (nothing of PufferLib is committed):
#
#   scripts/build-pufferlib.sh [STATUS_FILE]
#
# `pip install pufferlib` does not work here (its setup.py imports torch and downloads raylib and
# box2d at build time), so: download the sdist without building it (pip's metadata step fails,
# but with --no-clean and a private TMPDIR the unpacked sdist stays behind), compile only the
# extension pufferlib.ocean.cartpole.binding from pufferlib/ocean/cartpole/binding.c with
# setuptools, against the raylib shipped inside the sdist, and run it from a venv with the
# versions PufferLib 3.0 declares (numpy < 2 ...). Results:
#   target/puffer-venv        the venv (PUFFER_VENV overrides)
#   target/puffer/pufferlib   the unpacked sdist with the built extension (PYTHONPATH for the venv)
# Writes "ok" or the last lines of the failure to STATUS_FILE (default target/puffer/status);
# exits 0 either way when STATUS_FILE is given, so the comparison goes on without PufferLib.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=${PUFFER_VENV:-target/puffer-venv}
case $VENV in /*) ;; *) VENV=$PWD/$VENV ;; esac
DIR=$PWD/target/puffer
STATUS=${1:-$DIR/status}
VERSION=3.0.0
# PufferLib 3.0.0's declared ranges (numpy<2, gym<=0.23, gymnasium<=0.29.1, pettingzoo<=1.24.1,
# shimmy[gym-v21]) at their newest versions in range; setuptools builds the extension.
PINS=(numpy==1.26.4 gym==0.23.1 gymnasium==0.29.1 pettingzoo==1.24.1 "shimmy[gym-v21]==1.3.0" setuptools==80.9.0)
say() { printf 'build-pufferlib: %s\n' "$*" >&2; }
mkdir -p "$DIR" "$(dirname "$STATUS")"
log=$DIR/build.log
stamp="pufferlib==$VERSION ${PINS[*]} $(sha256sum "$0" | cut -c1-16)"

fail() {
  say "FAILED: $*"
  { echo "$*"; tail -n 3 "$log"; } >"$STATUS"
  exit 0
}

if [ "$(cat "$DIR/stamp" 2>/dev/null)" = "$stamp" ] && [ -x "$VENV/bin/python" ]; then
  echo ok >"$STATUS"
  exit 0
fi
rm -f "$DIR/stamp"
: >"$log"

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtualenv $VENV"
  python3 -m venv "$VENV" >>"$log" 2>&1 || fail "python3 -m venv $VENV"
fi
say "pip install ${PINS[*]}"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PINS[@]}" >>"$log" 2>&1 || fail "pip install of PufferLib's dependencies"

say "downloading the pufferlib==$VERSION sdist"
tmp=$(mktemp -d)
# The metadata step fails (setup.py imports numpy and torch in pip's isolated build): expected.
TMPDIR=$tmp "$VENV/bin/python" -m pip download "pufferlib==$VERSION" --no-deps --no-binary :all: \
  --no-build-isolation --no-clean -d "$tmp/dl" >>"$log" 2>&1 || true
src=$(find "$tmp" -maxdepth 2 -type d -name 'pufferlib_*' | head -n 1)
[ -n "$src" ] && [ -f "$src/pufferlib/ocean/cartpole/binding.c" ] || fail "the unpacked sdist was not found under $tmp"
rm -rf "$DIR/pufferlib"
mv "$src" "$DIR/pufferlib"
rm -rf "$tmp"

say "compiling pufferlib.ocean.cartpole.binding"
(
  cd "$DIR/pufferlib" || exit 1
  "$VENV/bin/python" - <<'EOF'
import numpy
from setuptools import Extension, setup

raylib = "raylib-5.5_linux_amd64"
setup(
    name="pufferlib-ocean-cartpole",
    packages=[],
    py_modules=[],
    script_args=["build_ext", "--inplace"],
    ext_modules=[
        Extension(
            "pufferlib.ocean.cartpole.binding",
            sources=["pufferlib/ocean/cartpole/binding.c"],
            include_dirs=[numpy.get_include(), f"{raylib}/include"],
            extra_objects=[f"{raylib}/lib/libraylib.a"],
            extra_compile_args=["-DNPY_NO_DEPRECATED_API=NPY_1_7_API_VERSION", "-DPLATFORM_DESKTOP", "-O2", "-flto"],
            extra_link_args=["-fwrapv", "-O2"],
        )
    ],
)
EOF
) >>"$log" 2>&1 || fail "compiling the Ocean CartPole extension"

say "checking the import"
# From $DIR: importing pufferlib links ./resources to its own folder.
(cd "$DIR" && PYTHONPATH=pufferlib "$VENV/bin/python" -c \
  'from pufferlib.ocean.cartpole.cartpole import Cartpole; e = Cartpole(num_envs=4); e.reset(); e.step(e.actions); e.close()' \
  >>"$log" 2>&1) || fail "importing and stepping pufferlib.ocean.cartpole.cartpole.Cartpole"
echo "$stamp" >"$DIR/stamp"
echo ok >"$STATUS"
say "ok"
