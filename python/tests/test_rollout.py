"""The fused rollout from Python: statistics and recorded trajectories equal stepping."""

import numpy as np
import pytest

import fusegym


def test_constant_rollout_equals_stepping():
    n, steps = 300, 250
    a = fusegym.make_vec("MountainCar-v0", n, seed=5, autoreset_mode="SAME_STEP")
    b = fusegym.make_vec("MountainCar-v0", n, seed=5, autoreset_mode="SAME_STEP")
    stats = a.rollout(steps, "constant", action=2, record=True)
    b.reset()
    rewards, episodes, obs_before = np.zeros(n), np.zeros(n, dtype=np.uint64), [b._obs.copy()]
    for t in range(steps):
        o, r, te, tr, _ = b.step(np.full(n, 2))
        rewards += r
        episodes += (te | tr)
        obs_before.append(o.copy())
        np.testing.assert_array_equal(stats["rewards"][t], r.astype(np.float32))
        np.testing.assert_array_equal(stats["terminated"][t], te)
        np.testing.assert_array_equal(stats["obs"][t], obs_before[t])
    np.testing.assert_array_equal(stats["episodes"], episodes)
    np.testing.assert_allclose(stats["reward_sum"], rewards)
    assert stats["actions"].dtype == np.int64 and np.all(stats["actions"] == 2)
    # The batch is where stepping left the other one.
    np.testing.assert_array_equal(a._obs, b._obs)


def test_per_env_linear_policies_equal_numpy_argmax():
    n, steps = 128, 60
    rng = np.random.default_rng(3)
    w = rng.normal(size=(n, 2, 4)).astype(np.float32)
    bias = rng.normal(size=(n, 2)).astype(np.float32)
    a = fusegym.make_vec("CartPole-v1", n, seed=9, autoreset_mode="SAME_STEP")
    b = fusegym.make_vec("CartPole-v1", n, seed=9, autoreset_mode="SAME_STEP")
    stats = a.rollout(steps, "linear", weights=w, bias=bias)
    obs, _ = b.reset()
    total = np.zeros(n)
    for _ in range(steps):
        # out_j = sum_k w[j,k] obs[k] + b_j in the core's order (k ascending, then the bias).
        out = np.zeros((n, 2), dtype=np.float32)
        for k in range(4):
            out += w[:, :, k] * obs[:, k:k + 1]
        out += bias
        obs, r, *_ = b.step(np.argmax(out, axis=1))
        total += r
    np.testing.assert_allclose(stats["reward_sum"], total)


def test_es_finds_a_linear_policy_that_balances_cartpole():
    # The example in miniature: 512 candidates x 1 episode each, 20 generations.
    rng = np.random.default_rng(0)
    n, sigma = 512, 0.5
    mean = np.zeros((2, 4), dtype=np.float32)
    best = 0.0
    for _ in range(20):
        eps = rng.normal(size=(n, 2, 4)).astype(np.float32)
        envs = fusegym.make_vec("CartPole-v1", n, seed=int(rng.integers(1 << 32)), autoreset_mode="DISABLED")
        score = envs.rollout(500, "linear", weights=mean + sigma * eps, bias=np.zeros((n, 2), np.float32))["reward_sum"]
        best = max(best, score.max())
        z = (score - score.mean()) / (score.std() + 1e-8)
        mean += 0.2 * np.tensordot(z, eps, axes=1) / n / sigma
    assert best == pytest.approx(500.0)
