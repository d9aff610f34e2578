"""Registers every fusegym env with Gymnasium as ``fusegym/<id>`` (done at ``import fusegym``)."""

from __future__ import annotations

import gymnasium as gym

from . import _native


def register_envs() -> None:
    """``gymnasium.make("fusegym/<id>")`` (one env) and ``gymnasium.make_vec("fusegym/<id>",
    num_envs=N, vectorization_mode="vector_entry_point")`` (one fused batch) for every env."""
    for info in _native.envs():
        name = f"fusegym/{info['id']}"
        if name in gym.registry:
            continue
        gym.register(
            id=name,
            entry_point="fusegym.single:FusegymEnv",
            vector_entry_point="fusegym.vector:make_vector_entry",
            kwargs={"env_id": info["id"]},
        )
