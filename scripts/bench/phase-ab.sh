#!/usr/bin/env bash
# Compares two weld binaries phase by phase: links one workload N times with each, interleaved
# (A, B, A, B, ...), and prints every phase's (and step's) median wall ms for A and B and the
# difference. Interleaving and medians are what make a 1–3 ms difference visible on a noisy VM;
# each binary writes its own output file, since recycled outputs (see SpareOutputs) would
# otherwise hand one binary the other's spare in alternation and skew "create output file".
#
# Usage: scripts/bench/phase-ab.sh WORKLOAD_DIR N THREADS WELD_A WELD_B [extra weld args...]
#   e.g. scripts/bench/phase-ab.sh ../shared/bench/wl/swift 30 2 /tmp/weld-old .build/release/weld
set -euo pipefail
if [ $# -lt 5 ]; then sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; fi
dir=$1; n=$2; threads=$3; a=$(realpath "$4"); b=$(realpath "$5"); shift 5
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$dir"
for _ in $(seq "$n"); do
  echo -n "A "; "$a" @link.rsp -o "$out/a.out" --time-report=json --threads="$threads" "$@" 2>&1 >/dev/null | tail -1
  echo -n "B "; "$b" @link.rsp -o "$out/b.out" --time-report=json --threads="$threads" "$@" 2>&1 >/dev/null | tail -1
done | python3 -c '
import json, statistics, sys
walls = {"A": {}, "B": {}}
order = []
for line in sys.stdin:
    which, report = line.split(" ", 1)
    for row in json.loads(report):
        name = ("  " if "within" in row else "") + row["phase"]
        if name not in order:
            order.append(name)
        walls[which].setdefault(name, []).append(row["ms"])
print("%-44s %9s %9s %8s" % ("phase (median ms)", "A", "B", "B - A"))
for name in order:
    if name in walls["A"] and name in walls["B"]:
        a, b = statistics.median(walls["A"][name]), statistics.median(walls["B"][name])
        print("%-44s %9.2f %9.2f %+8.2f" % (name, a, b, b - a))
'
