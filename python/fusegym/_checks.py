"""Argument checks shared by the vector env, the single env and the Ray shards.

Everything a user passes is checked here or by the core (whose messages come through as is),
so a mistake is a ``TypeError``/``ValueError``/``IndexError`` naming the argument, never a
crash or silent garbage.
"""

from __future__ import annotations

import numbers
import secrets
from typing import Any, Mapping

import numpy as np
from gymnasium.vector import AutoresetMode

from . import _native

BACKENDS = ("auto", "scalar", "simd", "threads", "gpu")
# `backend="auto"` uses the thread pool from this many envs on (below it, one core steps the
# batch faster than waking the workers: `docs/benchmarks.md`, threads).
AUTO_THREADS_MIN_ENVS = 8192
SEED_LIMIT = 1 << 64

_MODE_NAMES = {
    AutoresetMode.NEXT_STEP: "NEXT_STEP",
    AutoresetMode.SAME_STEP: "SAME_STEP",
    AutoresetMode.DISABLED: "DISABLED",
}

ENVS: dict[str, dict[str, Any]] = {e["id"]: e for e in _native.envs()}


def env_id(name: Any) -> str:
    """The registry id of ``name`` (``"CartPole-v1"`` or Gymnasium's ``"fusegym/CartPole-v1"``)."""
    if not isinstance(name, str):
        raise TypeError(f"env_id must be a str, got {type(name).__name__}")
    bare = name[len("fusegym/"):] if name.startswith("fusegym/") else name
    if bare not in ENVS:
        raise ValueError(f"unknown environment id {name!r}; known ids: {', '.join(ENVS)}")
    return bare


def count(name: str, value: Any, low: int, high: int) -> int:
    """An integer in ``[low, high]`` (bools and floats are refused: ``num_envs=2.5`` is a mistake)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    v = int(value)
    if not low <= v <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {v}")
    return v


def seed(value: Any) -> int:
    """A seed in ``[0, 2**64)``; ``None`` draws one from the OS (as Gymnasium does)."""
    if value is None:
        return secrets.randbits(64)
    if isinstance(value, (list, tuple, np.ndarray)):
        raise ValueError(
            "fusegym seeds a whole batch with one int (each env's episodes are keyed by the seed, "
            "its global index and its episode number); got a sequence of seeds"
        )
    return count("seed", value, 0, SEED_LIMIT - 1)


def autoreset(mode: Any) -> tuple[AutoresetMode, str]:
    """Gymnasium's ``AutoresetMode`` (or its value / name as a string) and the core's name."""
    if isinstance(mode, str):
        for m in AutoresetMode:
            if mode in (m.value, m.name, m.name.lower(), m.name.lower().replace("_", "-")):
                mode = m
                break
        else:
            raise ValueError(f"unknown autoreset_mode {mode!r}; expected one of {[m.name for m in AutoresetMode]}")
    if not isinstance(mode, AutoresetMode):
        raise TypeError(f"autoreset_mode must be a gymnasium.vector.AutoresetMode, got {type(mode).__name__}")
    return mode, _MODE_NAMES[mode]


def params(value: Mapping[str, Any] | None, num_envs: int) -> list[tuple[str, str, Any]]:
    """``{name: v}`` with ``v`` a number (shared), a ``(low, high)`` tuple (drawn per env), or a
    list/array of ``num_envs`` numbers (per env), as the core's ``(name, kind, value)`` list."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise TypeError(f"params must be a dict of name -> value, got {type(value).__name__}")
    out = []
    for name, v in value.items():
        if not isinstance(name, str):
            raise TypeError(f"parameter names must be str, got {name!r}")
        if isinstance(v, tuple):
            if len(v) != 2 or not all(_is_number(x) for x in v):
                raise TypeError(f"params[{name!r}]: a tuple means a range and must be (low, high) numbers, got {v!r}")
            out.append((name, "range", (float(v[0]), float(v[1]))))
        elif _is_number(v):
            out.append((name, "shared", float(v)))
        elif isinstance(v, (list, np.ndarray)):
            arr = np.asarray(v)
            if arr.dtype.kind not in "iuf":
                raise TypeError(f"params[{name!r}]: per-env values must be numbers, got dtype {arr.dtype}")
            if arr.shape != (num_envs,):
                raise ValueError(f"params[{name!r}]: per-env values must have shape ({num_envs},), got {arr.shape}")
            out.append((name, "per_env", arr.astype(np.float32).tolist()))
        else:
            raise TypeError(
                f"params[{name!r}] must be a number, a (low, high) tuple or a list/array of num_envs numbers, "
                f"got {type(v).__name__}"
            )
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def backend(name: Any, threads: Any, num_envs: int) -> tuple[str, int]:
    """The backend to build and the thread count (0 = one per core)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")
    if threads is not None:
        threads = count("threads", threads, 1, 256)
        if name not in ("threads", "auto"):
            raise ValueError(f"threads={threads} needs backend='threads' (got backend={name!r})")
        name = "threads"
    if name == "auto":
        name = "threads" if num_envs >= AUTO_THREADS_MIN_ENVS and _native.cores() > 1 else "simd"
    return name, threads or 0


def index(i: Any, num_envs: int) -> int:
    """An env index in ``[0, num_envs)`` (no wrapping, no negative indexing)."""
    if isinstance(i, bool) or not isinstance(i, numbers.Integral):
        raise TypeError(f"env index must be an int, got {type(i).__name__}")
    if not 0 <= int(i) < num_envs:
        raise IndexError(f"env index {int(i)} is out of range for a batch of {num_envs}")
    return int(i)


def finite_floats(name: str, values: Any, length: int) -> list[float]:
    """``length`` finite numbers as floats."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64).reshape(-1)
    if arr.shape != (length,):
        raise ValueError(f"{name}: expected {length} values, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: value at index {int(np.flatnonzero(~np.isfinite(arr))[0])} is not finite")
    return arr.tolist()
