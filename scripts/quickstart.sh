#!/usr/bin/env bash
# Builds weld (release, static executable), then links a real program with it through gcc's
# driver — an SQLite application against Debian's libsqlite3.a — runs it, and compares its
# output with the same program linked by GNU ld.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
if [[ ! -e /usr/lib/x86_64-linux-gnu/libsqlite3.a ]]; then
    sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" apt-get install -y -qq libsqlite3-dev
fi
swift build -c release --static-swift-stdlib -Xswiftc -static-executable
weld="$PWD/.build/release/weld"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" && ln -s "$weld" "$work/bin/ld"       # gcc -B DIR runs DIR/ld
src=Tests/Fixtures/programs/sqlite_app.c
gcc -O2 "$src" -B "$work/bin" -o "$work/app-weld" -l:libsqlite3.a -lm -lpthread -ldl -Wl,--time-report
gcc -O2 "$src" -o "$work/app-ld" -l:libsqlite3.a -lm -lpthread -ldl
"$work/app-weld" > "$work/weld.out"
"$work/app-ld" > "$work/ld.out"
cat "$work/weld.out"
if cmp -s "$work/weld.out" "$work/ld.out"; then
    echo "quickstart: the program linked by weld ($("$weld" --version)) ran and matched GNU ld's build"
else
    echo "quickstart: outputs differ" >&2; diff "$work/ld.out" "$work/weld.out" >&2; exit 1
fi
