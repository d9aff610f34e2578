"""fusegym: vectorized reinforcement-learning environments with one fused SIMD step, as
Gymnasium vector envs.

>>> import fusegym
>>> envs = fusegym.make_vec("CartPole-v1", 4096, seed=42)
>>> obs, infos = envs.reset()
>>> obs, rewards, terminations, truncations, infos = envs.step(envs.action_space.sample())

Every env is also registered with Gymnasium as ``fusegym/<id>``: ``gymnasium.make_vec(
"fusegym/CartPole-v1", num_envs=N, vectorization_mode="vector_entry_point")`` and
``gymnasium.make("fusegym/CartPole-v1")``.
"""

from . import _native
from ._checks import BACKENDS
from .registration import register_envs
from .single import FusegymEnv
from .vector import FusegymVectorEnv, make_vec

__version__ = _native.version()

#: Every environment id, in display order.
ENV_IDS = tuple(e["id"] for e in _native.envs())


def env_info(env_id: str) -> dict:
    """What the registry says about ``env_id``: spaces, time limit, parameters and their valid ranges."""
    from ._checks import ENVS, env_id as _id

    return dict(ENVS[_id(env_id)])


def simd_paths() -> list:
    """The SIMD paths this CPU and build have (the CPU backends run the best one)."""
    return list(_native.simd_paths())


def validate(path, backend: str = "simd") -> dict:
    """Replays a Gymnasium golden file (``tests/golden``) with the native validator's criteria
    (``fusegym validate``): a report dict whose ``passed`` says whether every check held."""
    return dict(_native.validate(str(path), backend))


def gpu_adapters() -> list:
    """Every GPU adapter wgpu finds, one line each (``backend="gpu"`` uses the first)."""
    return list(_native.gpu_adapters())


register_envs()

__all__ = [
    "BACKENDS",
    "ENV_IDS",
    "FusegymEnv",
    "FusegymVectorEnv",
    "env_info",
    "gpu_adapters",
    "make_vec",
    "register_envs",
    "simd_paths",
    "validate",
]
