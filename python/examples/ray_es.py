"""Evolution strategies with the population scored across Ray actors (fusegym.ray).

The population of 4,096 linear policies is one logical batch sharded over the actors; each
generation is one sharded `rollout`, whose per-env returns come back as one array in global env
order. On one machine `ray.init()` starts local workers; on a cluster, point it at the head.

    pip install 'fusegym[ray]'
    python python/examples/ray_es.py [--shards 2] [--address auto]
"""

import argparse
import time

import numpy as np
import ray

import fusegym.ray

POP, SIGMA, LR = 4096, 0.3, 0.3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--address", default=None, help="a running cluster's address (default: start a local Ray)")
    ap.add_argument("--generations", type=int, default=50)
    args = ap.parse_args()
    ray.init(address=args.address, log_to_driver=False)
    rng = np.random.default_rng(0)
    mean = np.zeros((2, 4), dtype=np.float32)
    start = time.perf_counter()
    envs = fusegym.ray.make_vec("CartPole-v1", POP, num_shards=args.shards, seed=0, autoreset_mode="DISABLED")
    print("shards:", envs.paths)
    for gen in range(args.generations):
        eps = rng.normal(size=(POP, 2, 4)).astype(np.float32)
        envs.reset(seed=gen)
        returns = envs.rollout(500, "linear", weights=mean + SIGMA * eps, bias=np.zeros((POP, 2), np.float32))["reward_sum"]
        z = (returns - returns.mean()) / (returns.std() + 1e-8)
        mean += LR * np.tensordot(z, eps, axes=1).astype(np.float32) / (POP * SIGMA)
        envs.reset(seed=100_000 + gen)
        score = envs.rollout(500, "linear", weights=mean, bias=np.zeros(2, np.float32))["reward_sum"].mean()
        print(f"generation {gen:2d}: population mean {returns.mean():6.1f}, mean policy {score:6.1f}  ({time.perf_counter() - start:.2f} s)")
        if score >= 500.0:
            print(f"solved across {args.shards} actors in {time.perf_counter() - start:.2f} s")
            break
    envs.close()
    ray.shutdown()


if __name__ == "__main__":
    main()
