"""``step`` reads a plain ndarray of the batch's shape in place (the extension converts and checks
it in one pass) and stages anything else through ``np.copyto``; ``copy=True`` outputs are filled
by the extension, or copied by numpy where it does not write arrays in place. Every path must
give the same steps, the same outputs and the same errors."""

import os
import subprocess
import sys

import numpy as np
import pytest

import fusegym
from conftest import assert_second_thread_refused

N = 37  # not a multiple of any SIMD width or of the 4-env transpose blocks
STEPS = 40


def test_arrays_are_read_in_place_here():
    # Otherwise the comparisons below would compare the general path with itself.
    assert fusegym._native.numpy_in_place()


def _layouts_discrete(a, n):
    """The same discrete actions (of ``Discrete(n)``) in layouts of both paths."""
    wide = np.zeros(2 * N, dtype=np.int64)
    wide[::2] = a
    reversed_ = a[::-1].copy()[::-1]
    layouts = {
        "int32": a.astype(np.int32),
        "uint8": a.astype(np.uint8),
        "int16": a.astype(np.int16),
        "uint64": a.astype(np.uint64),
        "strided view": wide[::2],
        "negative stride": reversed_,
        "big-endian": a.astype(">i8"),
        "list": a.tolist(),
        "subclass": a.view(np.ma.MaskedArray),
    }
    if n == 2:
        layouts["bool"] = a.astype(bool)
    return layouts


def _layouts_continuous(a):
    wide = np.zeros((N, 2 * a.shape[1]), dtype=np.float32)
    wide[:, ::2] = a
    return {
        "float64": a.astype(np.float64),
        "fortran": np.asfortranarray(a),
        "strided view": wide[:, ::2],
        "negative stride": a[::-1].copy()[::-1],
        "unaligned": _unaligned(a),
        "big-endian": a.astype(">f4"),
        "list": a.tolist(),
    }


def _unaligned(a):
    raw = np.zeros(a.nbytes + 1, dtype=np.uint8)
    out = raw[1:].view(np.float32).reshape(a.shape)
    out[...] = a
    return out


def _outputs(envs, actions):
    obs, rew, term, trunc, _ = envs.step(actions)
    return [np.array(x, copy=True) for x in (obs, rew, term, trunc)]


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1", "Pendulum-v1", "Reach3D-v1"])
@pytest.mark.parametrize("copy", [False, True])
def test_every_layout_steps_like_contiguous_native_arrays(env_id, copy):
    reference = fusegym.make_vec(env_id, N, seed=5, copy=copy)
    reference.reset()
    space = reference.action_space
    space.seed(5)
    batches = [space.sample() for _ in range(STEPS)]
    if reference._discrete:
        batches = [b.astype(np.int64) for b in batches]  # the fast path's common case
        layouts = lambda a: _layouts_discrete(a, reference.single_action_space.n)  # noqa: E731
    else:
        batches = [b.astype(np.float32) for b in batches]
        layouts = _layouts_continuous
    expected = [_outputs(reference, b) for b in batches]
    for name in layouts(batches[0]):
        envs = fusegym.make_vec(env_id, N, seed=5, copy=copy)
        envs.reset()
        for t, b in enumerate(batches):
            got = _outputs(envs, layouts(b)[name])
            for e, g in zip(expected[t], got):
                np.testing.assert_array_equal(g, e, err_msg=f"{env_id} {name}, step {t}")


def test_copies_are_fresh_c_ordered_and_gymnasiums_dtypes():
    envs = fusegym.make_vec("Acrobot-v1", N, seed=1, copy=True)
    envs.reset()
    first = envs.step(np.ones(N, dtype=np.int64))
    second = envs.step(np.ones(N, dtype=np.int64))
    for a, b in zip(first[:4], second[:4]):
        assert not np.shares_memory(a, b)
    obs, rew, term, trunc, _ = second
    assert obs.dtype == np.float32 and obs.shape == (N, 6) and obs.flags["C_CONTIGUOUS"] and obs.flags["OWNDATA"]
    assert rew.dtype == np.float64 and term.dtype == np.bool_ and trunc.dtype == np.bool_
    np.testing.assert_array_equal(obs, envs._obs)
    np.testing.assert_array_equal(rew, envs._rew.astype(np.float64))
    np.testing.assert_array_equal(term, envs._term)


@pytest.mark.parametrize("bad", [2, -1, 2**40, -(2**40)])
def test_errors_name_the_same_value_on_both_paths(bad):
    messages = []
    for fast in (True, False):
        envs = fusegym.make_vec("CartPole-v1", N, seed=0)
        envs.reset()
        actions = np.zeros(N, dtype=np.int64)
        actions[3] = bad
        with pytest.raises(ValueError) as e:
            envs.step(actions if fast else actions.tolist())
        messages.append(str(e.value))
        envs.step(np.zeros(N, dtype=np.int64))  # still usable
    assert messages[0] == messages[1], messages
    assert "index 3" in messages[0] and str(bad) in messages[0] and "Discrete(2)" in messages[0], messages[0]


def test_unsigned_wrapping_is_numpys():
    # uint64 2**64 - 1 is -1 after numpy's unsafe cast to int64, on either path (a big-endian
    # array is not read in place).
    messages = []
    for dtype in (np.uint64, ">u8"):
        envs = fusegym.make_vec("CartPole-v1", N, seed=0)
        envs.reset()
        actions = np.zeros(N, dtype=dtype)
        actions[5] = np.iinfo(np.uint64).max
        with pytest.raises(ValueError) as e:
            envs.step(actions)
        messages.append(str(e.value))
    assert messages[0] == messages[1] and "-1" in messages[0], messages


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_actions_are_refused_on_both_paths(value):
    for dtype in (np.float32, np.float64, ">f8"):
        envs = fusegym.make_vec("Pendulum-v1", N, seed=0)
        envs.reset()
        a = np.zeros((N, 1), dtype=dtype)
        a[7, 0] = value
        with pytest.raises(ValueError, match="index 7.*not finite|not finite.*index 7"):
            envs.step(a)


def test_a_view_of_the_staging_buffer_is_staged_not_read_in_place():
    envs = fusegym.make_vec("Pendulum-v1", N, seed=0, copy=False)
    twin = fusegym.make_vec("Pendulum-v1", N, seed=0, copy=False)
    envs.reset(), twin.reset()
    envs._act[...] = 1.5
    obs = envs.step(envs._act)[0]
    np.testing.assert_array_equal(obs, twin.step(np.full((N, 1), 1.5, dtype=np.float32))[0])


def test_one_batch_stepped_from_two_threads_is_an_error_not_a_race():
    envs = fusegym.make_vec("CartPole-v1", 1 << 17, seed=0, backend="simd", copy=False)
    envs.reset()
    actions = np.zeros(1 << 17, dtype=np.int64)
    assert_second_thread_refused(lambda: envs.step(actions), lambda: envs.step(actions), tries=5000)


_TRAJECTORY = """
import hashlib, numpy as np, fusegym
h = hashlib.sha256()
for env_id in ("CartPole-v1", "Pendulum-v1", "Reach3D-v1"):
    for copy in (False, True):
        envs = fusegym.make_vec(env_id, 37, seed=3, copy=copy)
        envs.reset()
        envs.action_space.seed(3)
        for _ in range(30):
            for x in envs.step(envs.action_space.sample())[:4]:
                h.update(np.ascontiguousarray(x).tobytes() + str(x.dtype).encode() + str(x.shape).encode())
print(fusegym._native.numpy_in_place(), h.hexdigest())
"""


def test_without_in_place_arrays_every_step_is_the_same():
    # FUSEGYM_NUMPY_IN_PLACE=0 is the general path a numpy of another layout would take.
    runs = []
    for flag in ("1", "0"):
        env = {**os.environ, "FUSEGYM_NUMPY_IN_PLACE": flag}
        out = subprocess.run([sys.executable, "-c", _TRAJECTORY], env=env, capture_output=True, text=True, check=True)
        runs.append(out.stdout.split())
    assert runs[0][0] == "True" and runs[1][0] == "False", runs
    assert runs[0][1] == runs[1][1]
