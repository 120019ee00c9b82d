#!/usr/bin/env bash
# Time weld against mold, lld, gold and GNU ld on the benchmark workloads.
#
#   scripts/bench/bench.sh [-l NAME=COMMAND]... [-n ROUNDS] [-c CONFIGS] [-w WLDIR]
#                          [-o OUTDIR] [-r RESULTS.md] [WORKLOAD...]
#
#   -l weld=/path/to/weld   the weld to time (default: .build/release/weld of this
#                           repository); weld-1t (--threads=1) comes with it.  Any
#                           other NAME=COMMAND is timed as an extra linker.
#   -n ROUNDS               default 30 (10 for swift and lld)
#   -c CONFIGS              comma list, default weld,weld-1t,mold,mold-nofork,lld,gold,bfd
#                           (also: mold-1t lld-1t gold-mt floor-read floor-write)
#   WORKLOAD                hello hello-static python swift lld (default: all)
#
# Build the workloads first with scripts/bench/make-workloads.sh.  Prints a
# Markdown report and writes it to RESULTS.md (default OUTDIR/results-*.md).
# As root, the timed runs get nice -10 (NICE=0 to turn that off).  More in
# scripts/bench/README.md.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
case ${1:-} in -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
NICE=${NICE:--10}
[ "$(id -u)" = 0 ] || NICE=0
exec nice -n "$NICE" python3 "$HERE/lib/peers.py" "$@"
