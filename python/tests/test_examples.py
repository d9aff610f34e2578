"""The examples run and reach their goals (PPO needs PyTorch, which the test command does not install:
its test runs where torch is importable, and python/README.md records a run)."""

import subprocess
import sys

import pytest

from conftest import REPO


def run(script, *args):
    out = subprocess.run([sys.executable, str(REPO / "python" / "examples" / script), *args], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_es_cartpole_solves_cartpole():
    assert "solved: mean return 500.0" in run("es_cartpole.py")


def test_ray_es_solves_cartpole_across_actors():
    pytest.importorskip("ray")
    assert "solved across 2 actors" in run("ray_es.py", "--generations", "20")


def test_ppo_cartpole_solves_cartpole_through_the_gymnasium_id():
    pytest.importorskip("torch")
    out = run("ppo_cartpole.py", "--env", "fusegym/CartPole-v1")
    assert "solved: mean return" in out, out
