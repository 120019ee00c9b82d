#!/usr/bin/env bash
# What do the readers' validation checks cost? Builds weld twice from HEAD, as it is
# ("checked") and with scripts/check-cost/unchecked-readers.patch applied ("unchecked": the
# per-section, per-symbol and per-relocation validation of the ELF object, shared-library and
# archive readers removed, name lengths taken by unbounded strlen), then on each workload:
#   1. links with both and requires byte-identical outputs (the comparison is fair);
#   2. counts instructions with callgrind (weld --threads=1): total and the reader functions;
#   3. times N interleaved runs of each (checked, unchecked, checked, …) with
#      --time-report=json and prints the minimum and median of the main phases.
# The builds happen in temporary git worktrees under $CHECK_COST_DIR (default
# /tmp/weld-check-cost), which are removed afterwards; the two binaries are kept there, keyed
# by sources and patch, so a rerun skips the builds. The patch is for measurement only and must
# apply cleanly: if the readers change, regenerate it (see scripts/check-cost/README.md).
#
# Usage: scripts/measure-check-cost.sh [-n RUNS] [--no-callgrind] [--no-time] [WORKLOAD...]
#   WORKLOAD: a directory name under $WELD_BENCH_WL (default /var/tmp/weld-bench/wl) holding
#   link.rsp; default: python swift lld.
set -euo pipefail
runs=10; do_cg=1; do_time=1
while [ $# -gt 0 ]; do
  case $1 in
    -n) runs=$2; shift 2 ;;
    --no-callgrind) do_cg=0; shift ;;
    --no-time) do_time=0; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
workloads=("$@"); [ ${#workloads[@]} -gt 0 ] || workloads=(python swift lld)
root=$(git rev-parse --show-toplevel)
patch=$root/scripts/check-cost/unchecked-readers.patch
wl_root=${WELD_BENCH_WL:-/var/tmp/weld-bench/wl}
rev=$(git -C "$root" rev-parse HEAD)
# Binaries are keyed by what they are built from (sources and patch), so commits that touch
# only scripts or documentation reuse them.
key=$( (git -C "$root" ls-tree -r HEAD Package.swift Package.resolved Sources; cat "$patch") | sha1sum | cut -c1-16)
work=${CHECK_COST_DIR:-/tmp/weld-check-cost}/$key
mkdir -p "$work"
for w in "${workloads[@]}"; do
  [ -f "$wl_root/$w/link.rsp" ] || { echo "no workload $wl_root/$w/link.rsp" >&2; exit 1; }
done

trees=()
cleanup() { for t in "${trees[@]}"; do git -C "$root" worktree remove --force "$t" 2>/dev/null || true; done; }
trap cleanup EXIT

build() {  # build VARIANT -> $work/weld-VARIANT (+ .nodebug for valgrind)
  local v=$1 bin=$work/weld-$1 tree=$work/tree-$1
  if [ -x "$bin" ] && [ -x "$bin.nodebug" ]; then echo "weld-$v: reusing $bin"; return; fi
  git -C "$root" worktree remove --force "$tree" 2>/dev/null || true
  rm -rf "$tree"
  git -C "$root" worktree add --quiet --detach "$tree" "$rev"
  trees+=("$tree")
  if [ "$v" = unchecked ]; then
    if ! git -C "$tree" apply --check "$patch"; then
      echo "error: $patch no longer applies to $rev; regenerate it (scripts/check-cost/README.md)" >&2
      exit 1
    fi
    git -C "$tree" apply "$patch"
    git -C "$tree" diff --quiet && { echo "error: the patch changed nothing" >&2; exit 1; }
  fi
  echo "weld-$v: building $rev$([ "$v" = unchecked ] && echo " + unchecked-readers.patch") (log: $work/build-$v.log)"
  if ! (cd "$tree" && swift build -c release --static-swift-stdlib -Xswiftc -static-executable) >"$work/build-$v.log" 2>&1 \
     || grep -q "error:" "$work/build-$v.log"; then
    grep -A5 "error:" "$work/build-$v.log" | head -40 >&2
    echo "error: build of weld-$v failed" >&2; exit 1
  fi
  cp "$tree/.build/release/weld" "$bin"
  # valgrind 3.19 cannot read the DWARF 5 that swiftc writes; the symbol table stays.
  objcopy --strip-debug "$bin" "$bin.nodebug"
  git -C "$root" worktree remove --force "$tree"
}
build unchecked   # first: if the patch no longer applies, stop before any build
build checked
A=$work/weld-checked; B=$work/weld-unchecked

echo; echo "== outputs (checked vs unchecked must be byte-identical)"
for w in "${workloads[@]}"; do
  (cd "$wl_root/$w" && "$A" @link.rsp -o "$work/out-$w-checked" && "$B" @link.rsp -o "$work/out-$w-unchecked")
  cmp "$work/out-$w-checked" "$work/out-$w-unchecked"
  echo "$w: identical ($(stat -c %s "$work/out-$w-checked") bytes)"
done

if [ $do_cg = 1 ]; then
  echo; echo "== instructions (callgrind, weld --threads=1; inclusive counts)"
  for w in "${workloads[@]}"; do
    for v in checked unchecked; do
      (cd "$wl_root/$w" && valgrind --tool=callgrind --callgrind-out-file="$work/cg-$w-$v.out" \
         "$work/weld-$v.nodebug" @link.rsp -o "$work/cg-out-$w-$v" --threads=1 >/dev/null 2>"$work/cg-$w-$v.log")
      callgrind_annotate --inclusive=yes --threshold=100 "$work/cg-$w-$v.out" 2>/dev/null \
        | swift demangle --simplified >"$work/cg-$w-$v.txt"
    done
    python3 - "$w" "$work/cg-$w-checked.txt" "$work/cg-$w-unchecked.txt" <<'EOF'
import re, sys
w, files = sys.argv[1], sys.argv[2:]
rows = [("total", "PROGRAM TOTALS"), ("  parse and resolve", "resolveSymbols(_:)"),
        ("    ObjectFile.parse", "ObjectFile.parse()"), ("    SharedFile.parse", "SharedFile.parse()"),
        ("    Archive.parse", "static Archive.parse(_:)"),
        ("  applyRelocations", "applyRelocations(_:_:out:outBase:relaDyn:)")]
def load(path):
    d = {}
    for line in open(path):
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(?:\?\?\?:)?(.*?)(?: \[[^]]*\])?\s*$", line)
        if m: d.setdefault(m.group(2), int(m.group(1).replace(",", "")))
    return d
c, u = load(files[0]), load(files[1])
total = c["PROGRAM TOTALS"]
print(f"{w}: {'':22s} {'checked':>14s} {'unchecked':>14s} {'difference':>12s} {'% of total':>10s}")
for label, fn in rows:
    a, b = c.get(fn, 0), u.get(fn, 0)
    print(f"{w}: {label:22s} {a:14,d} {b:14,d} {a - b:12,d} {100 * (a - b) / total:9.2f}%")
# The width check in applyRelocations guards writes, not reading: show the readers alone too.
key = "applyRelocations(_:_:out:outBase:relaDyn:)"
d = (total - u["PROGRAM TOTALS"]) - (c.get(key, 0) - u.get(key, 0))
print(f"{w}: {'readers (total - apply)':22s} {'':14s} {'':14s} {d:12,d} {100 * d / total:9.2f}%")
EOF
  done
fi

if [ $do_time = 1 ]; then
  echo; echo "== time report: $runs interleaved runs each (checked, unchecked, …), ms"
  echo "load: $(uptime)"
  for w in "${workloads[@]}"; do
    : >"$work/time-$w-checked.jsonl"; : >"$work/time-$w-unchecked.jsonl"
    for _ in $(seq "$runs"); do
      for v in checked unchecked; do
        (cd "$wl_root/$w" && "$work/weld-$v" @link.rsp -o "$work/time-out" --time-report=json 2>&1 >/dev/null | tail -1) \
          >>"$work/time-$w-$v.jsonl"
      done
    done
    python3 - "$w" "$work/time-$w-checked.jsonl" "$work/time-$w-unchecked.jsonl" <<'EOF'
import json, statistics, sys
w, files = sys.argv[1], sys.argv[2:]
def load(path):
    d = {}
    for line in open(path):
        for row in json.loads(line): d.setdefault(row["phase"], []).append(row["ms"])
    return d
c, u = load(files[0]), load(files[1])
print(f"{w}: {'phase (ms)':26s} {'min checked':>12s} {'unchecked':>10s} {'diff':>7s} {'median checked':>15s} {'unchecked':>10s} {'diff':>7s}")
for p in ("parse and resolve symbols", "write", "total"):
    a, b = min(c[p]), min(u[p])
    m, n = statistics.median(c[p]), statistics.median(u[p])
    print(f"{w}: {p:26s} {a:12.2f} {b:10.2f} {a - b:7.2f} {m:15.2f} {n:10.2f} {m - n:7.2f}")
EOF
  done
  echo "load: $(uptime)"
fi
echo; echo "files: $work"
