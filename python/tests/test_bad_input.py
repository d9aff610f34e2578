"""Every bad input is a Python exception naming the problem (docs/robustness.md, Python)."""

import numpy as np
import pytest

import fusegym
from conftest import assert_second_thread_refused


def make(**kw):
    return fusegym.make_vec("CartPole-v1", 8, seed=0, **kw)


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        ({"env_id": "Nope-v0"}, ValueError, "unknown environment id"),
        ({"env_id": 3}, TypeError, "env_id must be a str"),
        ({"num_envs": 0}, ValueError, "num_envs"),
        ({"num_envs": -5}, ValueError, "num_envs"),
        ({"num_envs": 2.5}, TypeError, "num_envs must be an int"),
        ({"num_envs": 2**40}, ValueError, "num_envs"),
        ({"num_envs": 4_000_000_000}, MemoryError, "GiB"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 2**64}, ValueError, "seed"),
        ({"seed": [1, 2]}, ValueError, "one int"),
        ({"autoreset_mode": "sometimes"}, ValueError, "autoreset_mode"),
        ({"backend": "tpu"}, ValueError, "unknown backend"),
        ({"threads": 2, "backend": "simd"}, ValueError, "needs backend='threads'"),
        ({"threads": 0, "backend": "threads"}, ValueError, "threads"),
        ({"params": {"lenght": 1.0}}, ValueError, "unknown parameter"),
        ({"params": {"length": -1.0}}, ValueError, "outside its valid range"),
        ({"params": {"length": float("nan")}}, ValueError, "outside its valid range"),
        ({"params": {"length": (0.9, 0.3)}}, ValueError, "range"),
        ({"params": {"length": [0.5] * 3}}, ValueError, "shape (8,)"),
        ({"params": {"length": "long"}}, TypeError, "params['length']"),
        ({"params": [("length", 1.0)]}, TypeError, "dict"),
        ({"render_mode": "human"}, ValueError, "render_mode"),
    ],
)
def test_construction_errors(kwargs, exc, words):
    args = {"env_id": "CartPole-v1", "num_envs": 8, "seed": 0}
    args.update(kwargs)
    with pytest.raises(exc, match=None) as e:
        fusegym.make_vec(args.pop("env_id"), args.pop("num_envs"), **args)
    assert words in str(e.value), str(e.value)


@pytest.mark.parametrize(
    "actions, exc, words",
    [
        (np.ones(7, dtype=np.int64), ValueError, "shape"),
        (np.ones((8, 1), dtype=np.int64), ValueError, "shape"),
        (np.ones(8, dtype=np.float64), TypeError, "integers"),
        (np.full(8, 2), ValueError, "outside Discrete(2)"),
        (np.full(8, -1), ValueError, "outside Discrete(2)"),
        (np.array(["a"] * 8), TypeError, "integers"),
        ([[0]] * 8, ValueError, "shape"),
    ],
)
def test_discrete_action_errors(actions, exc, words):
    envs = make()
    envs.reset()
    with pytest.raises(exc) as e:
        envs.step(actions)
    assert words in str(e.value), str(e.value)
    envs.step(np.zeros(8, dtype=np.int64))  # still usable


@pytest.mark.parametrize(
    "value, words",
    [(np.nan, "not finite"), (np.inf, "not finite"), (1e300, "not finite"), (2.0**61, "not finite")],
)
def test_continuous_action_errors(value, words):
    envs = fusegym.make_vec("Pendulum-v1", 4, seed=0)
    envs.reset()
    a = np.zeros((4, 1))
    a[2, 0] = value
    with np.errstate(over="ignore"), pytest.raises(ValueError) as e:
        envs.step(a)
    assert words in str(e.value) and "index" in str(e.value)
    with pytest.raises(TypeError):
        envs.step(np.zeros((4, 1), dtype=np.complex64))
    # Out-of-range torques are clipped, as Gymnasium does.
    envs.step(np.full((4, 1), 5.0))


def test_state_and_index_errors():
    envs = make()
    with pytest.raises(IndexError):
        envs.set_env_state(8, [0, 0, 0, 0])
    with pytest.raises(IndexError):
        envs.set_env_state(-1, [0, 0, 0, 0])
    with pytest.raises(IndexError):
        envs.env_state(2**32 + 3)
    with pytest.raises(ValueError, match="expected 4 values"):
        envs.set_env_state(0, [0, 0, 0])
    with pytest.raises(ValueError, match="not finite"):
        envs.set_env_state(0, [0, np.nan, 0, 0])
    # Finite but outside the state's declared range (issue 28, round two).
    with pytest.raises(ValueError, match=r"theta_dot \(index 3\) = 1e30 is outside its valid range \[-1000, 1000\]"):
        envs.set_env_state(0, [0, 0, 0, 1e30])
    with pytest.raises(ValueError, match="elapsed"):
        envs.set_env_state(0, [0, 0, 0, 0], elapsed_steps=500)
    with pytest.raises(IndexError):
        envs.frames([9])


def test_reset_errors():
    envs = make(autoreset_mode="DISABLED")
    with pytest.raises(TypeError, match="numpy array"):
        envs.reset(options={"reset_mask": [True] * 8})
    with pytest.raises(ValueError, match="shape"):
        envs.reset(options={"reset_mask": np.ones(7, dtype=bool)})
    with pytest.raises(TypeError, match="dtype"):
        envs.reset(options={"reset_mask": np.ones(8, dtype=np.int64)})
    with pytest.raises(ValueError, match="at least one True"):
        envs.reset(options={"reset_mask": np.zeros(8, dtype=bool)})
    with pytest.raises(ValueError, match="unknown reset options"):
        envs.reset(options={"low": -0.1})


def test_rollout_errors():
    envs = make()
    with pytest.raises(ValueError, match="unknown policy"):
        envs.rollout(10, "greedy")
    with pytest.raises(ValueError, match="needs action"):
        envs.rollout(10, "constant")
    with pytest.raises(ValueError, match="integer in 0..2"):
        envs.rollout(10, "constant", action=0.5)
    with pytest.raises(ValueError, match="must be"):
        envs.rollout(10, "linear", weights=np.zeros((3, 4)), bias=np.zeros(3))
    with pytest.raises(ValueError, match="not finite"):
        envs.rollout(10, "linear", weights=np.full((2, 4), np.nan), bias=np.zeros(2))
    with pytest.raises(MemoryError):
        envs.rollout(2**40, record=True)
    with pytest.raises(ValueError, match="steps"):
        envs.rollout(-1)


def test_use_after_close():
    envs = make()
    envs.reset()
    envs.close()
    for call in (lambda: envs.step(np.zeros(8, dtype=np.int64)), envs.reset, lambda: envs.rollout(3), lambda: envs.env_state(0)):
        with pytest.raises(RuntimeError, match="closed"):
            call()


def test_one_batch_from_two_threads_is_an_error_not_a_race():
    envs = fusegym.make_vec("CartPole-v1", 1 << 17, seed=0, backend="simd")
    envs.reset()
    assert_second_thread_refused(lambda: envs.rollout(50), lambda: envs.rollout(1), tries=2000)
