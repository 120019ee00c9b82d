#!/usr/bin/env bash
# Check that a linked benchmark output works.
#
#   scripts/bench/check.sh WORKLOAD BINARY [WLDIR]
#
# Prints "ok WORKLOAD" and exits 0, or prints "FAIL WORKLOAD: why" and exits 1.
#   hello         prints "hello, world"
#   hello-static  the same, and has no program interpreter (really static)
#   python        imports json, sqlite3, zlib and pyexpat (_sqlite3 is loaded
#                 from lib-dynload: this checks -export-dynamic), sys.prefix is
#                 /usr, and libpython is not a shared library dependency
#   swift         prints the expected JSON and the decode round trip
#   lld           reports LLD 14 and links WLDIR/hello into a working program
# WLDIR (default $WELD_BENCH_WL or /var/tmp/weld-bench/wl) is needed by lld.
set -uo pipefail
[ $# -ge 2 ] || { sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
name=$1 bin=$(realpath -m "$2") wl=${3:-${WELD_BENCH_WL:-/var/tmp/weld-bench/wl}}
fail() { echo "FAIL $name: $*"; exit 1; }
[ -f "$bin" ] || fail "$bin: no such file"
[ -x "$bin" ] || fail "$bin: not executable"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# run CMD...: its stdout+stderr in $out, at most 60 s
run() { out=$(cd "$tmp" && timeout 60 "$@" 2>&1); }

case $name in
  hello|hello-static)
    run "$bin" || fail "exit $?: $out"
    [ "$out" = "hello, world" ] || fail "printed '$out'"
    if [ "$name" = hello-static ]; then
      readelf -lW "$bin" | grep -q 'INTERP' && fail "has a program interpreter: not static"
      readelf -dW "$bin" 2> /dev/null | grep -q NEEDED && fail "needs shared libraries: not static"
    fi ;;
  python)
    run env -u PYTHONHOME -u PYTHONPATH -u PYTHONSTARTUP "$bin" -I -c \
        'import json, sqlite3, zlib, pyexpat, sys
c = sqlite3.connect(":memory:")
n = c.execute("select count(*) from (select 1 union select 2)").fetchone()[0]
z = zlib.decompress(zlib.compress(b"weld" * 100))
p = pyexpat.ParserCreate(); p.Parse("<a><b/></a>", True)
print(json.dumps([n, len(z), sys.prefix]))' || fail "exit $?: $out"
    [ "$out" = '[2, 400, "/usr"]' ] || fail "printed '$out'"
    ldd "$bin" 2> /dev/null | grep -q libpython && fail "links libpython dynamically"
    ;;
  swift)
    run "$bin" || fail "exit $?: $out"
    exp='[{"id":0,"label":"sample-000 (0.00)","tags":["x","y0"],"taken":"2023-11-14T22:13:20Z"},{"id":1,"label":"sample-001 (1.50)","tags":["x","y1"],"taken":"2023-11-15T22:13:20Z"},{"id":2,"label":"sample-002 (3.00)","tags":["x","y2"],"taken":"2023-11-16T22:13:20Z"}]
decoded: 3 true sample-002 (3.00)'
    [ "$out" = "$exp" ] || fail "printed '$out'" ;;
  lld)
    run "$bin" --version || fail "--version: exit $?: $out"
    case $out in *"LLD 14"*) ;; *) fail "--version printed '$out'" ;; esac
    [ -f "$wl/hello/link.rsp" ] || fail "needs the hello workload in $wl (make-workloads.sh hello)"
    out=$(cd "$wl/hello" && timeout 60 "$bin" @link.rsp -o "$tmp/hello" 2>&1) || fail "linking hello: $out"
    run "$tmp/hello" || fail "hello linked by it: exit $?: $out"
    [ "$out" = "hello, world" ] || fail "hello linked by it printed '$out'" ;;
  *) fail "unknown workload (hello hello-static python swift lld)" ;;
esac
echo "ok $name"
