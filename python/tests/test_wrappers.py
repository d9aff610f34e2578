"""Gymnasium's own vector wrappers run on the vector env unchanged, with their results checked."""

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import vector as vw

import fusegym


def test_record_episode_statistics_counts_fusegyms_episodes():
    n = 32
    envs = vw.RecordEpisodeStatistics(fusegym.make_vec("CartPole-v1", n, seed=4))
    envs.reset(seed=4)
    rng = np.random.default_rng(0)
    returns, lengths = [], []
    ret, length = np.zeros(n), np.zeros(n, dtype=int)
    prev_done = np.zeros(n, dtype=bool)
    for _ in range(400):
        _, r, te, tr, info = envs.step(rng.integers(0, 2, n))
        # NEXT_STEP: the step after an episode's end is the reset step, outside both episodes.
        ret = np.where(prev_done, 0, ret + r)
        length = np.where(prev_done, 0, length + 1)
        done = te | tr
        if "episode" in info:
            mask = info["_episode"]
            np.testing.assert_array_equal(mask, done)
            np.testing.assert_allclose(info["episode"]["r"][mask], ret[mask])
            np.testing.assert_array_equal(info["episode"]["l"][mask], length[mask])
            returns += list(ret[mask])
            lengths += list(length[mask])
        prev_done = done
    assert len(returns) > 100
    # Random CartPole episodes last about 22 steps (Gymnasium's own figure for random play).
    assert 15 < np.mean(lengths) < 30
    assert len(envs.return_queue) > 0 and np.isclose(envs.return_queue[-1], returns[-1])


def test_normalize_observation_and_reward():
    envs = vw.NormalizeReward(vw.NormalizeObservation(fusegym.make_vec("Pendulum-v1", 256, seed=1)), gamma=0.99)
    envs.reset(seed=1)
    rng = np.random.default_rng(0)
    seen = []
    for _ in range(300):
        obs, r, *_ = envs.step(rng.uniform(-2, 2, (256, 1)).astype(np.float32))
        seen.append(obs)
    seen = np.concatenate(seen[-100:])
    # Normalised: about zero mean and unit variance per component after the warm-up.
    assert np.all(np.abs(seen.mean(axis=0)) < 0.3) and np.all(np.abs(seen.std(axis=0) - 1) < 0.3)
    assert np.all(np.isfinite(r)) and np.abs(r).max() < 50


def test_clip_action_and_transform_observation():
    base = fusegym.make_vec("MountainCarContinuous-v0", 16, seed=2, copy=False)
    envs = vw.TransformObservation(vw.ClipAction(base), lambda o: o * 10.0, base.observation_space)
    envs.reset(seed=2)
    obs, r, *_ = envs.step(np.full((16, 1), 50.0, dtype=np.float32))
    # ClipAction turned 50 into 1 before fusegym saw it: the action cost is 0.1 * 1^2 per step.
    np.testing.assert_allclose(r, -0.1, rtol=1e-5)
    np.testing.assert_allclose(obs, base._obs * 10.0)
