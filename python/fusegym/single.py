"""``FusegymEnv``: one fusegym env as a ``gymnasium.Env`` (``gymnasium.make("fusegym/<id>")``).

It is a batch of one in the core's DISABLED autoreset mode, so episodes end where Gymnasium's
do and ``reset`` starts the next one; the dynamics are the batch's, bit for bit.
"""

from __future__ import annotations

from typing import Any, Mapping

import gymnasium as gym
import numpy as np

from . import _checks, _native
from . import render as _render
from .vector import spaces


class FusegymEnv(gym.Env):
    """A single fusegym env. ``params`` are shared values or ``(low, high)`` ranges (drawn per
    seed, or per episode with ``redraw_each_episode``)."""

    # Class-level, as Gymnasium reads it before building the env.
    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(
        self,
        env_id: str = "CartPole-v1",
        *,
        params: Mapping[str, Any] | None = None,
        redraw_each_episode: bool = False,
        max_episode_steps: int | None = None,
        backend: str = "simd",
        render_mode: str | None = None,
    ):
        bare = _checks.env_id(env_id)
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        which, _ = _checks.backend(backend, None, 1)
        if max_episode_steps is not None:
            max_episode_steps = _checks.count("max_episode_steps", max_episode_steps, 0, 2**32 - 1)
        self._seed = _checks.seed(None)
        self._batch = _native.Batch(
            bare, 1, self._seed, "DISABLED", _checks.params(params, 1), bool(redraw_each_episode), max_episode_steps, 0, which, 0
        )
        self._info = _checks.ENVS[bare]
        self.observation_space, self.action_space = spaces(self._batch)
        self.render_mode = render_mode
        self.metadata = {"render_modes": ["rgb_array"], "render_fps": _render.fps(bare)}
        obs, rew, term, trunc, act, _ = self._batch.views()
        self._obs, self._rew, self._term, self._trunc, self._act = (np.asarray(v) for v in (obs, rew, term, trunc, act))
        self._discrete = isinstance(self.action_space, gym.spaces.Discrete)
        self._fresh = True

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}; fusegym's single env takes none")
        if seed is not None:
            self._seed = _checks.seed(seed)
            self._batch.reset_with_seed(self._seed)
        elif not self._fresh:
            self._batch.reset_envs([True])
        self._fresh = False
        return self._obs[0].copy(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        a = np.asarray(action)
        if self._discrete:
            if a.size != 1 or a.dtype.kind not in "iub":
                raise TypeError(f"{self._batch.env_id}: the action must be one integer, got {action!r}")
            self._act[0] = a.reshape(-1)[0]
        else:
            if a.dtype.kind not in "iuf":
                raise TypeError(f"{self._batch.env_id}: actions must be real numbers, got dtype {a.dtype}")
            if a.shape != self.action_space.shape:
                raise ValueError(f"{self._batch.env_id}: the action must have shape {self.action_space.shape}, got {a.shape}")
            np.copyto(self._act[0], a, casting="unsafe")
        self._batch.step()
        self._fresh = False
        return self._obs[0].copy(), float(self._rew[0]), bool(self._term[0]), bool(self._trunc[0]), {}

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        names = [p["name"] for p in self._info["params"]]
        return _render.frame(self._batch.env_id, self._batch.env_state(0), dict(zip(names, self._batch.env_params(0))))

    @property
    def state(self) -> np.ndarray:
        """The internal state (Gymnasium's ``env.unwrapped.state``)."""
        return np.asarray(self._batch.env_state(0), dtype=np.float32)

    def set_state(self, state: Any, elapsed_steps: int = 0) -> None:
        """Overwrites the state and step count and recomputes the observation."""
        values = _checks.finite_floats("state", state, len(self._info["state_names"]))
        self._batch.set_env_state(0, values, _checks.count("elapsed_steps", elapsed_steps, 0, 2**32 - 1))

    def close(self) -> None:
        self._obs = self._rew = self._term = self._trunc = self._act = None
        self._batch.close()
