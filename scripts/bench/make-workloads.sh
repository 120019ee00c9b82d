#!/usr/bin/env bash
# Build weld's benchmark workloads: real link jobs, captured once, replayable
# by any GNU-compatible linker.
#
#   scripts/bench/make-workloads.sh [-w DIR] [WORKLOAD...]
#
#   DIR       where the workloads go (default $WELD_BENCH_WL or /var/tmp/weld-bench/wl)
#   WORKLOAD  hello hello-static python swift lld (default: all five)
#
# Each workload is linked once by its compiler driver with -fuse-ld=lld and
# -Wl,--reproduce=repro.tar; lib/capture.py unpacks the tarball into DIR/NAME:
#   link.rsp     the linker's arguments, relative paths, no -o.  Replay with
#                    cd DIR/NAME && LINKER @link.rsp -o OUTPUT
#   inputs.txt   every input file and its size
#   driver.txt   the compiler driver's link command (from -###), for reference
#   info.txt     a few figures: inputs, archive members used, output size
#   obj/ usr/ lib/ opt/ ...   the inputs themselves (the workload's own objects in obj/)
# Intermediate files stay in DIR/.build.  Every workload is then relinked from
# link.rsp with lld and checked with check.sh.
#
# Needs Debian 12 (bookworm) packages, installed here with apt-get when missing,
# and the Swift toolchain in /opt/swift (swiftc; its ld.lld makes the captures).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/src
WL=${WELD_BENCH_WL:-/var/tmp/weld-bench/wl}
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-2}"; }
while getopts w:h opt; do
  case $opt in w) WL=$OPTARG ;; h) usage 0 ;; *) usage ;; esac
done
shift $((OPTIND - 1))
ALL=(hello hello-static python swift lld)
[ $# -gt 0 ] || set -- "${ALL[@]}"
for w in "$@"; do
  case " ${ALL[*]} " in *" $w "*) ;; *) echo "unknown workload: $w (have: ${ALL[*]})" >&2; exit 2 ;; esac
done
WL=$(realpath -m "$WL")
BUILD=$WL/.build
mkdir -p "$BUILD"

# ---- packages --------------------------------------------------------------
PKGS=(gcc g++ binutils libc6-dev python3 mold
      libpython3.11-dev libexpat1-dev zlib1g-dev libsqlite3-dev
      llvm-14-dev libclang-14-dev liblld-14-dev libpolly-14-dev libzstd-dev libncurses-dev)
# not needed to build the workloads, but handy beside bench.sh
PKGS+=(hyperfine)
# without the Swift toolchain, Debian's lld makes the captures (no swift workload then)
[ -x /opt/swift/usr/bin/ld.lld ] || PKGS+=(lld)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "=== installing: ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  # another apt run (e.g. a provisioning job) holds the dpkg lock: wait for it
  while pgrep -x apt-get > /dev/null || pgrep -x dpkg > /dev/null; do sleep 5; done
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# The captures are made with LLD's --reproduce: the Swift toolchain's ld.lld
# (LLD 21), else Debian's.
if [ -x /opt/swift/usr/bin/ld.lld ]; then
  export PATH=/opt/swift/usr/bin:$PATH   # gcc -fuse-ld=lld and swiftc find ld.lld here
  LLD=/opt/swift/usr/bin/ld.lld
elif command -v ld.lld > /dev/null; then
  LLD=$(command -v ld.lld)
else
  echo "no ld.lld: install the Swift toolchain in /opt/swift (or Debian's lld)" >&2; exit 1
fi
PYCONFIG=/usr/bin/python3.11-config
LLVM_CONFIG=llvm-config-14

# ---- helpers ---------------------------------------------------------------

# capture NAME COMMAND...: run the driver's link COMMAND (which must write
# $BUILD/NAME/repro.tar), record the driver's own link line, build DIR/NAME.
capture() {
  local name=$1; shift
  local b=$BUILD/$name
  "$@" -### > "$b/driver.log" 2>&1 || true
  "$@"
  python3 "$HERE/lib/capture.py" "$b/repro.tar" "$b" "$WL/$name"
  rm -f "$b/repro.tar"
  # gcc's collect2 line, or the clang line swiftc runs
  grep -E '^ ?"?[^ ]*/(collect2|clang)"? ' "$b/driver.log" | tail -1 | sed 's/^ //' > "$WL/$name/driver.txt" || true
  describe "$name"
}

# describe NAME: relink with lld from link.rsp, check the result, write info.txt
describe() {
  local name=$1 b=$BUILD/$1 w=$WL/$1
  (cd "$w" && "$LLD" @link.rsp -o "$b/ref.out" --print-archive-stats="$b/archive-stats.txt")
  "$HERE/check.sh" "$name" "$b/ref.out" "$WL"
  local used total
  # one line per archive on the command line; an archive named twice (-lgcc)
  # counts once, with the most members any of its lines extracted
  read -r used total < <(awk 'NR > 1 && $1 ~ /^[0-9]+$/ { t[$3] = $1; if ($2 > u[$3]) u[$3] = $2 }
                              END { for (k in t) { U += u[k]; T += t[k] } print U + 0, T + 0 }' \
                         "$b/archive-stats.txt")
  {
    echo "workload: $name"
    echo "input files: $(wc -l < "$w/inputs.txt")"
    echo "input bytes: $(awk -F'\t' '{ s += $2 } END { print s }' "$w/inputs.txt")"
    echo "archive members extracted: $used of $total"
    echo "output bytes (lld): $(stat -c %s "$b/ref.out")"
    echo "output symbols (nm): $(nm "$b/ref.out" 2> /dev/null | wc -l)"
    echo "dynamic symbols (nm -D): $(nm -D "$b/ref.out" 2> /dev/null | wc -l)"
    echo "captured with: $(head -1 "$w/lld-version.txt")"
  } > "$w/info.txt"
  sed 's/^/  /' "$w/info.txt"
}

fresh() { rm -rf "${BUILD:?}/$1"; mkdir -p "$BUILD/$1"; cd "$BUILD/$1"; }

# ---- workloads -------------------------------------------------------------
# gcc's LTO linker plugin is turned off (-fno-use-linker-plugin) so that the
# captured command line has no plugin options that only GNU ld and gold know.

build_hello() {          # C hello world: PIE, dynamic glibc (gcc's defaults)
  fresh hello
  gcc -O2 -c "$SRC/hello.c" -o hello.o
  capture hello gcc -fno-use-linker-plugin -fuse-ld=lld hello.o -o hello -Wl,--reproduce=repro.tar
}

build_hello_static() {   # the same, gcc -static: archive member selection, TLS, IFUNC
  fresh hello-static
  gcc -O2 -c "$SRC/hello.c" -o hello.o
  capture hello-static gcc -static -fno-use-linker-plugin -fuse-ld=lld hello.o -o hello \
    -Wl,--reproduce=repro.tar
}

build_python() {
  # python3.11 relinked from Debian's libpython3.11.a the way Debian links
  # /usr/bin/python3.11 (sysconfig LINKFORSHARED and MODLIBS): non-PIE (the .a
  # is not PIC), -export-dynamic so lib-dynload's extension modules (_sqlite3,
  # ...) bind to it, dynamic glibc, libz and libexpat.
  fresh python
  # shellcheck disable=SC2046  # a list of -I options
  gcc -O2 $($PYCONFIG --includes) -c "$SRC/pymain.c" -o pymain.o
  capture python gcc -no-pie -fno-use-linker-plugin -fuse-ld=lld pymain.o -o python \
    -Xlinker -export-dynamic -Wl,-O1 \
    "$($PYCONFIG --configdir)/libpython3.11.a" -ldl -lm -lz -lexpat -Wl,--reproduce=repro.tar
}

build_swift() {
  # A Foundation program, swiftc -O -static-stdlib: Swift runtime, Foundation,
  # ICU (and its data archive) and dispatch from static archives.  PIE.
  [ -x /opt/swift/usr/bin/swiftc ] || { echo "swift: no Swift toolchain in /opt/swift" >&2; return 1; }
  fresh swift
  swiftc -O -static-stdlib -module-name swiftapp -c "$SRC/swiftapp.swift" -o swiftapp.o
  capture swift swiftc -static-stdlib -use-ld=lld swiftapp.o -o swiftapp -Xlinker --reproduce=repro.tar
}

build_lld() {
  # lld 14's ELF driver relinked with g++ from Debian's static liblldELF.a,
  # liblldCommon.a and the libLLVM*.a of every target (libLLVMExtensions.a
  # needs libPolly*.a, from libpolly-14-dev).  C++, many COMDATs, PIE.
  fresh lld
  # shellcheck disable=SC2046  # a list of -I and -D options
  g++ -O2 -std=c++17 -fno-exceptions $($LLVM_CONFIG --cppflags) -c "$SRC/lldmain.cpp" -o lldmain.o
  local libs
  libs=$($LLVM_CONFIG --link-static --libs all-targets lto passes bitwriter core debuginfodwarf \
         demangle mc object option support target transformutils codegen)
  # shellcheck disable=SC2086  # $libs is a list of -l options
  capture lld g++ -fno-use-linker-plugin -fuse-ld=lld lldmain.o -o lld \
    -L"$($LLVM_CONFIG --libdir)" -llldELF -llldCommon $libs -lz -ltinfo -lrt -ldl -lpthread -lm \
    -Wl,--reproduce=repro.tar
}

# check.sh tests the relinked lld by linking the hello workload with it
if [[ " $* " == *" lld "* && " $* " != *" hello "* && ! -f $WL/hello/link.rsp ]]; then set -- hello "$@"; fi

for w in "$@"; do
  echo "=== $w"
  t0=$(date +%s.%N)
  "build_${w//-/_}"
  awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "  built in %.1f s\n", t1 - t0 }'
done
echo "workloads in $WL"
