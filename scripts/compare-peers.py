#!/usr/bin/env python3
"""fusegym vs. the Python vector-env libraries users would otherwise pick, on this machine.

Run it through scripts/compare-peers.sh, which creates the virtualenv with the pinned peers
(scripts/peers-requirements.txt) and then starts this script inside it.

For every environment among CartPole-v1, MountainCar-v0, MountainCarContinuous-v0, Pendulum-v1
and Acrobot-v1, and every batch size (default 1, 64, 1,024, 8,192 and 65,536 envs), it measures in
one run, env by env, one measurement at a time:

* fusegym: `fusegym bench --json --backend threads --backend simd --mode step --envs N` (and
  `--mode rollout` if this build of the CLI has it);
* Gymnasium: `gymnasium.make_vec(id, num_envs=N, vectorization_mode="vector_entry_point")` where
  the env has a native vector implementation, else `vectorization_mode="sync"` (SyncVectorEnv);
  `env.step(actions)` in a loop;
* gymnax: `jax.jit` of a `jax.lax.scan` over T steps of `jax.vmap(env.step)` (gymnax's own
  auto-reset included), with a pre-generated (T, N) action array;
* EnvPool: `envpool.make(id, env_type="gymnasium", num_envs=N, batch_size=N,
  num_threads=<cores>)`, synchronous `env.step(actions)`;
* PufferLib 3.0 (CartPole only: its Ocean C CartPole; the classic-control envs have no Ocean
  port): `Cartpole(num_envs=N)`, `env.step(actions)`, in its own venv (numpy < 2) built by
  scripts/build-pufferlib.sh, timed by scripts/puffer-peer.py with this file's `time_calls`;
* fusegym from Python ("fusegym-py", this checkout's pip package, installed by compare-peers.sh):
  `fusegym.make_vec(id, N, copy=False, backend=...)`, `env.step(actions)` timed like the
  step-loop peers, on the simd and threads backends, the faster kept. It is the Python-to-Python
  comparison, not a peer: the "fastest peer" ratios of native fusegym leave it out, and its own
  ratio against the fastest peer is a column of its own.

Actions are uniform over the action space and generated before timing. Creation (and for gymnax
compilation) is timed apart from stepping. Each measurement warms up, sizes a repeat to about
--seconds, then times up to --repeats repeats, at most about --cap seconds in all, and reports
the median, min and max steps/s (env-steps per second: batch size x steps / wall time).

The machine may be shared: before each measurement the script waits (up to --quiet-wait s) for
other processes to leave the CPUs, records how many cores they used during it, measures again at
the end whatever ran next to other work (keeping the cleaner of the two), and flags in the outputs
what still did.

Writes target/peers/results.json (raw), docs/peers-table.md and docs/peers.svg (generated), and
a PNG preview of the chart, target/peers/peers.png.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.metadata
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVS = ["CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1", "Acrobot-v1"]
# 1 and 64 envs: where a step call's fixed cost from Python decides (PufferLib's C CartPole
# costs about 0.5 us a call).
SIZES = [1, 64, 1_024, 8_192, 65_536]
# fusegym's own pip package, timed from Python like the peers but never counted as one.
FUSEGYM_PY = "fusegym-py"
PEERS = ["gymnasium", "gymnax", "envpool", "pufferlib", FUSEGYM_PY]
LABEL = {"gymnasium": "Gymnasium", "gymnax": "gymnax", "envpool": "EnvPool", "pufferlib": "PufferLib",
         FUSEGYM_PY: "fusegym (Python)"}
COLOR = {"gymnasium": "#1f77b4", "gymnax": "#ff7f0e", "envpool": "#9467bd", "pufferlib": "#d62728",
         FUSEGYM_PY: "#a5d6a7"}
CHART_NOTE = {
    FUSEGYM_PY: "fusegym (Python): make_vec(copy=False) stepped from Python, faster of simd/threads.",
    "gymnasium": "Gymnasium: CartPoleVectorEnv for CartPole, SyncVectorEnv (Python loop) otherwise.",
    "gymnax": "gymnax: jit + scan + vmap on CPU.",
    "envpool": "EnvPool: sync, own thread pool.",
    "pufferlib": "PufferLib: Ocean C CartPole (CartPole only), one process.",
}
# Envs a peer has (every env when not listed).
SUPPORTS = {"pufferlib": {"CartPole-v1"}}
# PufferLib runs from its own venv (scripts/build-pufferlib.sh; numpy < 2).
PUFFER_VENV = ROOT / os.environ.get("PUFFER_VENV", "target/puffer-venv")
PUFFER_SRC = ROOT / "target" / "puffer" / "pufferlib"
# Distribution names whose versions go into the outputs.
VERSIONS = ["numpy", "gymnasium", "gymnax", "jax", "jaxlib", "flax", "envpool", "matplotlib", "fusegym"]
# Length of the ring of pre-generated action batches the step-loop peers cycle through, as in
# `fusegym bench` (native/src/cli/bench.rs): the host's RNG is never inside the timed loop.
RING = 8


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads (EnvPool's and XLA's included)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# This is a shared machine. Each measurement records how many cores *other* processes kept busy
# meanwhile (Linux /proc/stat, less this process and its children), and waits a little for them
# to calm down first, so that a figure taken next to someone's build is flagged, not hidden.
BUSY_FLAG = 0.25  # cores used by others above which a measurement is flagged
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_busy_seconds() -> float | None:
    """CPU seconds spent outside the idle loop by every process on the machine, since boot."""
    try:
        with open("/proc/stat") as f:
            user, nice, system, _idle, _iowait, irq, softirq = map(int, f.readline().split()[1:8])
        return (user + nice + system + irq + softirq) / CLK_TCK
    except (OSError, ValueError):
        return None


def own_seconds() -> float:
    """CPU seconds of this process and of its waited-for children (the fusegym CLI)."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class Others:
    """`with Others() as o:` ... then o.cores = mean cores used by other processes meanwhile."""

    def __enter__(self):
        self.cores = None
        self.t, self.machine, self.own = time.perf_counter(), machine_busy_seconds(), own_seconds()
        return self

    def __exit__(self, *exc):
        machine = machine_busy_seconds()
        if machine is not None and self.machine is not None:
            wall = time.perf_counter() - self.t
            self.cores = round(max(0.0, (machine - self.machine) - (own_seconds() - self.own)) / wall, 2)
        return False


def wait_for_quiet(max_wait: float) -> float:
    """Waits until other processes use under BUSY_FLAG cores (0.3 s samples), at most max_wait
    seconds; returns the seconds waited beyond the first sample."""
    start = time.perf_counter()
    while True:
        with Others() as o:
            time.sleep(0.3)
        waited = time.perf_counter() - start - 0.3
        if o.cores is None or o.cores < BUSY_FLAG or waited >= max_wait:
            if waited > 0.1:
                log(f"   (waited {waited:.1f} s for other work on the machine: {o.cores} cores busy now)")
            return round(waited, 1)


def busy_note(cores: float | None) -> str:
    return f"  [others used {cores} cores meanwhile]" if cores is not None and cores >= BUSY_FLAG else ""


# --------------------------------------------------------------------------------------------
# Timing shared by every peer
# --------------------------------------------------------------------------------------------


def time_calls(call, n: int, steps_per_call: int, cfg) -> dict:
    """Times `call(t)` (t = call index), which advances all n envs by `steps_per_call` steps:
    one vector step for the step-loop peers, one jitted rollout of T steps for gymnax.

    Warm-up lasts cfg.warmup seconds (at least one call) and estimates a call's duration, so that
    one repeat is sized to about cfg.seconds, like `fusegym bench` does. The number of repeats is
    cfg.repeats unless that would exceed cfg.cap seconds: then fewer (at least one), so a
    measurement whose single call is slow (SyncVectorEnv at 65,536 envs) stays bounded; the
    repeat count is reported with the result.
    """
    t = 0
    start = time.perf_counter()
    while True:
        call(t)
        t += 1
        if time.perf_counter() - start >= cfg.warmup:
            break
    per_call = (time.perf_counter() - start) / t
    calls = max(1, round(cfg.seconds / per_call))
    repeats = max(1, min(cfg.repeats, int(cfg.cap // (calls * per_call))))
    sps = []
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    for _ in range(repeats):
        s = time.perf_counter()
        for _ in range(calls):
            call(t)
            t += 1
        sps.append(n * steps_per_call * calls / (time.perf_counter() - s))
    busy = (cpu_seconds() - cpu0) / (time.perf_counter() - wall0)
    return {
        "sps_median": statistics.median(sps),
        "sps_min": min(sps),
        "sps_max": max(sps),
        "steps_per_repeat": calls * steps_per_call,
        "calls_per_repeat": calls,
        "repeats": repeats,
        "cores_busy": round(busy, 2),
    }


def uniform_actions(rng, space: dict, shape_prefix: tuple, dtype_discrete):
    """Actions uniform over the action space, shaped shape_prefix + space shape.

    space is {"n": k} for Discrete(k) or {"low", "high", "shape"} for a bounded Box."""
    import numpy as np

    if "n" in space:
        return rng.integers(0, space["n"], size=shape_prefix).astype(dtype_discrete)
    low = np.asarray(space["low"], np.float32)
    high = np.asarray(space["high"], np.float32)
    return rng.uniform(low, high, size=shape_prefix + tuple(space["shape"])).astype(np.float32)


def gym_space(space) -> dict:
    """A gymnasium.spaces.Discrete/Box (single env) as the dict uniform_actions takes."""
    if hasattr(space, "n"):
        assert int(getattr(space, "start", 0)) == 0, "Discrete spaces with a start are not expected here"
        return {"n": int(space.n)}
    return {"low": space.low, "high": space.high, "shape": space.shape}


# --------------------------------------------------------------------------------------------
# Peers: each function creates the batch (timed as setup), then times stepping.
# --------------------------------------------------------------------------------------------


def measure_gymnasium(env_id: str, n: int, cfg) -> dict:
    import gymnasium as gym
    import numpy as np

    # Gymnasium recommends its native vector implementation where one exists (one numpy
    # program over the batch); the rest can only be vectorized by SyncVectorEnv, a Python loop
    # over N single envs. (AsyncVectorEnv runs one process per env: not an option at these N.)
    native = gym.spec(env_id).vector_entry_point is not None
    mode = "vector_entry_point" if native else "sync"
    t0 = time.perf_counter()
    env = gym.make_vec(env_id, num_envs=n, vectorization_mode=mode)
    env.reset(seed=0)
    setup = time.perf_counter() - t0
    # The API string names the env as ID so that runs of the same API group together.
    api = f'gymnasium.make_vec(ID, num_envs=N, vectorization_mode="{mode}") -> {type(env).__name__}; env.step(actions)'
    if not native:
        # The wrappers gymnasium.make put around each env (they are part of what a step costs).
        chain, inner = [], env.envs[0]
        while isinstance(inner, gym.Wrapper):
            chain.append(type(inner).__name__)
            inner = inner.env
        api += (f" — no vector entry point in gymnasium {gym.__version__}: a Python loop over N envs, "
                f"each gymnasium.make(ID) = {'('.join(chain)}(env{')' * len(chain)}")
    rng = np.random.default_rng(7)
    ring = uniform_actions(rng, gym_space(env.single_action_space), (RING, n), env.single_action_space.dtype)
    try:
        res = time_calls(lambda t: env.step(ring[t % RING]), n, 1, cfg)
    finally:
        env.close()
    autoreset = env.metadata.get("autoreset_mode")
    autoreset = f"{'next step' if 'NEXT' in str(autoreset) else 'same step' if 'SAME' in str(autoreset) else '?'} ({autoreset})"
    return {**res, "api": api, "setup_s": setup, "autoreset": autoreset}


def measure_envpool(env_id: str, n: int, cfg) -> dict:
    import envpool
    import numpy as np

    # EnvPool's synchronous mode (batch_size == num_envs): step() hands the whole batch to its
    # C++ thread pool and waits for all of it; one pool thread per core.
    threads = cfg.cores
    t0 = time.perf_counter()
    env = envpool.make(env_id, env_type="gymnasium", num_envs=n, batch_size=n, num_threads=threads, seed=0)
    env.reset()
    setup = time.perf_counter() - t0
    api = (
        f'envpool.make(ID, env_type="gymnasium", num_envs=N, batch_size=N, '
        f"num_threads={threads}); env.step(actions) (synchronous; EnvPool's own C++ thread pool)"
    )
    rng = np.random.default_rng(7)
    ring = uniform_actions(rng, gym_space(env.action_space), (RING, n), np.int32)
    try:
        res = time_calls(lambda t: env.step(ring[t % RING]), n, 1, cfg)
    finally:
        env.close()
    return {**res, "api": api, "setup_s": setup, "autoreset": "next step (the step after done resets)"}


def gymnax_horizon(n: int) -> int:
    """Steps T per jitted call: about 250,000 env-steps per call, at least 16 steps. A call then
    takes about 0.02-0.2 s here, long enough that dispatching it from Python is negligible and short
    enough for several repeats; the (T, N) action array stays small at 65,536 envs (T = 16)."""
    return max(16, 250_000 // n)


def measure_gymnax(env_id: str, n: int, cfg) -> dict:
    import gymnax
    import jax
    import jax.numpy as jnp
    import numpy as np

    t0 = time.perf_counter()
    env, params = gymnax.make(env_id)
    horizon = gymnax_horizon(n)
    sp = env.action_space(params)
    space = {"n": int(sp.n)} if hasattr(sp, "n") else {"low": sp.low, "high": sp.high, "shape": sp.shape}
    actions = jnp.asarray(uniform_actions(np.random.default_rng(7), space, (horizon, n), np.int32))

    # gymnax's recipe for speed: vmap the single-env step over the batch and jit a lax.scan
    # over time, so the whole rollout is one XLA program. env.step already auto-resets (it
    # computes a reset for every env and selects it where done), and needs one PRNG key per env
    # per step, split from a carried key as gymnax's examples do.
    vstep = jax.vmap(env.step, in_axes=(0, 0, 0, None))
    vreset = jax.vmap(env.reset, in_axes=(0, None))

    @jax.jit
    def rollout(carry, actions):
        def body(c, a):
            key, state, obs, reward_sum, done_count = c
            key, sub = jax.random.split(key)
            obs, state, reward, terminated, truncated, _ = vstep(jax.random.split(sub, n), state, a, params)
            # Every output of every step feeds the carry, so XLA cannot drop any of them (the
            # step-loop peers hand all of them back to Python each step).
            return (key, state, obs, reward_sum + reward, done_count + (terminated | truncated)), None

        return jax.lax.scan(body, carry, actions)[0]

    key = jax.random.PRNGKey(0)
    obs, state = jax.jit(vreset)(jax.random.split(key, n), params)
    carry = (key, state, obs, jnp.zeros(n, jnp.float32), jnp.zeros(n, jnp.int32))
    # Some reset states hold weakly typed scalars (Pendulum's last_u) that env.step returns
    # strongly typed: without making them strong here, the second call would compile again.
    carry = jax.block_until_ready(jax.tree.map(lambda x: jnp.asarray(x, x.dtype), carry))
    setup = time.perf_counter() - t0

    # The first call traces and compiles; it is timed on its own and kept out of steps/s.
    t0 = time.perf_counter()
    carry = jax.block_until_ready(rollout(carry, actions))
    first_call = time.perf_counter() - t0

    box = {"carry": carry}

    def call(_t):
        box["carry"] = jax.block_until_ready(rollout(box["carry"], actions))

    res = time_calls(call, n, horizon, cfg)
    if rollout._cache_size() != 1:  # a compilation inside the timed calls would void them
        raise RuntimeError(f"the rollout was compiled {rollout._cache_size()} times, expected once")
    api = (
        "env, params = gymnax.make(ID); jax.jit(lax.scan over T steps of jax.vmap(env.step)) with a "
        "pre-generated (T, N) action array and one PRNG key per env per step, block_until_ready after "
        f"each call (JAX {jax.__version__} on CPU, XLA's default threading)"
    )
    return {
        **res,
        "api": api,
        "setup_s": setup,
        "first_call_s": first_call,
        # The first call ran one rollout as well: subtract the median time of one.
        "compile_s": max(0.0, first_call - n * horizon / res["sps_median"]),
        "horizon": horizon,
        "autoreset": "same step (env.step selects a fresh reset state where done)",
    }


def measure_pufferlib(env_id: str, n: int, cfg) -> dict:
    if env_id not in SUPPORTS["pufferlib"]:
        raise ValueError(f"PufferLib Ocean has no {env_id}")
    cmd = [str(PUFFER_VENV / "bin" / "python"), str(ROOT / "scripts" / "puffer-peer.py"),
           str(n), str(cfg.seconds), str(cfg.repeats), str(cfg.cap), str(cfg.warmup)]
    # Run from target/puffer: importing pufferlib links ./resources to its own folder.
    p = subprocess.run(cmd, cwd=PUFFER_SRC.parent, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(PUFFER_SRC)})
    if p.returncode != 0:
        raise RuntimeError(f"scripts/puffer-peer.py exited {p.returncode}: {p.stderr.strip()[-400:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def measure_fusegym_py(env_id: str, n: int, cfg) -> dict:
    import fusegym
    import numpy as np

    # The pip package's Gymnasium vector env, stepped from Python exactly as the step-loop peers
    # are (same action ring, same time_calls); views of the batch's outputs (copy=False), as a
    # trainer that feeds them straight to its policy would use. Both CPU backends, the faster
    # kept, as for fusegym's native figure.
    runs = {}
    for backend in ("simd", "threads"):
        extra = {"threads": cfg.cores} if backend == "threads" else {}
        t0 = time.perf_counter()
        env = fusegym.make_vec(env_id, n, seed=0, copy=False, backend=backend, **extra)
        env.reset()
        setup = time.perf_counter() - t0
        ring = uniform_actions(np.random.default_rng(7), gym_space(env.single_action_space), (RING, n),
                               env.single_action_space.dtype)
        try:
            res = time_calls(lambda t: env.step(ring[t % RING]), n, 1, cfg)
        finally:
            env.close()
        runs[backend] = {**res, "setup_s": setup, "path": env.path}
    best = max(runs, key=lambda b: runs[b]["sps_median"])
    api = (f'fusegym.make_vec(ID, N, copy=False, backend="simd" | "threads", threads={cfg.cores}); env.step(actions) '
           f"(fusegym {fusegym.__version__}, this checkout's pip package; the faster backend kept)")
    return {**runs[best], "api": api, "backend": best,
            "sps_by_backend": {b: r["sps_median"] for b, r in runs.items()},
            "autoreset": "next step (AutoresetMode.NEXT_STEP, Gymnasium's default)"}


MEASURE = {"gymnasium": measure_gymnasium, "gymnax": measure_gymnax, "envpool": measure_envpool,
           "pufferlib": measure_pufferlib, FUSEGYM_PY: measure_fusegym_py}
IMPORTS = {"gymnasium": ["gymnasium"], "gymnax": ["jax", "gymnax"], "envpool": ["envpool"], "pufferlib": [],
           FUSEGYM_PY: ["fusegym"]}


def peer_availability(peers: list[str], venv: Path | None) -> dict[str, str | None]:
    """None for a peer that imports; else why not, quoting pip when compare-peers.sh recorded a
    failed install (never pretend: a peer that is not here is reported as such)."""
    out = {}
    for peer in peers:
        if peer == "pufferlib":
            status = venv / "peers-install" / "pufferlib" if venv else None
            text = status.read_text().strip() if status and status.exists() else None
            built = (PUFFER_VENV / "bin" / "python").exists() and any(
                (PUFFER_SRC / "pufferlib" / "ocean" / "cartpole").glob("binding*.so"))
            out[peer] = None if built and text in (None, "ok") else (
                "build failed (scripts/build-pufferlib.sh): " + " | ".join((text or "not built").split("\n")[-3:]))
            continue
        try:
            for mod in IMPORTS[peer]:
                importlib.import_module(mod)
            out[peer] = None
        except Exception as e:  # noqa: BLE001 - any import failure means "not available"
            reason = f"import failed: {type(e).__name__}: {e}"
            status = venv / "peers-install" / peer if venv else None
            if status and status.exists() and status.read_text().strip() != "ok":
                reason = "pip install failed: " + " | ".join(status.read_text().split("\n")[-3:]).strip(" |")
            out[peer] = reason
    return out


# --------------------------------------------------------------------------------------------
# fusegym
# --------------------------------------------------------------------------------------------


def fusegym_binary(build: bool) -> Path:
    """`cargo build --release` of the CLI (unless build is False); returns the binary's path,
    wherever cargo puts it (CARGO_TARGET_DIR, .cargo/config)."""
    if build:
        log("building fusegym: cargo build --release -p fusegym")
        subprocess.run(["cargo", "build", "--release", "-p", "fusegym"], cwd=ROOT, check=True)
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return Path(json.loads(meta.stdout)["target_directory"]) / "release" / "fusegym"


def fusegym_bench(binary: Path, env: str, n: int, mode: str, cfg) -> dict | None:
    """Runs `fusegym bench --json` for one env, both backends, the peers' repeat settings; None
    when this CLI does not know `--mode <mode>`."""
    cmd = [str(binary), "bench", "--json", "--env", env, "--backend", "threads", "--backend", "simd"]
    cmd += ["--mode", mode, "--envs", str(n), "--repeats", str(cfg.repeats), "--seconds", str(cfg.seconds)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    # Exit 2 is bad input (clap). A CLI without the mode says "invalid value '<mode>'".
    if p.returncode == 2 and f"'{mode}'" in p.stderr:
        return None
    # Exit 1 still prints the document: a backend failed validation and has no figures.
    if p.returncode not in (0, 1) or not p.stdout.strip():
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    doc = json.loads(p.stdout)
    doc["command"] = " ".join(["fusegym"] + cmd[1:])
    return doc


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


def si(x: float | None) -> str:
    """Steps/s for people: 3 significant digits with k/M/G."""
    if x is None:
        return "—"
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= div:
            v = x / div
            return f"{v:.3g}{suf}" if v < 100 else f"{v:.0f}{suf}"
    return f"{x:.3g}"


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "—"
    r = a / b
    return f"{r:.3g}×" if r < 1000 else f"{r:,.0f}×"


def cells(results: dict, env: str, n: int, peers: list[str]) -> dict:
    """The numbers of one table row: fusegym's backends, each peer, and the ratios."""
    fg = results["fusegym"].get((env, n), {})
    row = {"simd": fg.get(("step", "simd")), "threads": fg.get(("step", "threads"))}
    row["rollout"] = max(
        [v for k, v in fg.items() if k[0] == "rollout" and v], default=None
    )
    # fusegym's figure for the ratios: the faster of its step-mode backends at this size (each
    # peer is also used in its fastest documented configuration).
    best = [(v, k) for k, v in (("simd", row["simd"]), ("threads", row["threads"])) if v]
    row["best"], row["best_backend"] = max(best) if best else (None, None)
    row["peers"] = {p: results["peers"].get((p, env, n), {}).get("sps_median") for p in peers}
    # Measurements during which other processes kept BUSY_FLAG cores or more busy.
    row["flag"] = {who: (results["others"].get((who, "step", env, n)) or 0) >= BUSY_FLAG
                   for who in ["fusegym"] + peers}
    # fusegym from Python is fusegym, not a peer: left out of the fastest peer.
    fastest = [(v, p) for p, v in row["peers"].items() if v and p != FUSEGYM_PY]
    row["fastest"], row["fastest_peer"] = max(fastest) if fastest else (None, None)
    row["py"] = row["peers"].get(FUSEGYM_PY)
    return row


def star(c: dict, who: str) -> str:
    return "\\*" if c["flag"].get(who) else ""


def console_table(results: dict, envs, sizes, peers) -> str:
    head = f"{'env':<25} {'N':>7} {'fg simd':>8} {'fg thr':>8} "  # each figure has a 1-char flag column
    head += "".join(f" {LABEL[p]:>10} " for p in peers)
    head += "".join(f" {'fg/' + p:>12}" for p in peers) + f" {'fg/fastest':>12}"
    head += f" {'py/fastest':>12}" if FUSEGYM_PY in peers else ""
    lines = ["steps/s (median); fg = fusegym, ratios use fusegym's faster step-mode backend; "
             f"* = other processes used >= {BUSY_FLAG} core meanwhile", head]
    for n in sizes:
        for env in envs:
            c = cells(results, env, n, peers)
            mark = {w: "*" if f else " " for w, f in c["flag"].items()}
            line = f"{env:<25} {n:>7,} {si(c['simd']):>8}{mark['fusegym']}{si(c['threads']):>8}{mark['fusegym']}"
            line += "".join(f" {si(c['peers'][p]):>10}{mark[p]}" for p in peers)
            line += "".join(f" {ratio(c['best'], c['peers'][p]):>12}" for p in peers)
            line += f" {ratio(c['best'], c['fastest']):>12}"
            line += f" {ratio(c['py'], c['fastest']):>12}" if FUSEGYM_PY in peers else ""
            lines.append(line)
    return "\n".join(lines)


def markdown(doc: dict, results: dict, envs, sizes, peers) -> str:
    hw = doc["hardware"]
    v = doc["versions"]
    avail = doc["unavailable"]
    rollout_note = doc["fusegym_rollout"]
    py = FUSEGYM_PY in peers
    out = [
        "# fusegym vs. peers: steps/s",
        "",
        "<!-- Generated by scripts/compare-peers.sh; do not edit: rerun the script. -->",
        "",
        f"Generated by `{' '.join(['scripts/compare-peers.sh'] + doc['args'])}` on {doc['date']}; "
        f"the run (fusegym's cargo build, every measurement; venv already installed) took {doc['duration_s'] / 60:.1f} min.",
        "",
        f"**Machine** (from `fusegym bench --json`): {hw['cpu']}, {hw['cores']} cores, {hw['arch']} {hw['os']}, "
        f"SIMD path `{hw['simd_path']}`; fusegym {hw['fusegym_version']} "
        f"({'release' if hw['optimized'] else 'DEBUG'} build). Load average (1 min) at start / end: "
        f"{doc['loadavg_start']:.2f} / {doc['loadavg_end']:.2f} on {hw['cores']} cores (a shared machine: "
        "other work competes with the measurements).",
        "",
        f"**Versions**: Python {v['python']}, numpy {v.get('numpy')}, gymnasium {v.get('gymnasium')}, "
        f"gymnax {v.get('gymnax')} (jax {v.get('jax')}, jaxlib {v.get('jaxlib')}), envpool {v.get('envpool')}.",
        "",
        "**Method**: one run on this machine, env by env: fusegym, then each peer, one measurement at a time. "
        "Steps/s = envs × steps ÷ "
        "wall time; median of up to "
        f"{doc['settings']['repeats']} repeats of about {doc['settings']['seconds']} s after a warm-up "
        f"(fewer repeats where one step alone is slow, at most about {doc['settings']['cap']} s per "
        "measurement; the raw file has min, max and repeats). Random actions, uniform over the action space, "
        "are generated before timing. Creation and compilation are timed apart (table below). "
        "fusegym: `fusegym bench --json --mode step --backend simd --backend threads --envs N` "
        f"(simd: one thread; threads: {doc['fusegym_threads']} threads). The ratios use fusegym's faster step-mode "
        "backend at that size."
        + (" fusegym (Python) is this checkout's pip package stepped from Python like the peers (its faster backend); "
           "it is not a peer: the fastest peer leaves it out, and its last column compares it, Python to Python, "
           "with that fastest peer." if py else ""),
        "",
        "| env | envs | fusegym simd | fusegym threads | "
        + " | ".join(LABEL[p] for p in peers)
        + " | "
        + " | ".join(f"fusegym ÷ {LABEL[p]}" for p in peers)
        + " | fusegym ÷ fastest peer |"
        + (f" {LABEL[FUSEGYM_PY]} ÷ fastest peer |" if py else ""),
        "|---|---:|---:|---:|" + "---:|" * (2 * len(peers) + 1 + py),
    ]
    for env in envs:
        for n in sizes:
            c = cells(results, env, n, peers)
            fastest = f"{ratio(c['best'], c['fastest'])} ({LABEL[c['fastest_peer']]})" if c["fastest"] else "—"
            out.append(
                f"| {env} | {n:,} | {si(c['simd'])}{star(c, 'fusegym')} | {si(c['threads'])}{star(c, 'fusegym')} | "
                + " | ".join("not installed" if avail.get(p) else si(c["peers"][p]) + star(c, p) for p in peers)
                + " | "
                + " | ".join(ratio(c["best"], c["peers"][p]) for p in peers)
                + f" | {fastest} |"
                + (f" {ratio(c['py'], c['fastest'])} |" if py else "")
            )
    others = [v for v in results["others"].values() if v is not None]
    flagged = sum(v >= BUSY_FLAG for v in others)
    quiet = (f"Before each measurement the script waited up to {doc['settings']['quiet_wait']:g} s for other "
             f"processes to leave the CPUs, and measured again at the end what still ran next to them")
    if flagged:
        out += ["", f"\\* other processes on the machine kept {BUSY_FLAG} core or more busy on average during that "
                f"measurement ({flagged} of {len(others)} measurements; `others_cores` in results.json). {quiet}."]
    else:
        out += ["", f"Other processes kept under {BUSY_FLAG} core busy during each of the {len(others)} measurements "
                f"(`others_cores` in results.json). {quiet}."]
    few = [r for r in doc["peers"] if r.get("repeats", 3) < 3]
    if few:
        out += ["", "Fewer than 3 timed repeats (one step of the whole batch takes most of the time cap): " + "; ".join(
            f"{LABEL[r['library']]} {r['env']} at {r['num_envs']:,} ({r['repeats']} × {r['steps_per_repeat']} "
            f"step{'s' if r['steps_per_repeat'] > 1 else ''})" for r in few) + "."]
    out += ["", "![steps/s at the largest batch, log scale](peers.svg)", "", "## What was timed", ""]
    out.append("- **fusegym**: `fusegym bench` in step mode: the host passes an action batch each step and every "
               "output (obs, reward, terminated, truncated) is written; same-step auto-reset.")
    for p in peers:
        if avail.get(p):
            out.append(f"- **{LABEL[p]}**: NOT MEASURED — {avail[p]}")
            continue
        resets = sorted({r["autoreset"] for r in doc["peers"] if r["library"] == p and r.get("autoreset")})
        out.append(f"- **{LABEL[p]}** (auto-reset: {', '.join(resets)}):")
        out += [f"  - `{api}`: {', '.join(ids)}" for api, ids in apis_of(doc, p).items()]
        if p == "gymnax":
            out.append("  - T = " + ", ".join(f"{t:,} at {int(n):,} envs" for n, t in doc["settings"]["gymnax_horizon"].items()))
    errors = [r for r in doc["peers"] if r.get("error")]
    for r in errors:
        out.append(f"- {LABEL[r['library']]} {r['env']} at {r['num_envs']:,} envs failed: {r['error']}")
    out.append(f"- fusegym `--mode rollout`: {rollout_note}")
    out += ["", "## Creation and compilation (seconds, not part of steps/s)", ""]
    cols = [("gymnasium", "setup_s", "Gymnasium make_vec + reset"), ("gymnax", "setup_s", "gymnax make + reset"),
            ("gymnax", "first_call_s", "gymnax first call (compile + 1 call)"),
            ("envpool", "setup_s", "EnvPool make + reset"), ("pufferlib", "setup_s", "PufferLib Cartpole() + reset"),
            (FUSEGYM_PY, "setup_s", "fusegym (Python) make_vec + reset")]
    cols = [c for c in cols if c[0] in peers and not avail.get(c[0])]
    out.append("| env | envs | " + " | ".join(c[2] for c in cols) + " |")
    out.append("|---|---:|" + "---:|" * len(cols))
    for env in envs:
        for n in sizes:
            vals = [results["peers"].get((p, env, n), {}).get(k) for p, k, _ in cols]
            out.append(f"| {env} | {n:,} | " + " | ".join("—" if x is None else f"{x:.2f}" for x in vals) + " |")
    out += ["", "CPU cores kept busy while stepping (process CPU time ÷ wall time, median over envs and sizes): " + ", ".join(
        f"{LABEL[p]} {statistics.median([r['cores_busy'] for r in doc['peers'] if r['library'] == p and r.get('cores_busy') is not None]):.2f}"
        for p in peers if any(r["library"] == p and r.get("cores_busy") is not None for r in doc["peers"])
    ) + ".", ""]
    return "\n".join(out)


def apis_of(doc: dict, peer: str) -> dict[str, list[str]]:
    """Each distinct API string a peer was timed with, and the envs it was timed on."""
    out: dict[str, list[str]] = {}
    for r in doc["peers"]:
        if r["library"] == peer and r.get("api") and r["env"] not in out.setdefault(r["api"], []):
            out[r["api"]].append(r["env"])
    return out


def chart(doc: dict, results: dict, envs, n: int, peers, path: Path) -> None:
    """Grouped bars, log scale: steps/s per environment and library at batch size n."""
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    # Reproducible SVG (no random ids, no date) so reruns give small diffs.
    matplotlib.rcParams["svg.hashsalt"] = "fusegym-peers"
    from matplotlib.patches import Patch

    # (label, colour, who: the key of the "others busy" flag, values per env)
    series = [("fusegym threads", "#1b5e20", "fusegym", []), ("fusegym simd", "#66bb6a", "fusegym", [])]
    series += [(LABEL[p], COLOR[p], p, []) for p in peers]
    flags = []
    for env in envs:
        c = cells(results, env, n, peers)
        series[0][3].append(c["threads"])
        series[1][3].append(c["simd"])
        for i, p in enumerate(peers):
            series[2 + i][3].append(c["peers"][p])
        flags.append(c["flag"])
    fig, ax = plt.subplots(figsize=(11, 5.6))
    width = 0.8 / len(series)
    handles = []
    for i, (name, color, who, ys) in enumerate(series):
        unavailable = doc["unavailable"].get(who)
        # Legend entries are drawn by hand so that a peer with no bars still shows, greyed out.
        handles.append(Patch(color="#cccccc" if unavailable else color,
                             label=name + (" (not installed)" if unavailable else "")))
        for k, y in enumerate(ys):
            if not y:
                continue
            x = k + (i - (len(series) - 1) / 2) * width
            ax.bar(x, y, width * 0.92, color=color)
            ax.text(x, y * 1.15, si(y) + ("*" if flags[k].get(who) else ""),
                    ha="center", va="bottom", fontsize=7, rotation=90)
    ax.set_yscale("log")
    all_y = [y for *_, ys in series for y in ys if y] or [1, 10]
    # Whole decades below, room above for the value labels and the legend.
    ax.set_ylim(10 ** math.floor(math.log10(min(all_y))), max(all_y) * 30)
    ax.set_xticks(range(len(envs)), envs)
    ax.set_ylabel("env-steps per second (log scale)")
    ax.grid(axis="y", which="major", alpha=0.35)
    ax.set_axisbelow(True)
    hw = doc["hardware"]
    ax.set_title(f"Steps/s at {n:,} envs, random actions — {hw['cpu']}, {hw['cores']} cores ({hw['simd_path']})",
                 fontsize=11)
    ax.legend(handles=handles, ncol=len(series), fontsize=8, loc="upper center", frameon=False)
    note = [CHART_NOTE[p] for p in peers if not doc["unavailable"].get(p)]
    if any(f.get(w) for f in flags for w in f):
        note.append("* other processes were busy during that measurement.")
    fig.text(0.01, 0.01, " ".join(note + ["Generated by scripts/compare-peers.sh."]), fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def png_preview(svg: Path, png: Path) -> str:
    """Renders the SVG so a person (or a review) can look at what the file really draws."""
    try:
        import cairosvg

        cairosvg.svg2png(url=str(svg), write_to=str(png), output_width=1400)
        return f"preview: {png}"
    except Exception as e:  # noqa: BLE001 - the preview is a convenience, never fatal
        return f"no PNG preview ({type(e).__name__}: {e}; cairosvg needs Debian's libcairo2)"


# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="batch sizes, comma-separated (default %(default)s)")
    ap.add_argument("--envs", default=",".join(ENVS), help="environment ids, comma-separated (default: our five)")
    ap.add_argument("--peers", default=",".join(PEERS), help="peers, comma-separated (default %(default)s)")
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement (default %(default)s)")
    ap.add_argument("--seconds", type=float, default=0.25, help="target seconds per repeat (default %(default)s)")
    ap.add_argument("--cap", type=float, default=1.5, help="max seconds of timed repeats per peer measurement")
    ap.add_argument("--warmup", type=float, default=0.2, help="warm-up seconds per peer measurement (at least 1 step)")
    ap.add_argument("--quiet-wait", type=float, default=10, help="max seconds to wait before each measurement "
                    "for other processes to leave the CPUs (default %(default)s)")
    ap.add_argument("--no-retry-busy", dest="retry_busy", action="store_false",
                    help="do not measure again, at the end, what ran next to other work on the machine")
    ap.add_argument("--out", default="target/peers", help="raw results folder (default %(default)s)")
    ap.add_argument("--docs", default="docs", help="where peers-table.md and peers.svg go (default %(default)s)")
    ap.add_argument("--no-build", action="store_true", help="use the fusegym binary already built")
    ap.add_argument("--render-only", action="store_true",
                    help="measure nothing: redraw the table and chart from --out/results.json")
    ap.add_argument("--venv", help=argparse.SUPPRESS)  # set by compare-peers.sh: where install logs are
    args = ap.parse_args()
    # The command line to show in the outputs, less --venv (the wrapper's business).
    argv = sys.argv[1:]
    shown_args = [a for i, a in enumerate(argv) if a != "--venv" and not (i and argv[i - 1] == "--venv")]
    shown_args = [a for a in shown_args if not a.startswith("--venv=")]
    sizes = [int(s) for s in args.sizes.split(",")]
    envs = args.envs.split(",")
    peers = args.peers.split(",")
    for p in peers:
        if p not in MEASURE:
            ap.error(f"unknown peer {p!r} (known: {', '.join(PEERS)})")
    out_dir = ROOT / args.out
    if args.render_only:
        render(json.loads((out_dir / "results.json").read_text()), out_dir, ROOT / args.docs)
        return 0
    if sys.prefix == sys.base_prefix:
        log("note: not running inside a virtualenv; scripts/compare-peers.sh creates one with the pinned peers")

    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    # Gymnasium warns when EnvPool's float64 space bounds are cast to float32: harmless here.
    warnings.filterwarnings("ignore", message=".*precision lowered.*")

    binary = fusegym_binary(build=not args.no_build)

    unavailable = peer_availability(peers, Path(args.venv) if args.venv else None)
    for p, why in unavailable.items():
        if why:
            log(f"*** {LABEL[p]} is NOT available and will not be measured: {why}")
    versions = {"python": platform.python_version()}
    for d in VERSIONS:
        try:
            versions[d] = importlib.metadata.version(d)
        except importlib.metadata.PackageNotFoundError:
            versions[d] = None

    state = {"hardware": None, "rollout": True, "rollout_note": "not tried"}

    def run_job(job: tuple) -> dict | None:
        """One measurement: ("fusegym", mode, env, n) or (peer, "step", env, n). None when it
        cannot run (fusegym without that mode)."""
        who, mode, env, n = job
        rec = {"library": who, "mode": mode, "env": env, "num_envs": n}
        rec["waited_s"] = wait_for_quiet(args.quiet_wait)
        with Others() as others:
            if who == "fusegym":
                rec["bench"] = fusegym_bench(binary, env, n, mode, args)
            else:
                try:
                    rec.update(MEASURE[who](env, n, argparse.Namespace(**vars(args), cores=state["hardware"]["cores"])))
                except Exception as e:  # noqa: BLE001 - one failing peer/env must not stop the others
                    rec["error"] = f"{type(e).__name__}: {e}"
                gc.collect()  # drop the batch (65,536 Python envs for SyncVectorEnv) before the next
        rec["others_cores"] = others.cores
        if who == "fusegym":
            if rec["bench"] is None:
                return None
            state["hardware"] = state["hardware"] or rec["bench"]["hardware"]
            for r in rec["bench"]["results"]:
                log(f"   fusegym {r['mode']}/{r['backend']:<8} {r['env']:<25} {si(r['sps_median']):>7} steps/s"
                    + (f"  ERROR {r['error']}" if r.get("error") else "") + busy_note(others.cores))
        else:
            extra = f"compile+1st call {rec['first_call_s']:.2f}s, " if "first_call_s" in rec else ""
            log(f"   {LABEL[who]:<17} {env:<25} " + (
                f"{si(rec['sps_median']):>7} steps/s  (setup {rec['setup_s']:.2f}s, {extra}"
                f"{rec['repeats']}x{rec['steps_per_repeat']} steps, {rec['cores_busy']} cores busy)"
                if "sps_median" in rec else f"FAILED: {rec['error']}") + busy_note(others.cores))
        return rec

    # Env by env, fusegym first and then each peer, so that the figures compared with each other
    # are taken close together in time.
    records: dict[tuple, dict] = {}
    for n in sizes:
        log(f"== {n:,} envs")
        for env in envs:
            jobs = [("fusegym", "step", env, n)] + ([("fusegym", "rollout", env, n)] if state["rollout"] else [])
            jobs += [(p, "step", env, n) for p in peers if not unavailable[p] and env in SUPPORTS.get(p, {env})]
            for job in jobs:
                rec = run_job(job)
                if rec is None:  # only a CLI without --mode rollout gets here
                    state["rollout"] = False
                    state["rollout_note"] = ("skipped: this fusegym CLI rejects `--mode rollout` (only `step` exists "
                                             "in this build); rerun the script once the rollout mode has landed")
                    log(f"   fusegym --mode rollout: {state['rollout_note']}")
                    continue
                records[job] = rec
    if state["rollout"]:
        state["rollout_note"] = "measured (`fusegym_runs` with mode rollout in results.json)"
    # Second chance for the measurements that ran next to other work: measure them once more and
    # keep the one that saw less of it (both are kept in results.json).
    superseded = []
    busy_jobs = [j for j, r in records.items() if (r["others_cores"] or 0) >= BUSY_FLAG]
    if busy_jobs and args.retry_busy:
        log(f"== measuring again the {len(busy_jobs)} measurements that ran next to other work")
        for job in busy_jobs:
            rec = run_job(job)
            old = records[job]
            if rec is not None and ("error" not in rec or "error" in old) and rec["others_cores"] < old["others_cores"]:
                records[job], old = rec, records[job]
            superseded.append(old)

    doc = {"fusegym_runs": [], "peers": [], "superseded": superseded}
    threads_used = None
    for (who, _mode, _env, _n), rec in records.items():
        if who == "fusegym":
            doc["fusegym_runs"].append(rec)
            threads_used = next((r["threads"] for r in rec["bench"]["results"] if r["backend"] == "threads"),
                                threads_used)
        else:
            doc["peers"].append(rec)

    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze"], capture_output=True, text=True).stdout.split()
    doc.update({
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "args": shown_args,
        "duration_s": time.perf_counter() - started,
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg()[0],
        "hardware": state["hardware"],
        "fusegym_threads": threads_used,
        "fusegym_rollout": state["rollout_note"],
        "versions": versions,
        "unavailable": {p: why for p, why in unavailable.items() if why},
        "settings": {"sizes": sizes, "envs": envs, "peers": peers, "repeats": args.repeats,
                     "seconds": args.seconds, "cap": args.cap, "warmup": args.warmup,
                     "quiet_wait": args.quiet_wait, "busy_flag_cores": BUSY_FLAG,
                     "action_ring": RING, "gymnax_horizon": {str(n): gymnax_horizon(n) for n in sizes}},
        "pip_freeze": freeze,
    })
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    render(doc, out_dir, ROOT / args.docs)
    return 0


def index(doc: dict) -> dict:
    """The figures of results.json keyed for the tables: fusegym by (env, n) then (mode, backend);
    peers by (peer, env, n); others' cores by (who, mode, env, n)."""
    results = {"fusegym": {}, "peers": {}, "others": {}}
    for rec in doc["fusegym_runs"] + doc["peers"]:
        results["others"][(rec["library"], rec["mode"], rec["env"], rec["num_envs"])] = rec["others_cores"]
    for rec in doc["fusegym_runs"]:
        for r in rec["bench"]["results"]:
            results["fusegym"].setdefault((r["env"], rec["num_envs"]), {})[(r["mode"], r["backend"])] = r["sps_median"]
    for rec in doc["peers"]:
        if "sps_median" in rec:
            results["peers"][(rec["library"], rec["env"], rec["num_envs"])] = rec
    return results


def render(doc: dict, out_dir: Path, docs: Path) -> None:
    """Writes docs/peers-table.md and docs/peers.svg from a results document, prints the table."""
    results = index(doc)
    envs, sizes, peers = doc["settings"]["envs"], doc["settings"]["sizes"], doc["settings"]["peers"]
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "peers-table.md").write_text(markdown(doc, results, envs, sizes, peers))
    chart(doc, results, envs, max(sizes), peers, docs / "peers.svg")

    print(console_table(results, envs, sizes, peers))
    print()
    for p in peers:
        if doc["unavailable"].get(p):
            print(f"{LABEL[p]}: NOT MEASURED — {doc['unavailable'][p]}")
        else:
            for api, ids in apis_of(doc, p).items():
                print(f"{LABEL[p]} timed: {api}  [{', '.join(ids)}]")
    print(f"fusegym --mode rollout: {doc['fusegym_rollout']}")
    print(f"\nwrote {out_dir / 'results.json'}, {docs / 'peers-table.md'}, {docs / 'peers.svg'}; "
          + png_preview(docs / "peers.svg", out_dir / "peers.png"))
    print(f"the measuring run took {doc['duration_s'] / 60:.1f} min")

if __name__ == "__main__":
    sys.exit(main())
