#!/usr/bin/env bash
# Links a workload N times and prints each phase's minimum wall time (ms): on a shared,
# noisy machine the minimum is the most repeatable figure for comparing two builds.
# Usage: scripts/phase-min.sh WELD WORKLOAD_DIR [N] [extra weld args...]
set -euo pipefail
weld=$(realpath "$1"); dir=$2; n=${3:-5}; shift 3 || shift $#
cd "$dir"
for _ in $(seq "$n"); do
  "$weld" @link.rsp -o /tmp/phase-min.out --time-report=json "$@" 2>&1 >/dev/null | tail -1
done | python3 -c '
import json, sys
best = {}
order = []
for line in sys.stdin:
    for row in json.loads(line):
        p = row["phase"]
        if p not in best: order.append(p); best[p] = row["ms"]
        best[p] = min(best[p], row["ms"])
for p in order: print(f"{p:30s} {best[p]:9.2f}")
'
