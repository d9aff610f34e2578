"""``FusegymVectorEnv``: a batch of fusegym envs as a ``gymnasium.vector.VectorEnv``.

The batch steps inside the Rust core (one fused pass per step, the GIL released for big
batches); this class only checks arguments and hands back numpy views of the batch's outputs
(``copy=False``) or fresh copies of them (``copy=True``, Gymnasium's default). Actions that are
a plain ``ndarray`` of the batch's shape are read by the extension in place (converted and
checked in one pass); anything else is checked here and copied into the batch's staging buffer
with one ``np.copyto``. Both give the same steps and the same errors.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from . import _checks, _native
from . import render as _render

# Kinds of numpy dtypes accepted as actions: integers (and bools) for discrete spaces, any real
# number for continuous ones.
_DISCRETE_KINDS = "iub"
_CONTINUOUS_KINDS = "iuf"


def spaces(batch: Any) -> tuple[gym.spaces.Box, gym.spaces.Space]:
    """The single observation and action spaces of a native batch."""
    low, high = batch.observation_space
    obs = gym.spaces.Box(np.array(low, dtype=np.float32), np.array(high, dtype=np.float32), dtype=np.float32)
    a = batch.action_space
    if a[0] == "discrete":
        act: gym.spaces.Space = gym.spaces.Discrete(a[1])
    else:
        act = gym.spaces.Box(np.array(a[1], dtype=np.float32), np.array(a[2], dtype=np.float32), dtype=np.float32)
    return obs, act


class FusegymVectorEnv(VectorEnv):
    """``num_envs`` copies of one fusegym env, stepped in one fused call (see ``make_vec``)."""

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        *,
        seed: int | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        params: Mapping[str, Any] | None = None,
        redraw_each_episode: bool = False,
        max_episode_steps: int | None = None,
        backend: str = "auto",
        threads: int | None = None,
        copy: bool = True,
        render_mode: str | None = None,
        env_offset: int = 0,
    ):
        bare = _checks.env_id(env_id)
        n = _checks.count("num_envs", num_envs, 1, 2**32 - 1)
        offset = _checks.count("env_offset", env_offset, 0, 2**32 - 1)
        mode, mode_name = _checks.autoreset(autoreset_mode)
        if max_episode_steps is not None:
            max_episode_steps = _checks.count("max_episode_steps", max_episode_steps, 0, 2**32 - 1)
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        which, pool = _checks.backend(backend, threads, n)
        self._seed = _checks.seed(seed)
        self._batch = _native.Batch(
            bare,
            n,
            self._seed,
            mode_name,
            _checks.params(params, n),
            bool(redraw_each_episode),
            max_episode_steps,
            offset,
            which,
            pool,
        )
        self.num_envs = n
        self.env_offset = offset
        self.copy = bool(copy)
        self.autoreset_mode = mode
        self.render_mode = render_mode
        self.backend = which
        self.metadata = {"autoreset_mode": mode, "render_modes": ["rgb_array"], "render_fps": _render.fps(bare)}
        self.single_observation_space, self.single_action_space = spaces(self._batch)
        self.observation_space = batch_space(self.single_observation_space, n)
        self.action_space = batch_space(self.single_action_space, n)
        self._info = _checks.ENVS[bare]
        self._discrete = isinstance(self.single_action_space, gym.spaces.Discrete)
        self._kinds = _DISCRETE_KINDS if self._discrete else _CONTINUOUS_KINDS
        self._act_shape = self.action_space.shape
        self._views()
        # A fresh batch is at episode 0 of its seed: the first reset() returns it as it is.
        self._fresh = True

    def _views(self) -> None:
        obs, rew, term, trunc, act, fin = self._batch.views()
        self._obs = np.asarray(obs)
        self._rew = np.asarray(rew)
        self._term = np.asarray(term)
        self._trunc = np.asarray(trunc)
        self._act = np.asarray(act)
        self._fin = None if fin is None else np.asarray(fin)

    # -- facts ----------------------------------------------------------------------------

    @property
    def env_id(self) -> str:
        """The fusegym id (``"CartPole-v1"``)."""
        return self._batch.env_id

    @property
    def path(self) -> str:
        """The code path that steps the batch: ``avx2-f32x8``, ``avx2-f32x8 x 2 threads``, ``gpu: ...``."""
        return self._batch.path

    @property
    def seed(self) -> int:
        """The seed episodes are drawn from (the last one given to ``reset``)."""
        return self._seed

    @property
    def max_episode_steps(self) -> int:
        """The time limit (0 = none)."""
        return self._batch.max_episode_steps

    @property
    def param_specs(self) -> list[dict[str, Any]]:
        """Every parameter: name, doc, default and valid range (``low``, ``high``, ``valid``)."""
        return [dict(p) for p in self._info["params"]]

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Every env's value of every parameter, ``{name: array of num_envs}``."""
        table = np.asarray(self._batch.params_table())
        return {p["name"]: table[:, k].copy() for k, p in enumerate(self._info["params"])}

    # -- Gymnasium's API ------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Episode 0 of every env under ``seed``; without a seed, the next episode of every env
        (the first call after ``make_vec`` returns the batch's first episodes as they are).
        ``options={"reset_mask": mask}`` starts the next episode only where ``mask`` is true."""
        if self._act is None:
            raise RuntimeError(f"this {self.env_id} batch is closed")
        options = dict(options or {})
        mask = options.pop("reset_mask", None)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}; fusegym takes only 'reset_mask'")
        if mask is not None:
            self._check_mask(mask)
            if seed is not None:
                raise ValueError("reset(seed=..., options={'reset_mask': ...}): a seed reseeds the whole batch; reset it without the mask")
            self._batch.reset_envs(mask.tolist())
        elif seed is not None:
            self._seed = _checks.seed(seed)
            self._batch.reset_with_seed(self._seed)
        elif not self._fresh:
            self._batch.reset_envs([True] * self.num_envs)
        self._fresh = False
        return (self._obs.copy(order="C") if self.copy else self._obs), {}

    def _check_mask(self, mask: Any) -> None:
        if not isinstance(mask, np.ndarray):
            raise TypeError(f"options['reset_mask'] must be a numpy array, got {type(mask).__name__}")
        if mask.shape != (self.num_envs,):
            raise ValueError(f"options['reset_mask'] must have shape ({self.num_envs},), got {mask.shape}")
        if mask.dtype != np.bool_:
            raise TypeError(f"options['reset_mask'] must have dtype=np.bool_, got {mask.dtype}")
        if not mask.any():
            raise ValueError("options['reset_mask'] must contain at least one True value")

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """One step of every env: ``(obs, rewards, terminations, truncations, infos)``.

        ``copy=True``: fresh arrays (obs ``float32 (num_envs, obs_dim)``, rewards ``float64``,
        flags ``bool``), as Gymnasium's vector envs return them. ``copy=False``: views of the
        batch's own buffers (obs in Fortran order, rewards ``float32``) that the next ``step``
        or ``reset`` overwrites."""
        # Every step call pays for each line here: keep the common case to two native calls.
        if not self._batch.step_array(actions):
            self._step_staged(actions)
        self._fresh = False
        infos = {} if self._fin is None else self._final_infos()
        if self.copy:
            # Filled by the extension in one pass; numpy's copies where it does not write arrays in place.
            out = self._batch.outputs_copy()
            obs, rew, term, trunc = out if out is not None else self._numpy_copies()
            return obs, rew, term, trunc, infos
        return self._obs, self._rew, self._term, self._trunc, infos

    def _step_staged(self, actions: Any) -> None:
        """The general path: any array-like the numpy way, checked, cast and staged."""
        if self._act is None:
            raise RuntimeError(f"this {self.env_id} batch is closed")
        a = actions if type(actions) is np.ndarray else np.asarray(actions)
        if a.shape != self._act_shape:
            raise ValueError(f"{self.env_id}: actions must have shape {self._act_shape}, got {a.shape}")
        if a.dtype.kind not in self._kinds:
            what = "integers" if self._discrete else "real numbers"
            raise TypeError(f"{self.env_id}: actions must be {what}, got dtype {a.dtype}")
        np.copyto(self._act, a, casting="unsafe")
        self._batch.step()

    def _final_infos(self) -> dict[str, Any]:
        """Same-step mode's ``final_obs``, as Gymnasium gives it (one array per finished env)."""
        done = self._term | self._trunc
        if not done.any():
            return {}
        idx = np.flatnonzero(done)
        final = np.full(self.num_envs, None, dtype=object)
        final[idx] = list(self._fin[idx])
        return {"final_obs": final, "_final_obs": done, "final_info": {}, "_final_info": done.copy()}

    def _numpy_copies(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self._obs.copy(order="C"), self._rew.astype(np.float64), self._term.copy(), self._trunc.copy()

    def render(self, envs: int | Sequence[int] | None = None) -> np.ndarray | None:
        """RGB frames ``(k, height, width, 3)`` of the envs ``envs`` (default: the first 16), drawn
        as Gymnasium draws them; ``None`` when ``render_mode`` is not ``'rgb_array'``."""
        if self.render_mode != "rgb_array":
            return None
        return self.frames(envs)

    def frames(self, envs: int | Sequence[int] | None = None) -> np.ndarray:
        """RGB frames of ``envs`` whatever ``render_mode`` is (see ``render``)."""
        if envs is None:
            chosen = list(range(min(self.num_envs, 16)))
        elif isinstance(envs, (list, tuple, range, np.ndarray)):
            chosen = [_checks.index(i, self.num_envs) for i in envs]
        else:
            chosen = [_checks.index(envs, self.num_envs)]
        names = [p["name"] for p in self._info["params"]]
        return np.stack(
            [_render.frame(self.env_id, self.env_state(i), dict(zip(names, self._batch.env_params(i)))) for i in chosen]
        )

    def close_extras(self, **kwargs: Any) -> None:
        # Drop this object's own views first, so the batch can free its memory at once; arrays
        # the caller still holds keep theirs alive (and readable) until they go.
        self._obs = self._rew = self._term = self._trunc = self._act = self._fin = None
        self._batch.close()

    # -- attributes -----------------------------------------------------------------------

    def get_attr(self, name: str) -> tuple[Any, ...]:
        """Per-env values: a parameter name gives each env's value, ``"state"`` each env's state,
        ``"episode"``/``"elapsed_steps"`` the counters; spaces, ``spec``, ``metadata`` and
        ``render_mode`` are the same for every env."""
        if any(p["name"] == name for p in self._info["params"]):
            return tuple(self.params[name].tolist())
        if name == "state":
            return tuple(self.env_state(i) for i in range(self.num_envs))
        if name == "episode":
            return tuple(self._batch.episodes())
        if name == "elapsed_steps":
            return tuple(self._batch.elapsed())
        shared = {
            "observation_space": self.single_observation_space,
            "action_space": self.single_action_space,
            "spec": self.spec,
            "metadata": self.metadata,
            "render_mode": self.render_mode,
        }
        if name in shared:
            return (shared[name],) * self.num_envs
        raise AttributeError(f"{self.env_id} envs have no attribute {name!r}")

    def set_attr(self, name: str, values: Any) -> None:
        """``set_attr("state", states)`` overwrites every env's state (one row per env, or one
        state for all); parameters are fixed at ``make_vec`` (``params=``)."""
        if name != "state":
            raise AttributeError(
                f"set_attr({name!r}) is not supported: parameters are set with make_vec(..., params=...), states with set_attr('state', ...)"
            )
        rows = np.asarray(values, dtype=np.float64)
        if rows.ndim == 1:
            rows = np.broadcast_to(rows, (self.num_envs, rows.shape[0]))
        if rows.shape[0] != self.num_envs:
            raise ValueError(f"set_attr('state'): expected {self.num_envs} states, got {rows.shape[0]}")
        for i in range(self.num_envs):
            self.set_env_state(i, rows[i])

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """``call("render")`` gives every env's frame; other names fall back to ``get_attr``."""
        if name == "render":
            return tuple(self.frames(range(self.num_envs)))
        return self.get_attr(name)

    # -- fusegym's own ----------------------------------------------------------------------

    def env_state(self, i: int) -> np.ndarray:
        """Env ``i``'s internal state (Gymnasium's ``env.unwrapped.state``), ``float32``."""
        return np.asarray(self._batch.env_state(_checks.index(i, self.num_envs)), dtype=np.float32)

    def set_env_state(self, i: int, state: Any, elapsed_steps: int = 0) -> None:
        """Overwrites env ``i``'s state and step count and recomputes its observation. Each
        component must be finite and inside its declared range (``fusegym info --env ID``, the
        env's doc); otherwise ``ValueError`` naming the component."""
        i = _checks.index(i, self.num_envs)
        values = _checks.finite_floats("state", state, len(self._info["state_names"]))
        self._batch.set_env_state(i, values, _checks.count("elapsed_steps", elapsed_steps, 0, 2**32 - 1))

    def rollout(
        self,
        steps: int,
        policy: str = "random",
        *,
        action: Any = None,
        weights: Any = None,
        bias: Any = None,
        record: bool = False,
    ) -> dict[str, np.ndarray]:
        """``steps`` steps inside the fused loop, actions from ``policy``:

        * ``"random"``: uniform over the action space from the counter RNG (the same on every backend);
        * ``"constant"`` with ``action`` (a discrete index or ``action_dim`` values);
        * ``"linear"`` with ``weights`` ``(outputs, obs_dim)`` and ``bias`` ``(outputs,)`` shared by
          every env, or ``(num_envs, outputs, obs_dim)`` and ``(num_envs, outputs)`` per env; discrete
          spaces take the argmax of ``n`` outputs, continuous ones clip ``action_dim`` outputs.

        Returns per-env ``reward_sum`` (float64), ``episodes`` and ``length_sum`` (uint64); with
        ``record=True`` also the trajectory ``obs (steps, num_envs, obs_dim)``, ``actions``,
        ``rewards``, ``terminated``, ``truncated`` (CPU backends)."""
        steps = _checks.count("steps", steps, 0, 2**63 - 1)
        constant = None
        per_env = False
        if policy == "constant":
            if action is None:
                raise ValueError("rollout(policy='constant') needs action=")
            constant = _checks.finite_floats("action", action, self._act_shape[1] if len(self._act_shape) > 1 else 1)
        elif policy == "linear":
            per_env = self._fill_linear(weights, bias)
        elif policy != "random":
            raise ValueError(f"unknown policy {policy!r}; expected 'random', 'constant' or 'linear'")
        out = self._batch.rollout(steps, policy, constant, per_env, bool(record))
        self._fresh = False
        result = {k: np.asarray(v) for k, v in out.items()}
        if record and self._discrete:
            result["actions"] = result["actions"][..., 0].astype(np.int64)
        return result

    def _fill_linear(self, weights: Any, bias: Any) -> bool:
        if weights is None or bias is None:
            raise ValueError("rollout(policy='linear') needs weights= and bias=")
        w, b = np.asarray(weights), np.asarray(bias)
        for name, arr in (("weights", w), ("bias", b)):
            if arr.dtype.kind not in "iuf":
                raise TypeError(f"linear policy {name} must be numbers, got dtype {arr.dtype}")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"linear policy {name}: value at index {int(np.flatnonzero(~np.isfinite(arr.reshape(-1)))[0])} is not finite")
        per_env = w.ndim == 3
        vw, vb = (np.asarray(v) for v in self._batch.policy_views(per_env))
        if w.shape != vw.shape or b.shape != vb.shape:
            raise ValueError(
                f"linear policy: weights {w.shape} and bias {b.shape} must be {vw.shape} and {vb.shape}"
                + ("" if per_env else f" (or per env: {(self.num_envs, *vw.shape)} and {(self.num_envs, *vb.shape)})")
            )
        np.copyto(vw, w, casting="unsafe")
        np.copyto(vb, b, casting="unsafe")
        return per_env

    def __repr__(self) -> str:
        return f"FusegymVectorEnv({self.env_id}, num_envs={self.num_envs}, {self.autoreset_mode.name}, {self.path})"


def make_vec(env_id: str, num_envs: int = 1, **kwargs: Any) -> FusegymVectorEnv:
    """``num_envs`` copies of ``env_id`` as a Gymnasium vector env; see ``FusegymVectorEnv``."""
    return FusegymVectorEnv(env_id, num_envs, **kwargs)


def make_vector_entry(num_envs: int = 1, env_id: str = "CartPole-v1", **kwargs: Any) -> FusegymVectorEnv:
    """Gymnasium's ``vector_entry_point`` (``gymnasium.make_vec("fusegym/...", vectorization_mode="vector_entry_point")``)."""
    return FusegymVectorEnv(env_id, num_envs, **kwargs)
