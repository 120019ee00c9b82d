#!/usr/bin/env bash
# bench.sh WELD [WORKLOAD_DIR...] -- times WELD (ld64 flavor, all threads and --threads=1)
# against Debian's ld64.lld on workloads made by make-workload.sh / make-synthetic.py, with
# hyperfine, and prints one markdown row per workload (mean ± σ in ms; ratio lld/weld).
set -euo pipefail
WELD="$1"; shift
LLD="${LLD:-/usr/lib/llvm-19/bin/ld64.lld}"
RUNS="${RUNS:-15}"
echo "| workload | output | ld64.lld | weld (2 threads) | weld (1 thread) | lld / weld |"
echo "|---|---|---|---|---|---|"
for dir in "${@:-/var/tmp/weld-macho-bench /var/tmp/weld-macho-synth}"; do
    cd "$dir"
    args="$(cat link.args)"
    json="$(mktemp)"
    hyperfine -N -w 3 -r "$RUNS" --export-json "$json" \
        -n lld "$LLD $args -o out.lld" \
        -n weld "$WELD -flavor darwin $args -o out.weld" \
        -n weld1 "$WELD -flavor darwin $args -o out.weld1 --threads=1" > /dev/null
    size="$(stat -c %s out.weld)"
    python3 - "$json" "$(basename "$dir")" "$size" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
f = lambda k: "%.1f ± %.1f ms" % (r[k]["mean"] * 1e3, r[k]["stddev"] * 1e3)
print("| %s | %.1f MB | %s | %s | %s | %.2f× |" % (sys.argv[2], int(sys.argv[3]) / 1e6, f("lld"), f("weld"), f("weld1"),
      r["lld"]["mean"] / r["weld"]["mean"]))
PY
    rm -f "$json"
done
