#!/usr/bin/env python3
"""Paired speed comparison of two fusegym binaries: `fusegym bench` from each, alternated.

    scripts/bench-pair.py OLD_BINARY NEW_BINARY [--rounds 3] -- [bench arguments]

Each round runs the old binary, then the new one, with the same bench arguments (and `--json`);
alternating in one run is what makes a change of a few percent visible on a machine whose speed
drifts by more than that over minutes. Prints, per bench row, the median over rounds of each
binary's `sps_median` and their ratio, and refuses rows that either binary did not validate.
"""

import argparse
import json
import statistics
import subprocess
import sys


def bench(binary: str, args: list[str]) -> dict:
    out = subprocess.run([binary, "bench", "--json", *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def key(row: dict) -> tuple:
    return (row["env"], row["backend"], row["mode"], row["autoreset"], row["params"], row["num_envs"], row["threads"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=3)
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    a = ap.parse_args(argv[:cut])
    a.bench_args = argv[cut + 1 :]
    sps: dict[tuple, dict[str, list[float]]] = {}
    paths = {}
    for r in range(a.rounds):
        for side, binary in (("old", a.old), ("new", a.new)):
            doc = bench(binary, a.bench_args)
            for row in doc["results"]:
                if not row.get("validated", False):
                    print(f"{side}: {key(row)} did not validate; not compared", file=sys.stderr)
                    continue
                sps.setdefault(key(row), {"old": [], "new": []})[side].append(row["sps_median"])
                paths[key(row)] = row["simd_path"]
            print(f"round {r + 1}/{a.rounds}: {side} done", file=sys.stderr)
    print(f"cpu: {doc['hardware']['cpu']}, {doc['hardware']['cores']} cores; {a.rounds} rounds, old then new")
    print("| env | backend | mode | autoreset | params | N | path | old M steps/s | new M steps/s | new/old |")
    print("|---|---|---|---|---|---:|---|---:|---:|---:|")
    for k, v in sps.items():
        if not v["old"] or not v["new"]:
            continue
        old, new = statistics.median(v["old"]) / 1e6, statistics.median(v["new"]) / 1e6
        env, backend, mode, autoreset, params, n, _threads = k
        print(f"| {env} | {backend} | {mode} | {autoreset} | {params} | {n} | {paths[k]} | {old:.1f} | {new:.1f} | {new / old:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
