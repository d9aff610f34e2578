#!/usr/bin/env python3
"""Writes each env's parameter table into its doc, from the env's `params!` declaration.

The table is what `fusegym info --env ID --markdown` prints; it replaces the block between the
`<!-- params:begin ID ...-->` and `<!-- params:end ID -->` markers in docs/envs/*.md (or, with
--insert, the first table after the doc's "## Constants" heading). native/tests/docs.rs fails
when a doc's block differs from the declaration.

Usage: scripts/gen-docs.py [--insert] [--bin PATH]   (default binary: cargo run -q --release --)
"""
import glob, os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = sys.argv[1:]
insert = "--insert" in args
binary = args[args.index("--bin") + 1].split() if "--bin" in args else ["cargo", "run", "-q", "--release", "--"]

info = subprocess.run(binary + ["info", "--json"], cwd=root, check=True, capture_output=True, text=True).stdout
import json
ids = [e["id"] for e in json.loads(info)["envs"]]
docs = {p: open(p).read() for p in glob.glob(os.path.join(root, "docs", "envs", "*.md"))}
for env_id in ids:
    block = subprocess.run(binary + ["info", "--env", env_id, "--markdown"], cwd=root, check=True, capture_output=True, text=True).stdout
    title = f"# {env_id.split('-v')[0]}"
    found = [p for p, t in docs.items() if f"<!-- params:begin {env_id} " in t]
    if not found and insert:
        found = [p for p, t in docs.items() if t.startswith(title + "-v") or t.startswith(title + "\n")]
        for p in found:
            t = docs[p]
            m = re.search(r"^## Constants[^\n]*\n(?:(?!\|)[^\n]*\n)*?((?:\|[^\n]*\n)+)", t, re.M)
            if not m:
                sys.exit(f"{p}: no table after a '## Constants' heading")
            docs[p] = t[: m.start(1)] + block + t[m.end(1):]
    else:
        for p in found:
            docs[p] = re.sub(rf"<!-- params:begin {re.escape(env_id)} .*?<!-- params:end {re.escape(env_id)} -->\n", lambda _: block, docs[p], flags=re.S)
    if len(found) != 1:
        sys.exit(f"{env_id}: expected one doc with its parameter block, found {len(found)}")
for p, t in docs.items():
    open(p, "w").write(t)
print(f"parameter tables written for {len(ids)} envs")
