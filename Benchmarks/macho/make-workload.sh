#!/usr/bin/env bash
# make-workload.sh [DIR] -- a large arm64 Mach-O link job from real C sources: musl's libc
# (about 1100 files, from the PyPI `ziglang` wheel's lib/libc/musl) compiled with clang for
# arm64-apple-macos13. Half the objects go on the command line, the rest into per-directory
# static archives (llvm-ar --format=darwin, with __.SYMDEF), plus a main that pulls members.
# Writes DIR/link.args (ld64 options after the linker name). Files that do not compile for
# this target (inline assembly for Linux) are skipped.
set -euo pipefail
DIR="${1:-/var/tmp/weld-macho-bench}"
CLANG="${CLANG:-/opt/swift/usr/bin/clang}"
AR="${AR:-/opt/swift/usr/bin/llvm-ar}"
Z="$(python3 -c 'import ziglang, os; print(os.path.dirname(ziglang.__file__))')/lib/libc"
M="$Z/musl"
mkdir -p "$DIR/obj"
cd "$DIR"
# Generic sources (src/DIR/x.c) and aarch64 variants (src/DIR/aarch64/x.c), as musl's
# Makefile picks them: an arch file replaces the generic file of the same name.
find "$M/src" -mindepth 2 -maxdepth 2 -name '*.c' | sort > generic.txt
find "$M/src" -mindepth 3 -maxdepth 3 -path '*/aarch64/*.c' | sort > arch.txt
grep -v -F -f <(sed 's|/aarch64/|/|' arch.txt) generic.txt | cat - arch.txt | sort > sources.txt
compile() {
    src="$1"; rel="${src#$M/src/}"; obj="obj/${rel//\//__}.o"
    [ -f "$obj" ] && exit 0
    "$CLANG" -target arm64-apple-macos13 -O2 -ffreestanding -nostdinc -w -std=c99 \
        -D_XOPEN_SOURCE=700 -I"$M/arch/aarch64" -I"$M/arch/generic" -I"$M/src/include" \
        -I"$M/src/internal" -I"$Z/include/generic-musl" -I"$Z/include/aarch64-linux-musl" -I"$M/include" \
        -c "$src" -o "$obj" 2>/dev/null || true
}
export -f compile; export CLANG M Z
xargs -a sources.txt -P "${JOBS:-2}" -I{} bash -c 'compile "$@"' _ {}
ls obj/*.o | sort > objects.txt
# Directories a..m on the command line, the rest in archives (one per directory).
: > direct.txt; rm -f lib*.a ar_*.txt
while read -r o; do
    d="$(basename "$o" | sed 's/__.*//')"
    case "$d" in [a-m]*) echo "$o" >> direct.txt ;; *) echo "$o" >> "ar_$d.txt" ;; esac
done < objects.txt
for list in ar_*.txt; do d="${list#ar_}"; d="${d%.txt}"; "$AR" --format=darwin rcs "lib$d.a" $(cat "$list"); done
cat > main.c <<'C'
int printf(const char *, ...);
extern int strcmp(const char *, const char *);
extern double sqrt(double);
int main(int argc, char **argv) { return strcmp(argv[0], "x") + (int)sqrt(argc); }
C
# Names no compiled file defines (their sources did not build for this target, or they are
# assembly in musl) get a definition, so the link is complete without -undefined tricks.
/opt/swift/usr/bin/llvm-nm -g obj/*.o 2>/dev/null | python3 -c '
import sys
defined, undefined = set(), set()
for line in sys.stdin:
    parts = line.split()
    if len(parts) == 2 and parts[0] == "U": undefined.add(parts[1])
    elif len(parts) == 3: defined.add(parts[2])
for i, name in enumerate(sorted(undefined - defined)):
    print("__attribute__((aligned(16))) char stub%d[256] __asm__(\"%s\");" % (i, name))
' > stubs.c
"$CLANG" -target arm64-apple-macos13 -O2 -c main.c -o main.o
"$CLANG" -target arm64-apple-macos13 -O2 -w -c stubs.c -o stubs.o
{
    echo "-arch arm64 -platform_version macos 13.0 13.0 -all_load -o out main.o stubs.o"
    cat direct.txt | tr '\n' ' '
    for a in lib*.a; do echo -n " $a"; done
    echo
} > link.args
echo "$(wc -l < objects.txt) objects ($(wc -l < direct.txt) direct), $(ls lib*.a | wc -l) archives in $DIR"
