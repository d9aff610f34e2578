"""The examples run and reach their goals (PPO needs PyTorch and is run by hand: python/README.md)."""

import subprocess
import sys

import pytest

from conftest import REPO


def run(script, *args):
    out = subprocess.run([sys.executable, str(REPO / "python" / "examples" / script), *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_es_cartpole_solves_cartpole():
    assert "solved: mean return 500.0" in run("es_cartpole.py")


def test_ray_es_solves_cartpole_across_actors():
    pytest.importorskip("ray")
    assert "solved across 2 actors" in run("ray_es.py", "--generations", "20")
