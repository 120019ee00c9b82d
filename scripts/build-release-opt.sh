#!/usr/bin/env bash
# Builds an optimized weld, linked by weld itself, and measures what each optimization gives.
#
#   scripts/build-release-opt.sh [--pgo] [--test]
#
# Steps (outputs under .build-opt/):
#   1. the default release build (SwiftPM's link: the system linker, --gc-sections, no
#      function sections): the baseline;
#   2. a release build with -function-sections, whose objects are then relinked by the
#      baseline weld with one optimization added at a time: --gc-sections, --icf=all,
#      --strip-all, -z pack-relative-relocs, then all together;
#   3. the same objects relinked as a PIE (-static-stdlib, dynamic glibc) without and with
#      -z pack-relative-relocs, for the .rela.dyn/.relr.dyn sizes (a static non-PIE executable
#      has no relative relocations to pack);
#   4. with --pgo: an instrumented build (-profile-generate) trained by linking the benchmark
#      workloads (or the test corpus' programs), then a -profile-use build linked with every
#      optimization; weld orders sections by the call graph profile when the objects carry one.
# Then every variant links the hello workload (median of interleaved runs) and a Markdown
# table goes to stdout and to scripts/bench/results/weld-self-DATE.md.
# With --test the fully optimized weld runs the whole test suite (WELD=... swift test).
#
# -lto=llvm-full: not used. SwiftPM does not pass it through to the link on Linux, and an LTO
# link needs a linker that reads LLVM bitcode; weld does not (yet).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
pgo=0 runtests=0
for a in "$@"; do
    case $a in
        --pgo) pgo=1 ;;
        --test) runtests=1 ;;
        *) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
    esac
done
out=$root/.build-opt
mkdir -p "$out/variants"
export PATH="/opt/swift/usr/bin:$PATH"
static=(--static-swift-stdlib -Xswiftc -static-executable)
log() { printf '\n== %s\n' "$*" >&2; }

# The swiftc command SwiftPM runs to link weld, from a verbose build log.
link_line() { grep -E '^/[^ ]*swiftc .*-emit-executable' "$1" | grep -E ' -o [^ ]*/release/weld ' | tail -1; }

# relink LINE OUTPUT [swiftc and -Xlinker arguments...]: re-runs the link with other arguments.
relink() {
    local line=$1 output=$2; shift 2
    local cmd
    cmd=$(sed -E "s# -v # #; s# -o [^ ]+/release/weld # -o $output #" <<<"$line")
    eval "$cmd $*" >/dev/null 2>"$output.log" || { cat "$output.log" >&2; return 1; }
}

log "1. baseline: default release build"
swift build -c release "${static[@]}" --scratch-path "$out/baseline" >/dev/null
cp "$out/baseline/release/weld" "$out/variants/baseline"
stage1=$out/variants/baseline

log "2. release build with -function-sections"
# SwiftPM 6.3 trips over -function-sections when it finds an earlier build of it ("unknown
# argument"): always build these from scratch.
rm -rf "$out/fs" "$out/pgo-gen" "$out/pgo-use"
swift build -c release "${static[@]}" -Xswiftc -function-sections --scratch-path "$out/fs" -v >"$out/fs.log" 2>&1
line=$(link_line "$out/fs.log")
[[ -n $line ]] || { echo "no link command found in $out/fs.log" >&2; exit 1; }
nogc=$(sed 's/ -Xlinker --gc-sections//' <<<"$line")
useweld="-use-ld=$stage1"
declare -A flags=(
    [weld]=""
    [gc]="-Xlinker --gc-sections"
    [gc-icf]="-Xlinker --gc-sections -Xlinker --icf=all"
    [gc-icf-strip]="-Xlinker --gc-sections -Xlinker --icf=all -Xlinker --strip-all"
    [all]="-Xlinker --gc-sections -Xlinker --icf=all -Xlinker --strip-all -Xlinker -z -Xlinker pack-relative-relocs"
)
order=(weld gc gc-icf gc-icf-strip all)
for v in "${order[@]}"; do
    log "   relink: $v"
    relink "$nogc" "$out/variants/$v" "$useweld" ${flags[$v]}
done

log "3. the same objects as a PIE (-static-stdlib), without and with RELR"
pieline=$(sed 's/ -static-executable//' <<<"$line")
relink "$pieline" "$out/variants/pie" "$useweld"
relink "$pieline" "$out/variants/pie-relr" "$useweld" -Xlinker -z -Xlinker pack-relative-relocs
for v in pie pie-relr; do "$out/variants/$v" --version >/dev/null || { echo "$v does not run" >&2; exit 1; }; done

if (( pgo )); then
    log "4. profile: instrumented build"
    swift build -c release "${static[@]}" -Xswiftc -function-sections -Xswiftc -profile-generate \
        --scratch-path "$out/pgo-gen" >/dev/null
    rm -rf "$out/profraw"; mkdir -p "$out/profraw"
    instrumented=$out/pgo-gen/release/weld
    wl=${WELD_BENCH_WL:-/var/tmp/weld-bench/wl}
    train() { LLVM_PROFILE_FILE="$out/profraw/%p.profraw" "$instrumented" "$@" >/dev/null 2>&1; }
    if [[ -f $wl/hello/link.rsp ]]; then
        # Not lld: its hot loops run so many times that swiftc 6.3.1's -profile-use asserts
        # ("should rescale the profile data first", SIL ColdBlockInfo) on the counts.
        for w in hello hello-static python; do
            [[ -f $wl/$w/link.rsp ]] || continue
            log "   training: $w"
            (cd "$wl/$w" && train @link.rsp -o "$out/profraw/$w.out")
        done
    else
        log "   training: the test corpus (no benchmark workloads in $wl)"
        d=$(mktemp -d); mkdir -p "$d/bin"; ln -s "$instrumented" "$d/bin/ld"
        for src in Tests/Fixtures/programs/*.c; do
            LLVM_PROFILE_FILE="$out/profraw/%p.profraw" gcc -B "$d/bin" -O1 "$src" -o "$d/a.out" >/dev/null 2>&1 || true
        done
        rm -rf "$d"
    fi
    llvm-profdata merge -o "$out/weld.profdata" "$out"/profraw/*.profraw
    log "   profile-use build"
    if ! swift build -c release "${static[@]}" -Xswiftc -function-sections -Xswiftc "-profile-use=$out/weld.profdata" \
        --scratch-path "$out/pgo-use" -v >"$out/pgo-use.log" 2>&1; then
        grep -m1 -E "Assertion failed|error:" "$out/pgo-use.log" >&2 || true
        echo "the -profile-use build failed (see $out/pgo-use.log); no PGO variant" >&2
        pgo=0
    fi
fi
if (( pgo )); then
    pline=$(link_line "$out/pgo-use.log")
    pgonogc=$(sed 's/ -Xlinker --gc-sections//' <<<"$pline")
    relink "$pgonogc" "$out/variants/all-pgo" "$useweld" ${flags[all]}
    cgp=$(for o in "$out"/pgo-use/release/WeldELF.build/*.o; do readelf -SW "$o" 2>/dev/null | grep -c llvm.call-graph-profile || true; done | awk '{s+=$1} END {print s+0}')
    echo "objects with .llvm.call-graph-profile: $cgp" >&2
    order+=(all-pgo)
fi

log "timing: hello links"
wl=${WELD_BENCH_WL:-/var/tmp/weld-bench/wl}
variants=(baseline "${order[@]}")
python3 - "$out/variants" "$wl/hello" "${variants[@]}" >"$out/table.md" <<'PY'
import os, statistics, subprocess, sys, time, tempfile
vdir, hello, names = sys.argv[1], sys.argv[2], sys.argv[3:]
tmp = tempfile.mkdtemp()
if os.path.exists(os.path.join(hello, "link.rsp")):
    def cmd(b): return [b, "@link.rsp", "-o", os.path.join(tmp, "hello")], hello
else:
    src = os.path.join(tmp, "hello.c")
    open(src, "w").write('#include <stdio.h>\nint main(void){puts("hello, world");return 0;}\n')
    subprocess.run(["gcc", "-c", src, "-o", os.path.join(tmp, "hello.o")], check=True)
    def cmd(b):
        d = os.path.join(tmp, "bin-" + os.path.basename(b)); os.makedirs(d, exist_ok=True)
        l = os.path.join(d, "ld")
        if not os.path.exists(l): os.symlink(b, l)
        return ["gcc", "-B", d + "/", os.path.join(tmp, "hello.o"), "-o", os.path.join(tmp, "hello")], tmp
times = {n: [] for n in names}
for _ in range(31):
    for n in names:
        c, cwd = cmd(os.path.join(vdir, n))
        t = time.perf_counter(); subprocess.run(c, cwd=cwd, check=True, stdout=subprocess.DEVNULL); times[n].append(time.perf_counter() - t)
desc = {"baseline": "default release (SwiftPM's link: system linker, --gc-sections, no function sections)",
        "weld": "-function-sections objects, linked by weld (no --gc-sections)",
        "gc": "+ --gc-sections", "gc-icf": "+ --icf=all", "gc-icf-strip": "+ --strip-all",
        "all": "+ -z pack-relative-relocs (all together; no relative relocations in a static executable)",
        "all-pgo": "all, built with -profile-use (PGO) and linked by weld"}
base = os.path.getsize(os.path.join(vdir, names[0]))
print("| weld binary | size (bytes) | vs. baseline | hello link, median ms |")
print("|---|---:|---:|---:|")
for n in names:
    s = os.path.getsize(os.path.join(vdir, n))
    print(f"| {desc.get(n, n)} | {s:,} | {s / base:.2f} | {statistics.median(times[n]) * 1000:.2f} |")
PY
{
    echo
    echo "| weld as a PIE (-static-stdlib) | .rela.dyn (bytes) | .relr.dyn (bytes) | file size |"
    echo "|---|---:|---:|---:|"
    for v in pie pie-relr; do
        # readelf -SW: "[Nr] Name Type Address Off Size ..." ("[ 9]" splits into two fields).
        sz() { local h; h=$(readelf -SW "$out/variants/$v" | sed 's/\[ */[/' | awk -v s="$1" '$2 == s {print $6}' | head -1); echo $(( 16#${h:-0} )); }
        echo "| $v | $(sz .rela.dyn) | $(sz .relr.dyn || true) | $(stat -c %s "$out/variants/$v") |"
    done
} >>"$out/table.md"
result=scripts/bench/results/weld-self-$(date +%Y-%m-%d).md
{ echo "# weld linked by itself ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))"; echo; cat "$out/table.md"; } >"$result"
cat "$result"

if (( runtests )); then
    best=$out/variants/all
    (( pgo )) && best=$out/variants/all-pgo
    log "the whole test suite with $best"
    CI=true WELD=$best swift test
fi
