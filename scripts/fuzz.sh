#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/build.sh) and runs each for SECONDS (default 60), printing
# executions and crashes per target. Exits 1 if any target crashed, leaked past the RSS limit,
# hung past the timeout or failed to start.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]        targets: object shared archive script response tbd exporttrie ehframe
#
# Each target starts from its committed corpus (Fuzz/corpus/T, read only) and its regression
# inputs (Fuzz/regressions/T, every past crash: run first, so a regression fails at once); new
# inputs go to .build-fuzz/work/T and crash inputs to .build-fuzz/artifacts/T/.
#
# Environment: WELD_FUZZ_JOBS   targets run at once (default 2, at most the core count)
#              WELD_FUZZ_OUT    build directory (default .build-fuzz/fuzz)
#              WELD_FUZZ_NO_BUILD=1   use the binaries already built
#              WELD_FUZZ_MERGE=1      afterwards, merge the new inputs into Fuzz/corpus/T
#                                     (minimized with -merge=1)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
# A Swift trap is reported by libFuzzer's deadly-signal handler (stack, input saved); Swift's
# own backtracer would read memory ASan then reports as a second, misleading error.
export SWIFT_BACKTRACE=enable=no
seconds="${1:-60}"
shift || true
all=(object shared archive script response tbd exporttrie ehframe)
targets=("$@")
(( ${#targets[@]} > 0 )) || targets=("${all[@]}")
out="$(realpath -m "${WELD_FUZZ_OUT:-.build-fuzz/fuzz}")"
cores=$(nproc 2>/dev/null || echo 2)
jobs="${WELD_FUZZ_JOBS:-2}"
(( jobs > cores )) && jobs=$cores
(( jobs < 1 )) && jobs=1

if [[ "${WELD_FUZZ_NO_BUILD:-}" != 1 ]]; then
    mkdir -p "$out"
    if ! Fuzz/build.sh "$out" >"$out.build.log" 2>&1; then
        cat "$out.build.log" >&2
        echo "fuzz: build failed" >&2
        exit 1
    fi
fi

run_one() {
    local t=$1
    # Absolute paths: the response-file target changes its working directory.
    local bin="$out/fuzz-$t" work="$root/.build-fuzz/work/$t" art="$root/.build-fuzz/artifacts/$t/"
    local log="$root/.build-fuzz/logs/$t.log"
    mkdir -p "$work" "$art" "$(dirname "$log")" "Fuzz/regressions/$t"
    local dict=()
    [[ -f "Fuzz/dicts/$t.dict" ]] && dict=("-dict=$root/Fuzz/dicts/$t.dict")
    local start=$SECONDS
    "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$art" "${dict[@]}" "$work" "$root/Fuzz/corpus/$t" "$root/Fuzz/regressions/$t" >"$log" 2>&1
    local rc=$?
    local execs
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    local verdict="ok"
    if (( rc != 0 )); then
        verdict="CRASH (exit $rc): $(grep -m1 -E '^==[0-9]+==ERROR|Fatal error|ERROR: libFuzzer' "$log" | cut -c1-120)"
        local at
        at=$(grep -m1 -E '^ +#[0-9]+ .* in .*(Sources|Fuzz)/' "$log" | sed -E 's/.* in //' | cut -c1-160)
        [[ -n "$at" ]] && verdict="$verdict at $at"
        local a
        a=$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //')
        [[ -n "$a" ]] && verdict="$verdict; input: $a"
    fi
    printf '%-9s %12s execs %5ss  corpus %5s  %s\n' "$t" "${execs:-?}" "$(( SECONDS - start ))" \
        "$(ls "$work" | wc -l)" "$verdict"
    [[ "$verdict" == ok ]]
}

echo "fuzz: ${targets[*]} for ${seconds}s each, $jobs at a time (logs in .build-fuzz/logs)"
status=0
pids=()
names=()
for t in "${targets[@]}"; do
    if [[ ! -x "$out/fuzz-$t" ]]; then echo "fuzz: no target $t" >&2; status=1; continue; fi
    while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || status=1; done
    run_one "$t" &
done
while (( $(jobs -rp | wc -l) > 0 )); do wait -n || status=1; done

if [[ "${WELD_FUZZ_MERGE:-}" == 1 ]]; then
    # Candidates over WELD_FUZZ_MERGE_MAX bytes (default 32 KiB) are left out: they keep the
    # committed corpus small (< 5 MB) for a handful of coverage edges.
    max="${WELD_FUZZ_MERGE_MAX:-32768}"
    for t in "${targets[@]}"; do
        m=".build-fuzz/merge-$t"
        rm -rf "$m" "$m-candidates" && mkdir -p "$m" "$m-candidates"
        find "Fuzz/corpus/$t" ".build-fuzz/work/$t" -type f -size -$((max + 1))c -exec cp {} "$m-candidates/" \;
        "$out/fuzz-$t" -merge=1 -rss_limit_mb=2048 -timeout=10 "$m" "$m-candidates" >/dev/null 2>&1 \
            && rm -rf "Fuzz/corpus/$t" && mv "$m" "Fuzz/corpus/$t"
        rm -rf "$m-candidates"
        echo "merged $t: $(ls "Fuzz/corpus/$t" | wc -l) files, $(cat "Fuzz/corpus/$t"/* | wc -c) bytes"
    done
fi
(( status == 0 )) && echo "fuzz: no crashes" || echo "fuzz: FAILED"
exit $status
