"""One logical batch sharded over Ray actors, behind the same vector API (``pip install fusegym[ray]``).

Each actor holds the shard ``[offset, offset + size)`` of the global batch: a fusegym batch built
with ``env_offset=offset``. The counter RNG keys every env by (seed, *global* index, episode), so
the union of the shards is the unsplit batch bit for bit, wherever the actors run. Ray does the
scheduling, the transport and the failure handling; nothing here is a cluster of our own.

>>> import ray, fusegym.ray
>>> ray.init(num_cpus=2)
>>> envs = fusegym.ray.make_vec("CartPole-v1", 65536, num_shards=2, seed=1)
>>> obs, infos = envs.reset()
>>> stats = envs.rollout(1000)           # per-env statistics of all shards, as one array
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from . import _checks
from .vector import FusegymVectorEnv

try:
    import ray as _ray
except ImportError as e:  # pragma: no cover - exercised only without Ray
    raise ImportError("fusegym.ray needs Ray: pip install 'fusegym[ray]' (or pip install ray)") from e


class Shard:
    """A Ray actor holding one shard (``FusegymVectorEnv`` with ``env_offset``)."""

    def __init__(self, env_id: str, num_envs: int, env_offset: int, kwargs: dict[str, Any]):
        self.env = FusegymVectorEnv(env_id, num_envs, env_offset=env_offset, copy=True, **kwargs)

    def reset(self, seed: int | None, mask: np.ndarray | None):
        options = None if mask is None else {"reset_mask": mask}
        return self.env.reset(seed=seed, options=options)

    def step(self, actions: np.ndarray):
        return self.env.step(actions)

    def rollout(self, steps: int, policy: str, kwargs: dict[str, Any]):
        return self.env.rollout(steps, policy, **kwargs)

    def path(self) -> str:
        return self.env.path

    def close(self) -> None:
        self.env.close()


def split(num_envs: int, num_shards: int) -> list[tuple[int, int]]:
    """``(offset, size)`` of each shard: contiguous, sizes differing by at most one."""
    base, extra = divmod(num_envs, num_shards)
    out, offset = [], 0
    for k in range(num_shards):
        size = base + (k < extra)
        out.append((offset, size))
        offset += size
    return out


class RayVectorEnv(VectorEnv):
    """``num_envs`` envs split over ``num_shards`` Ray actors; the API of ``FusegymVectorEnv``
    (``reset``, ``step``, ``rollout``), results concatenated in global env order."""

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        *,
        num_shards: int = 2,
        seed: int | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        actor_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        bare = _checks.env_id(env_id)
        n = _checks.count("num_envs", num_envs, 1, 2**32 - 1)
        shards = _checks.count("num_shards", num_shards, 1, n)
        self.autoreset_mode, _ = _checks.autoreset(autoreset_mode)
        seed = _checks.seed(seed)
        if not _ray.is_initialized():
            raise RuntimeError("fusegym.ray needs a running Ray: call ray.init(...) first")
        self.layout = split(n, shards)
        actor = _ray.remote(**(actor_options or {"num_cpus": 1}))(Shard)
        shared = dict(kwargs, seed=seed, autoreset_mode=self.autoreset_mode)
        self.shards = [actor.remote(bare, size, offset, shared) for offset, size in self.layout]
        # A shard's local twin gives the spaces (cheap: one env) and checks the arguments here,
        # so a mistake is raised by the caller, not inside an actor.
        local = FusegymVectorEnv(bare, 1, **shared)
        self.num_envs = n
        self.single_observation_space = local.single_observation_space
        self.single_action_space = local.single_action_space
        self.observation_space = batch_space(self.single_observation_space, n)
        self.action_space = batch_space(self.single_action_space, n)
        self.metadata = dict(local.metadata)
        local.close()
        self.paths = _ray.get([s.path.remote() for s in self.shards])

    def _gather(self, refs: list) -> list:
        return _ray.get(refs)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        mask = None if options is None else options.get("reset_mask")
        parts = self._gather(
            [s.reset.remote(seed, None if mask is None else mask[o:o + k]) for s, (o, k) in zip(self.shards, self.layout)]
        )
        return np.concatenate([p[0] for p in parts]), {}

    def step(self, actions: Any):
        a = np.asarray(actions)
        if a.shape != self.action_space.shape:
            raise ValueError(f"actions must have shape {self.action_space.shape}, got {a.shape}")
        parts = self._gather([s.step.remote(a[o:o + k]) for s, (o, k) in zip(self.shards, self.layout)])
        obs, rew, term, trunc = (np.concatenate([p[j] for p in parts]) for j in range(4))
        infos: dict[str, Any] = {}
        if any(p[4] for p in parts):
            final = np.full(self.num_envs, None, dtype=object)
            mask = np.zeros(self.num_envs, dtype=bool)
            for (o, k), p in zip(self.layout, parts):
                if p[4]:
                    final[o:o + k] = p[4]["final_obs"]
                    mask[o:o + k] = p[4]["_final_obs"]
            infos = {"final_obs": final, "_final_obs": mask, "final_info": {}, "_final_info": mask.copy()}
        return obs, rew, term, trunc, infos

    def rollout(self, steps: int, policy: str = "random", **kwargs: Any) -> dict[str, np.ndarray]:
        """The fused rollout on every shard at once; per-env statistics as one array each.
        Per-env linear weights (``(num_envs, outputs, obs_dim)``) are split by shard."""
        per_shard = []
        for o, k in self.layout:
            kw = dict(kwargs)
            for name in ("weights", "bias"):
                v = kw.get(name)
                if v is not None and np.ndim(v) == (3 if name == "weights" else 2):
                    kw[name] = np.asarray(v)[o:o + k]
            per_shard.append(kw)
        parts = self._gather([s.rollout.remote(steps, policy, kw) for s, kw in zip(self.shards, per_shard)])
        axis = {"obs": 1, "actions": 1, "rewards": 1, "terminated": 1, "truncated": 1}
        return {key: np.concatenate([p[key] for p in parts], axis=axis.get(key, 0)) for key in parts[0]}

    def close_extras(self, **kwargs: Any) -> None:
        _ray.get([s.close.remote() for s in self.shards])
        for s in self.shards:
            _ray.kill(s)
        self.shards = []


def make_vec(env_id: str, num_envs: int, **kwargs: Any) -> RayVectorEnv:
    """``num_envs`` envs of ``env_id`` over Ray actors; see ``RayVectorEnv``."""
    return RayVectorEnv(env_id, num_envs, **kwargs)
