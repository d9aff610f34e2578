"""Autoreset semantics equal Gymnasium's in every mode: Gymnasium's own envs in a SyncVectorEnv
and fusegym, driven with the same actions from the same states (fusegym's states written into
Gymnasium's envs after every step, so float64 vs float32 rounding cannot accumulate), compared
step by step through episode ends: observations, rewards, flags and infos."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import fusegym
from conftest import GYMNASIUM_IDS

N = 16
STEPS = 600
# One step of float64 (Gymnasium) against float32 (fusegym) from the same state: relative errors
# of at most ~1.3e-6 on these envs (tests/golden/README.md); 2e-5 of the value's scale leaves
# room without hiding a wrong formula (those are off by far more in one step).
RTOL, ATOL = 2e-5, 2e-5


def _sync_states(ref, envs):
    for i, sub in enumerate(ref.envs):
        sub.unwrapped.state = envs.env_state(i).astype(np.float64)


def _obs_of_state(ref, i):
    u = ref.envs[i].unwrapped
    for name in ("_get_obs", "_get_ob"):  # Pendulum's and Acrobot's own observation functions
        if hasattr(u, name):
            return getattr(u, name)()
    return np.array(u.state, dtype=np.float32)


def _actions(space, rng, env_id):
    if isinstance(space, gym.spaces.MultiDiscrete):
        # Mostly one action, so episodes end early and often (CartPole falls, cars hit walls).
        return np.where(rng.random(N) < 0.8, 0 if env_id != "CartPole-v1" else 1, rng.integers(0, space.nvec))
    return rng.uniform(space.low, space.high).astype(np.float32)


@pytest.mark.parametrize("mode", list(AutoresetMode))
@pytest.mark.parametrize("env_id", GYMNASIUM_IDS)
def test_autoreset_matches_gymnasium(env_id, mode):
    rng = np.random.default_rng(1)
    ref = gym.make_vec(env_id, N, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode})
    envs = fusegym.make_vec(env_id, N, seed=3, autoreset_mode=mode, max_episode_steps=60)
    # A short time limit on both sides, so truncations happen too.
    for sub in ref.envs:
        sub._max_episode_steps = 60
    ref.reset(seed=0)
    obs, _ = envs.reset()
    _sync_states(ref, envs)
    ends = 0
    prev_done = np.zeros(N, dtype=bool)
    for t in range(STEPS):
        act = _actions(envs.action_space, rng, env_id)
        o, r, te, tr, info = envs.step(act)
        ro, rr, rte, rtr, rinfo = ref.step(act)
        np.testing.assert_array_equal(te, rte, err_msg=f"terminations at step {t}")
        np.testing.assert_array_equal(tr, rtr, err_msg=f"truncations at step {t}")
        np.testing.assert_allclose(r, rr, rtol=RTOL, atol=ATOL, err_msg=f"rewards at step {t}")
        assert set(info) == set(rinfo), f"info keys at step {t}: {sorted(info)} vs {sorted(rinfo)}"
        if "final_obs" in info:
            np.testing.assert_array_equal(info["_final_obs"], rinfo["_final_obs"])
            for i in np.flatnonzero(info["_final_obs"]):
                np.testing.assert_allclose(info["final_obs"][i], rinfo["final_obs"][i], rtol=RTOL, atol=ATOL)
        # Where an episode (re)started, the first states differ (two RNGs): compare the rest.
        started = (mode == AutoresetMode.SAME_STEP) & (te | tr)
        if mode == AutoresetMode.NEXT_STEP:
            started = prev_done
        keep = ~started
        np.testing.assert_allclose(o[keep], ro[keep], rtol=RTOL, atol=ATOL, err_msg=f"observations at step {t}")
        if mode == AutoresetMode.NEXT_STEP:
            assert np.all(r[started] == 0) and not np.any(te[started] | tr[started])
        done = te | tr
        ends += int(done.sum())
        if mode == AutoresetMode.DISABLED and done.any():
            o, _ = envs.reset(options={"reset_mask": done})
            ref.reset(options={"reset_mask": done.copy()})
        _sync_states(ref, envs)
        prev_done = done if mode == AutoresetMode.NEXT_STEP else None
        # After syncing, Gymnasium's view of the state is fusegym's observation.
        for i in range(N):
            np.testing.assert_allclose(o[i], _obs_of_state(ref, i), rtol=RTOL, atol=ATOL)
    assert ends >= 2 * N, f"only {ends} episode ends in {STEPS} steps: the test did not reach the autoreset paths"

