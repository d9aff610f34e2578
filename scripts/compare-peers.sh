#!/usr/bin/env bash
# Compares fusegym's steps/s with the Python libraries users would otherwise pick (Gymnasium's
# vector envs, gymnax on JAX/CPU, EnvPool, PufferLib's Ocean CartPole) on this machine, in one run,
# and fusegym's own pip package stepped from Python the same way (installed here from ./python).
#
#   scripts/compare-peers.sh [options of scripts/compare-peers.py]   (--help lists them)
#
# This wrapper only prepares Python: it creates the throwaway virtualenv (default
# target/peers-venv, override with PEERS_VENV=DIR; reused when present) and installs the pinned
# peers from scripts/peers-requirements.txt, one peer at a time so that a peer that cannot be
# installed here is reported as such by the script instead of stopping the comparison. Then it
# runs scripts/compare-peers.py inside the venv, which builds fusegym (`cargo build --release`),
# measures everything and writes target/peers/results.json, docs/peers-table.md, docs/peers.svg.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=${PEERS_VENV:-target/peers-venv}
REQ=scripts/peers-requirements.txt
say() { printf 'compare-peers: %s\n' "$*" >&2; }

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
apt_install() {
  say "installing Debian packages: $*"
  "${SUDO[@]}" apt-get update -q >&2
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "$@" >&2
}

# A fresh Debian 12 has python3 (3.11) but not its venv module, and maybe no Rust toolchain
# (same fallback as scripts/test.sh: Debian's rustc-web when there is no rustup).
command -v python3 >/dev/null || apt_install python3
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
command -v cargo >/dev/null || apt_install rustc-web cargo-web gcc libc6-dev

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  say "creating virtualenv $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
fi

# Install groups: the script's own tools first, then each peer on its own. The requirements
# file is passed as constraints so every package, direct or pulled in, gets its pinned version.
# A group's outcome is written to $VENV/peers-install/<group> ("ok", or pip's last lines),
# which compare-peers.py quotes when a peer is missing. Skipped when nothing changed since the
# last run in which every group installed.
STATUS=$VENV/peers-install
STAMP=$STATUS/stamp
want_stamp=$(sha256sum "$REQ" scripts/compare-peers.sh | sha256sum | cut -c1-16)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want_stamp" ]; then
  mkdir -p "$STATUS"
  rm -f "$STAMP"
  all_ok=1
  while read -r group pkgs; do
    say "pip install ($group): $pkgs"
    # shellcheck disable=SC2086  # pkgs is a word list on purpose
    if "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$REQ" $pkgs \
        >"$STATUS/$group.log" 2>&1; then
      echo ok >"$STATUS/$group"
    else
      all_ok=0
      tail -n 5 "$STATUS/$group.log" >"$STATUS/$group"
      say "could not install $group (continuing without it):"
      sed 's/^/    /' "$STATUS/$group" >&2
    fi
  done <<'EOF'
tools numpy matplotlib cairosvg
gymnasium gymnasium
gymnax gymnax jax[cpu] jaxlib flax six
envpool envpool
EOF
  [ "$all_ok" = 1 ] && echo "$want_stamp" >"$STAMP"
fi

# fusegym from Python (the "fusegym-py" rows): this checkout's pip package, rebuilt on every run
# because its code changes between runs (maturin reuses cargo's build of the workspace). Its
# dependencies (numpy, gymnasium) are the pinned ones installed above; a failed build is
# reported like a peer's failed install.
mkdir -p "$STATUS"
say "pip install ./python (fusegym from Python)"
if "$VENV/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./python \
    >"$STATUS/fusegym-py.log" 2>&1; then
  echo ok >"$STATUS/fusegym-py"
else
  tail -n 5 "$STATUS/fusegym-py.log" >"$STATUS/fusegym-py"
  say "could not install fusegym's Python package (continuing without it):"
  sed 's/^/    /' "$STATUS/fusegym-py" >&2
fi

# PufferLib 3.0 (Ocean CartPole) needs numpy < 2, so it gets its own venv, built from the PyPI
# sdist by scripts/build-pufferlib.sh (skipped when already built); its outcome goes where the
# other peers' do, and a failed build is reported, not fatal.
scripts/build-pufferlib.sh "$STATUS/pufferlib"

exec "$VENV/bin/python" scripts/compare-peers.py --venv "$VENV" "$@"
