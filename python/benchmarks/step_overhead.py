"""What a Python `step` costs next to the same step in Rust (`fusegym bench --mode step`), paired
in one run on one machine, and what a step call costs at small N (where PufferLib's C CartPole
takes about 0.5 us per call on this project's machines).

    python python/benchmarks/step_overhead.py [--bench target/release/fusegym] [--envs CartPole-v1,...]

Actions are pre-generated: a ring of 8 batches, as `fusegym bench` and scripts/compare-peers.py use
(a ring of 64 int64 batches is 32 MB at 65,536 envs, beyond any cache, where the bench's ring of u32
stays in cache: an unequal comparison). They are `action_space.sample()`'s, so int64 for discrete
spaces (twice the bytes of the bench's u32; Python users pass int64). Each figure is the median of
5 repeats of about 0.5 s. Same autoreset mode (next-step, Gymnasium's default) and backend on both sides.
"""

import argparse
import json
import platform
import statistics
import subprocess
import time

import numpy as np

import fusegym

RING = 8


def python_sps(env_id, n, copy, backend, seconds=0.5, repeats=5):
    envs = fusegym.make_vec(env_id, n, seed=0, autoreset_mode="NEXT_STEP", copy=copy, backend=backend)
    envs.reset()
    envs.action_space.seed(0)
    ring = [envs.action_space.sample() for _ in range(RING)]
    step = envs.step
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.2:
        step(ring[calls % RING])
        calls += 1
    per = max(1, int(seconds / ((time.perf_counter() - t0) / calls)))
    out = []
    for _ in range(repeats):
        s = time.perf_counter()
        for k in range(per):
            step(ring[k % RING])
        out.append(n * per / (time.perf_counter() - s))
    envs.close()
    return statistics.median(out), envs.path


def native_sps(binary, env_id, n, backend):
    p = subprocess.run([binary, "bench", "--env", env_id, "--envs", str(n), "--mode", "step", "--backend", backend,
                        "--autoreset", "next-step", "--seconds", "0.5", "--repeats", "5", "--json"], capture_output=True, text=True, check=True)
    rows = json.loads(p.stdout)["results"]
    return rows[0]["sps_median"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", help="a fusegym binary for the paired `fusegym bench --mode step` figures")
    ap.add_argument("--envs", default="CartPole-v1,Pendulum-v1,Acrobot-v1")
    ap.add_argument("--sizes", default="1,64,8192,65536")
    ap.add_argument("--backend", default="simd")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {fusegym._native.cores()} cores; fusegym {fusegym.__version__}; SIMD paths {fusegym.simd_paths()}")
    print("| env | N | path | Python copy=False | us/call | Python copy=True | us/call | fusegym bench | copy=False / bench | copy=True / bench |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for env_id in args.envs.split(","):
        for n in map(int, args.sizes.split(",")):
            nocopy, path = python_sps(env_id, n, False, args.backend)
            copy, _ = python_sps(env_id, n, True, args.backend)
            native = native_sps(args.bench, env_id, n, args.backend) if args.bench else float("nan")
            print(f"| {env_id} | {n} | {path} | {nocopy / 1e6:.2f} M | {n / nocopy * 1e6:.2f} | {copy / 1e6:.2f} M | {n / copy * 1e6:.2f} | "
                  f"{native / 1e6:.2f} M | {nocopy / native:.2f}x | {copy / native:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
