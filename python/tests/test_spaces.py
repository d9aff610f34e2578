"""The vector env looks like Gymnasium's own: spaces, shapes, dtypes, metadata, registration."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode

import fusegym
from conftest import GYMNASIUM_IDS


@pytest.mark.parametrize("env_id", GYMNASIUM_IDS)
def test_spaces_are_gymnasiums(env_id):
    ref = gym.make(env_id)
    envs = fusegym.make_vec(env_id, 3, seed=0)
    assert envs.single_observation_space == ref.observation_space
    assert envs.single_action_space == ref.action_space
    sync = gym.make_vec(env_id, 3, vectorization_mode="sync")
    assert envs.observation_space == sync.observation_space
    assert envs.action_space == sync.action_space
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, infos = envs.reset(seed=1)
    sobs, _ = sync.reset(seed=1)
    assert (obs.shape, obs.dtype, obs.flags["C_CONTIGUOUS"]) == (sobs.shape, sobs.dtype, True)
    assert infos == {}
    out = envs.step(sync.action_space.sample())
    ref_out = sync.step(sync.action_space.sample())
    for mine, theirs in zip(out[:4], ref_out[:4]):
        assert (mine.shape, mine.dtype) == (theirs.shape, theirs.dtype)


def test_reach3d_observations_stay_in_their_space():
    envs = fusegym.make_vec("Reach3D-v1", 256, seed=3)
    obs, _ = envs.reset()
    for _ in range(300):
        assert envs.observation_space.contains(obs)
        obs, *_ = envs.step(envs.action_space.sample())


@pytest.mark.parametrize("env_id", fusegym.ENV_IDS)
def test_single_env_passes_gymnasiums_checker(env_id):
    env = gym.make(f"fusegym/{env_id}", render_mode="rgb_array")
    check_env(env.unwrapped)
    obs, _ = env.reset(seed=5)
    assert env.observation_space.contains(obs)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3


@pytest.mark.parametrize("env_id", fusegym.ENV_IDS)
def test_make_vec_by_name_through_gymnasium(env_id):
    envs = gym.make_vec(f"fusegym/{env_id}", num_envs=5, vectorization_mode="vector_entry_point", seed=11)
    assert isinstance(envs, fusegym.FusegymVectorEnv) and envs.num_envs == 5
    direct = fusegym.make_vec(env_id, 5, seed=11)
    a, _ = envs.reset()
    b, _ = direct.reset()
    np.testing.assert_array_equal(a, b)


def test_seeds_replay_and_differ():
    a = fusegym.make_vec("CartPole-v1", 64, seed=7)
    b = fusegym.make_vec("CartPole-v1", 64, seed=7)
    c = fusegym.make_vec("CartPole-v1", 64, seed=8)
    oa, _ = a.reset()
    ob, _ = b.reset()
    oc, _ = c.reset()
    np.testing.assert_array_equal(oa, ob)
    assert not np.array_equal(oa, oc)
    # reset() without a seed starts the next episodes; reset(seed=7) goes back to episode 0.
    nxt, _ = a.reset()
    assert not np.array_equal(nxt, oa)
    again, _ = a.reset(seed=7)
    np.testing.assert_array_equal(again, oa)


def test_shards_compose_into_the_unsplit_batch():
    whole = fusegym.make_vec("Acrobot-v1", 256, seed=3, autoreset_mode="SAME_STEP")
    halves = [fusegym.make_vec("Acrobot-v1", 128, seed=3, env_offset=k * 128, autoreset_mode="SAME_STEP") for k in (0, 1)]
    rng = np.random.default_rng(0)
    obs, _ = whole.reset()
    parts = [h.reset()[0] for h in halves]
    np.testing.assert_array_equal(obs, np.concatenate(parts))
    for _ in range(200):
        act = rng.integers(0, 3, 256)
        o, r, te, tr, _ = whole.step(act)
        outs = [h.step(act[k * 128:(k + 1) * 128]) for k, h in enumerate(halves)]
        np.testing.assert_array_equal(o, np.concatenate([x[0] for x in outs]))
        np.testing.assert_array_equal(r, np.concatenate([x[1] for x in outs]))
        np.testing.assert_array_equal(te, np.concatenate([x[2] for x in outs]))


def test_every_backend_gives_the_same_numbers():
    rng = np.random.default_rng(1)
    acts = rng.uniform(-2.5, 2.5, (100, 9000, 1)).astype(np.float32)
    results = []
    for backend in ("scalar", "simd", "threads"):
        envs = fusegym.make_vec("Pendulum-v1", 9000, seed=2, backend=backend)
        assert envs.backend == backend
        obs, _ = envs.reset()
        trace = [obs]
        for a in acts:
            trace.append(envs.step(a)[0])
        results.append(np.stack(trace))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_per_env_parameters_and_ranges():
    n = 100
    lengths = np.linspace(0.3, 1.2, n)
    envs = fusegym.make_vec("CartPole-v1", n, seed=1, params={"length": lengths, "masspole": (0.05, 0.2), "gravity": 9.0})
    p = envs.params
    np.testing.assert_allclose(p["length"], lengths.astype(np.float32))
    assert np.all((p["masspole"] >= 0.05) & (p["masspole"] < 0.2)) and len(np.unique(p["masspole"])) > 50
    assert np.all(p["gravity"] == np.float32(9.0))
    assert envs.get_attr("length") == tuple(p["length"].tolist())
    specs = {s["name"]: s for s in envs.param_specs}
    assert specs["length"]["default"] == pytest.approx(0.5) and "valid" in specs["length"]
    redraw = fusegym.make_vec("CartPole-v1", 64, seed=1, params={"length": (0.3, 0.9)}, redraw_each_episode=True)
    before = redraw.params["length"]
    redraw.reset()
    redraw.reset()
    assert not np.array_equal(before, redraw.params["length"])
