#!/usr/bin/env python3
"""Times PufferLib 3.0's Ocean CartPole for scripts/compare-peers.py, inside the PufferLib venv
(numpy < 2, which the main peers venv cannot have), with compare-peers.py's own timing code
(`time_calls`, `uniform_actions`), and prints one JSON object.

    target/puffer-venv/bin/python scripts/puffer-peer.py N SECONDS REPEATS CAP WARMUP

Run from target/puffer with PYTHONPATH=target/puffer/pufferlib (scripts/build-pufferlib.sh builds
it there; importing pufferlib links ./resources to its own folder, so not from the repository root).
"""

import importlib.util
import json
import sys
import time
from argparse import Namespace
from pathlib import Path

spec = importlib.util.spec_from_file_location("compare_peers", Path(__file__).with_name("compare-peers.py"))
peers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(peers)


def main() -> int:
    n, seconds, repeats, cap, warmup = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    import numpy as np
    from pufferlib.ocean.cartpole.cartpole import Cartpole

    # report_interval: Cartpole calls its logger every `report_interval` steps (default 1, every
    # step); a trainer logs rarely, so its fastest setting is used, as for every peer.
    t0 = time.perf_counter()
    env = Cartpole(num_envs=n, report_interval=10**9)
    env.reset(seed=0)
    setup = time.perf_counter() - t0
    ring = peers.uniform_actions(np.random.default_rng(7), {"n": 2}, (peers.RING, n), np.float32)
    try:
        res = peers.time_calls(lambda t: env.step(ring[t % peers.RING]), n, 1,
                               Namespace(seconds=seconds, repeats=repeats, cap=cap, warmup=warmup))
    finally:
        env.close()
    import pufferlib
    api = ("pufferlib.ocean.cartpole.cartpole.Cartpole(num_envs=N, report_interval=10**9); env.step(actions) "
           f"(PufferLib {getattr(pufferlib, '__version__', '3.0.0')} Ocean C env, numpy {np.__version__}, one process, built from the sdist by "
           "scripts/build-pufferlib.sh)")
    print(json.dumps({**res, "api": api, "setup_s": setup,
                      "autoreset": "same step (c_step resets a done env before writing its observation)",
                      "numpy": np.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
