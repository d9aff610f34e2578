"""The golden files (Gymnasium's own trajectories) replay through the Python API.

* ``fusegym.validate`` runs the native validator (``fusegym validate``'s criteria: header
  constants, teacher-forced steps within 16 eps*M, free-running horizons against float32 twins).
* The same files replayed through ``FusegymVectorEnv`` itself (states written with
  ``set_env_state``, the recorded actions through ``step``), so the Python layer's plumbing is
  judged on Gymnasium's numbers: teacher-forced within 16 eps*M (M the largest magnitude of the
  step, at least 1), rewards and flags exact; free-running, each episode followed for at least the
  horizon the native validator requires of it.
"""

import json

import numpy as np
import pytest

import fusegym
from conftest import GOLDEN, GYMNASIUM_IDS

EPS = float(np.finfo(np.float32).eps)
TEACHER_ULPS = 16.0
FREE_REL = 1e-3


@pytest.mark.parametrize("backend", ["scalar", "simd"])
@pytest.mark.parametrize("env_id", GYMNASIUM_IDS)
def test_native_validator_passes(env_id, backend):
    report = fusegym.validate(GOLDEN / f"{env_id}.json", backend)
    assert report["passed"], report["failures"]
    assert report["teacher_forced_steps"] > 1000 and report["episodes"] == 16


def test_native_validator_catches_a_tampered_file(tmp_path):
    data = json.loads((GOLDEN / "Pendulum-v1.json").read_text())
    data["episodes"][3]["obs"][40][2] += 1e-3
    bad = tmp_path / "Pendulum-v1.json"
    bad.write_text(json.dumps(data))
    report = fusegym.validate(bad)
    assert not report["passed"] and any("obs[2]" in f for f in report["failures"])
    with pytest.raises(ValueError):
        fusegym.validate(tmp_path / "missing.json")


def _batch(file):
    h = file["header"]
    return fusegym.make_vec(h["env_id"], len(file["episodes"]), seed=0, autoreset_mode="DISABLED", copy=True)


def _actions(file, t):
    eps = file["episodes"]
    discrete = file["header"]["action"]["type"] == "discrete"
    acts = [ep["actions"][t] if t < ep["length"] else 0 for ep in eps]
    return np.array(acts, dtype=np.int64) if discrete else np.array(acts, dtype=np.float32).reshape(len(eps), -1)


@pytest.mark.parametrize("env_id", GYMNASIUM_IDS)
def test_teacher_forced_through_the_vector_env(env_id, golden):
    file = golden[env_id]
    envs = _batch(file)
    envs.reset()
    eps = file["episodes"]
    checked = 0
    for t in range(max(ep["length"] for ep in eps)):
        live = [k for k, ep in enumerate(eps) if t < ep["length"]]
        for k in range(len(eps)):
            ep = eps[k]
            src = ep["states"][t - 1] if 0 < t < ep["length"] else ep["initial_state"]
            envs.set_env_state(k, src, elapsed_steps=min(t, file["header"]["max_episode_steps"] - 1))
        obs, rew, term, trunc, _ = envs.step(_actions(file, t))
        for k in live:
            ep = eps[k]
            prev = ep["states"][t - 1] if t else ep["initial_state"]
            m = max([1.0, abs(ep["rewards"][t])] + [abs(x) for x in prev + ep["states"][t] + ep["obs"][t]])
            err = np.abs(obs[k].astype(np.float64) - np.array(ep["obs"][t])).max()
            assert err <= TEACHER_ULPS * EPS * m, f"episode {k} step {t}: obs error {err / (EPS * m):.1f} eps*M"
            state = envs.env_state(k).astype(np.float64)
            assert np.abs(state - np.array(ep["states"][t])).max() <= TEACHER_ULPS * EPS * m
            assert abs(rew[k] - ep["rewards"][t]) <= TEACHER_ULPS * EPS * m
            assert bool(term[k]) == ep["terminated"][t] and bool(trunc[k]) == ep["truncated"][t], f"flags, episode {k} step {t}"
            checked += 1
    assert checked == sum(ep["length"] for ep in eps)


@pytest.mark.parametrize("env_id", GYMNASIUM_IDS)
def test_free_running_through_the_vector_env(env_id, golden):
    file = golden[env_id]
    bars = [bar for _, _, bar in fusegym.validate(GOLDEN / f"{env_id}.json")["free_running"]]
    envs = _batch(file)
    envs.reset()
    eps = file["episodes"]
    for k, ep in enumerate(eps):
        envs.set_env_state(k, ep["initial_state"])
    followed = [None] * len(eps)
    for t in range(max(ep["length"] for ep in eps)):
        obs, rew, term, trunc, _ = envs.step(_actions(file, t))
        for k, ep in enumerate(eps):
            if followed[k] is not None or t >= ep["length"]:
                continue
            m = max([1.0] + [abs(x) for x in ep["states"][t] + ep["obs"][t]])
            off = np.abs(obs[k].astype(np.float64) - np.array(ep["obs"][t])).max() > FREE_REL * m
            flags = bool(term[k]) != ep["terminated"][t] or bool(trunc[k]) != ep["truncated"][t] or abs(rew[k] - ep["rewards"][t]) > FREE_REL * max(1.0, abs(ep["rewards"][t]))
            if off or flags:
                followed[k] = t
    followed = [ep["length"] if f is None else f for f, ep in zip(followed, eps)]
    short = [(k, f, b) for k, (f, b) in enumerate(zip(followed, bars)) if f < b]
    assert not short, f"(episode, followed, required): {short}"
