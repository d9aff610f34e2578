"""copy=False hands out views of the batch's own memory; copy=True hands out fresh arrays."""

import gc

import numpy as np

import fusegym


def test_views_share_the_batchs_memory_across_steps():
    envs = fusegym.make_vec("CartPole-v1", 512, seed=1, copy=False)
    obs0, _ = envs.reset()
    out1 = envs.step(np.ones(512, dtype=np.int64))
    out2 = envs.step(np.zeros(512, dtype=np.int64))
    for a, b in zip(out1[:4], out2[:4]):
        assert a is b or np.shares_memory(a, b)
    assert np.shares_memory(obs0, out2[0])
    # The same memory as numpy's DLPack export (what torch.from_dlpack and jax take).
    dl = np.from_dlpack(out2[0])
    assert dl.__array_interface__["data"][0] == out2[0].__array_interface__["data"][0]
    assert np.shares_memory(dl, obs0)
    # Feature-major in the core: (num_envs, obs_dim) in Fortran order, no copy.
    assert out2[0].flags["F_CONTIGUOUS"] and out2[0].shape == (512, 4)
    state = np.stack([envs.env_state(i) for i in range(512)])
    np.testing.assert_array_equal(out2[0], state)  # CartPole's observation is its state


def test_copies_do_not_change_on_the_next_step():
    envs = fusegym.make_vec("Pendulum-v1", 64, seed=2)
    obs, _ = envs.reset()
    before = obs.copy()
    o1, r1, *_ = envs.step(np.full((64, 1), 2.0))
    keep_o, keep_r = o1.copy(), r1.copy()
    envs.step(np.full((64, 1), -2.0))
    np.testing.assert_array_equal(obs, before)
    np.testing.assert_array_equal(o1, keep_o)
    np.testing.assert_array_equal(r1, keep_r)
    assert not np.shares_memory(o1, envs.step(np.zeros((64, 1)))[0])
    assert r1.dtype == np.float64 and o1.flags["C_CONTIGUOUS"]


def test_views_outlive_close_and_the_env_object():
    envs = fusegym.make_vec("Acrobot-v1", 100, seed=3, copy=False)
    obs, _ = envs.reset()
    last = obs.copy()
    envs.close()
    del envs
    gc.collect()
    # Still the batch's last values: the memory lives as long as a view does.
    np.testing.assert_array_equal(obs, last)
    obs.sum()
