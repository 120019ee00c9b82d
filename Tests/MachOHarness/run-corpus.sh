#!/usr/bin/env bash
# Run the Mach-O corpus (Tests/Fixtures/macho) by hand against any ld64-style linker:
#
#   Tests/MachOHarness/run-corpus.sh LINKER [PROGRAM...]
#
#   LINKER   a command: '.build/debug/weld -flavor darwin', a path to ld64.weld, or
#            /usr/lib/llvm-19/bin/ld64.lld (quote it when it has arguments)
#
# Each program is compiled once for arm64-apple-macos13, linked by LINKER (and by the reference
# ld64.lld), run under the arm64 emulator at slide 0 and 0x4000000 and compared with the native
# build's output; the signature is checked, outputs are compared structurally with the
# reference's, and linked again at --threads=1 and 2 to compare bytes.
# Environment: REFERENCE (default /usr/lib/llvm-19/bin/ld64.lld; empty: no reference),
# WORK (default a fresh directory under /tmp, kept for inspection), JOBS (default 2),
# DETERMINISM=0 to skip the --threads links (for linkers without --threads), VERBOSE=1,
# LINK_FLAGS='-no_fixup_chains' (or '-dead_strip', ...) added to every link of both linkers.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
    exit 2
fi
linker="$1"; shift
reference="${REFERENCE-/usr/lib/llvm-19/bin/ld64.lld}"
work="${WORK:-$(mktemp -d /tmp/macho-corpus.XXXXXX)}"
args=(check --linker "$linker" --work "$work" --jobs "${JOBS:-2}")
[[ -n "$reference" ]] && args+=(--reference "$reference")
[[ "${DETERMINISM:-1}" != 0 ]] && args+=(--determinism)
[[ -n "${LINK_FLAGS:-}" ]] && args+=("--link-flags=$LINK_FLAGS")
report=(report)
[[ "${VERBOSE:-0}" != 0 ]] && report+=(--verbose)
mkdir -p "$work"
echo "work directory: $work"
python3 "$here/corpus.py" "${args[@]}" "$@" | tee "$work/results.jsonl" | python3 "$here/corpus.py" "${report[@]}"
