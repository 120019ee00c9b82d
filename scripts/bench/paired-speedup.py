#!/usr/bin/env python3
"""Paired 2-thread speed-up from a run of ../shared/bench/run-peers.sh.

Usage: scripts/bench/paired-speedup.py OUTDIR [WORKLOAD...] [--pair ONE_THREAD/TWO_THREADS]...

For each workload, reads OUTDIR/<workload>.runs.jsonl and prints, per pair of configs (default
weld-1t/weld), the median and quartiles over rounds of (wall of the first) / (wall of the
second) within the same round: the speed-up issue 3 asks for, measured as paired ratios.
"""
import collections
import json
import os
import statistics
import sys


def main(argv):
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    outdir, rest = argv[0], argv[1:]
    pairs, workloads = [], []
    i = 0
    while i < len(rest):
        if rest[i] == "--pair" and i + 1 < len(rest):
            pairs.append(tuple(rest[i + 1].split("/", 1)))
            i += 2
        else:
            workloads.append(rest[i])
            i += 1
    pairs = pairs or [("weld-1t", "weld")]
    if not workloads:
        workloads = sorted(f[:-len(".runs.jsonl")] for f in os.listdir(outdir) if f.endswith(".runs.jsonl"))
    for w in workloads:
        rounds = collections.defaultdict(dict)
        with open(os.path.join(outdir, f"{w}.runs.jsonl")) as f:
            for line in f:
                r = json.loads(line)
                if r.get("rc", 0) == 0:
                    rounds[r["round"]][r["config"]] = r["wall"]
        for one, two in pairs:
            ratios = [c[one] / c[two] for c in rounds.values() if one in c and two in c]
            if len(ratios) < 2:
                print(f"{w}: {one}/{two}: fewer than 2 paired rounds")
                continue
            q1, _, q3 = statistics.quantiles(ratios, n=4)
            print(f"{w}: {one}/{two} = {statistics.median(ratios):.2f}x [{q1:.2f}, {q3:.2f}] over {len(ratios)} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
