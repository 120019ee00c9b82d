#!/usr/bin/env bash
# Runs the end-to-end tests (Tests/EndToEndTests) on their own.
#
#   scripts/test-e2e.sh                 build weld (release) and test it
#   scripts/test-e2e.sh --stand-in      test the harness with GNU ld standing in for weld
#   WELD=/path/to/weld scripts/test-e2e.sh
#
# Filters (comma-separated, `prefix*` allowed for programs):
#   WELD_E2E_PROGRAMS=tls_models,cxx_*  WELD_E2E_MODES=pie,static  WELD_E2E_COMPILERS=gcc
# Other knobs: WELD_E2E_JOBS (concurrent child processes, default cores+1), WELD_E2E_KEEP=1
# (keep linked executables), WELD_E2E_WORKDIR (scratch directory), WELD_CI_SCRATCH (SwiftPM
# scratch path, default .build). Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -d /opt/swift/usr/bin && ":$PATH:" != *":/opt/swift/usr/bin:"* ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
scratch=()
if [[ -n "${WELD_CI_SCRATCH:-}" ]]; then scratch=(--scratch-path "$WELD_CI_SCRATCH"); fi

if [[ "${1:-}" == "--stand-in" ]]; then
    shift
    export WELD=/usr/bin/ld.bfd
elif [[ -z "${WELD:-}" ]]; then
    swift build "${scratch[@]}" -c release --static-swift-stdlib -Xswiftc -static-executable
    export WELD="$(swift build "${scratch[@]}" -c release --show-bin-path)/weld"
fi
echo "WELD=$WELD"
start=$(date +%s)
status=0
swift test "${scratch[@]}" --filter EndToEndTests "$@" || status=$?
echo "end-to-end tests: $(( $(date +%s) - start ))s, status $status"
exit $status
