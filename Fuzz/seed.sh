#!/usr/bin/env bash
# Regenerates the raw seed inputs in DIR (default .build-fuzz/seeds) from real files on this
# machine, then merges them into Fuzz/corpus/<target> (libFuzzer -merge=1 keeps only inputs that
# add coverage, so the committed corpus stays small). Needs gcc, g++, clang, ar, llvm-ar.
#
#   Fuzz/seed.sh [DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -d /opt/swift/usr/bin && ":$PATH:" != *":/opt/swift/usr/bin:"* ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
seeds="$(realpath -m "${1:-.build-fuzz/seeds}")"
bin=.build-fuzz/fuzz
root=$PWD
rm -rf "$seeds"
mkdir -p "$seeds"/{object,shared,archive,script,response,work}
w="$seeds/work"
libdir=/usr/lib/x86_64-linux-gnu

# --- objects: the test programs with both compilers and several flag sets, libc.a members
n=0
for src in Tests/Fixtures/programs/*.c Tests/Fixtures/programs/*.cpp Tests/Fixtures/programs/*/*.c \
           Tests/Fixtures/programs/*/*.cpp Tests/Fixtures/programs/*/*.s Tests/Fixtures/programs/*/*.S \
           Tests/Fixtures/bad-input/*.c; do
    [[ -f "$src" ]] || continue
    case "$src" in *.cpp) cc=(g++ clang++) ;; *) cc=(gcc clang) ;; esac
    for c in "${cc[@]}"; do
        for f in "-O0" "-O2 -fPIC -ffunction-sections -fdata-sections" "-O1 -g -gz" "-Os -fno-pie -mcmodel=large"; do
            n=$((n + 1))
            # shellcheck disable=SC2086
            "$c" -c $f -w -I "$(dirname "$src")" "$src" -o "$seeds/object/prog$n" 2>/dev/null || rm -f "$seeds/object/prog$n"
        done
    done
done
(cd "$w" && mkdir -p libc && cd libc && ar x "$libdir/libc.a" && ls | head -400 | while read -r m; do mv "$m" "$seeds/object/libc-$m.bin"; done)
rm -rf "$w/libc"

# --- shared libraries: small ones built here (versioned, with soname), and real system ones
cat > "$w/v.c" <<'C'
int foo(void) { return 1; }
int foo_old(void) { return 0; }
__asm__(".symver foo_old,foo@VER_1");
__asm__(".symver foo,foo@@VER_2");
int shared_data = 42;
__thread int tls_var;
extern int undefined_elsewhere(void);
int call(void) { return undefined_elsewhere(); }
C
printf 'VER_1 { global: foo; local: *; };\nVER_2 { global: foo; call; shared_data; tls_var; } VER_1;\n' > "$w/v.map"
gcc -shared -fPIC -O1 "$w/v.c" -Wl,--version-script="$w/v.map" -Wl,-soname,libv.so.1 -o "$seeds/shared/libv.so"
clang -shared -fPIC -O1 "$w/v.c" -Wl,--version-script="$w/v.map" -fuse-ld=lld -o "$seeds/shared/libv-lld.so" 2>/dev/null || true
gcc -shared -fPIC -O1 "$w/v.c" -Wl,--version-script="$w/v.map" -Wl,--hash-style=sysv -s -o "$seeds/shared/libv-stripped.so"
for src in Tests/Fixtures/programs/shared_lib_input/*.c; do
    [[ -f "$src" ]] && gcc -shared -fPIC -O1 "$src" -o "$seeds/shared/$(basename "$src" .c).so" 2>/dev/null || true
done
for so in /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib/x86_64-linux-gnu/libz.so.1 /lib/x86_64-linux-gnu/libdl.so.2 \
          /lib/x86_64-linux-gnu/libpthread.so.0 /lib/x86_64-linux-gnu/libutil.so.1 /lib/x86_64-linux-gnu/libc.so.6 \
          /lib/x86_64-linux-gnu/libm.so.6; do
    [[ -f "$so" ]] && cp -L "$so" "$seeds/shared/$(basename "$so")"
done

# --- archives: GNU (with and without symbol table, long names), thin, BSD, Darwin, SYM64
mk() { gcc -c -O1 -x c - -o "$w/$1" <<<"$2"; }
mk a.o 'int alpha(void){return 1;} int shared_name_in_a;'
mk b.o 'extern int alpha(void); int beta(void){return alpha()+1;}'
mk a_member_with_a_really_long_file_name.o 'int gamma_long(void){return 3;} static int hidden;'
mk c.o 'int delta(int x){return x*2;}'
objs=("$w/a.o" "$w/b.o" "$w/a_member_with_a_really_long_file_name.o" "$w/c.o")
(cd "$w" && ar rcs "$seeds/archive/gnu.a" a.o b.o a_member_with_a_really_long_file_name.o c.o)
(cd "$w" && ar rc "$seeds/archive/gnu-nosymtab.a" a.o b.o)
(cd "$w" && ar rcsT "$seeds/archive/thin.a" a.o b.o a_member_with_a_really_long_file_name.o)
(cd "$w" && llvm-ar rcs --format=bsd "$seeds/archive/bsd.a" a.o b.o a_member_with_a_really_long_file_name.o c.o)
(cd "$w" && llvm-ar rcs --format=darwin "$seeds/archive/darwin.a" a.o a_member_with_a_really_long_file_name.o)
(cd "$w" && llvm-ar rcs --format=gnu "$seeds/archive/llvm-gnu.a" a.o b.o a_member_with_a_really_long_file_name.o)
(cd "$w" && SYM64_THRESHOLD=0 llvm-ar rcs --format=gnu "$seeds/archive/sym64.a" a.o b.o a_member_with_a_really_long_file_name.o)
(cd "$w" && llvm-ar rcsT "$seeds/archive/llvm-thin.a" a.o b.o a_member_with_a_really_long_file_name.o)
printf '!<arch>\n' > "$seeds/archive/empty.a"
printf '!<thin>\n' > "$seeds/archive/empty-thin.a"
# A few real archives' first members (keep them small).
(cd "$w" && ar x "$libdir/libc_nonshared.a" && ar rcs "$seeds/archive/libc_nonshared.a" ./*.oS 2>/dev/null) || true
[[ -f "$libdir/libc_nonshared.a" ]] && cp "$libdir/libc_nonshared.a" "$seeds/archive/libc_nonshared-orig.a"
for a in libm-2.36.a libmvec.a libanl.a librt.a; do [[ -f "$libdir/$a" ]] && cp "$libdir/$a" "$seeds/archive/" || true; done

# --- library scripts: the system ones and hand-written ones using every supported command
for s in libc.so libm.so libpthread.a libm.a libcurses.so libncurses.so libtermcap.so; do
    f="$libdir/$s"
    if [[ -f "$f" ]] && head -c 4 "$f" | grep -qv $'\x7fELF' && ! head -c 7 "$f" | grep -q '!<arch>'; then
        cp "$f" "$seeds/script/$s"
    fi
done
for f in /usr/lib/gcc/x86_64-linux-gnu/*/libgcc_s.so; do [[ -f "$f" ]] && cp "$f" "$seeds/script/libgcc_s.so"; done
cat > "$seeds/script/all.ld" <<'S'
/* every command a library script may use */
OUTPUT_FORMAT("elf64-x86-64", "elf64-x86-64", "elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
SEARCH_DIR("=/usr/local/lib"); SEARCH_DIR(/lib)
ENTRY(_start)
INPUT(-lfoo, "quoted name.o" bar.o)
GROUP(libx.a -l:liby.a AS_NEEDED(libz.so.1 -lw) ) # trailing comment
S
printf 'SECTIONS { .text : { *(.text) } }\n' > "$seeds/script/sections.ld"
printf 'GROUP ( a AS_NEEDED ( b AS_NEEDED ( c ) ) )\nINPUT(\n' > "$seeds/script/unclosed.ld"
printf 'INPUT("unterminated\n' > "$seeds/script/badstring.ld"

# --- response files
printf -- '-o out main.o -lc\n' > "$seeds/response/simple"
printf -- "'single quoted' \"double \\\\\"quoted\\\\\"\" back\\\\ slash\n\t@missing ''\n" > "$seeds/response/quotes"
printf -- '-L/usr/lib --start-group -la -lb --end-group @nested\n' > "$seeds/response/nested"
printf -- '@rsp\n' > "$seeds/response/self"
printf -- 'a\\\nb\r\nc\x0bd\x0ce' > "$seeds/response/spaces"

# --- merge into the committed corpus
# Inputs over 32 KiB (libc.so.6, libgcc_s.so.1, libm.a, objects with megabyte arrays) are left
# out: they would blow the corpus budget (< 5 MB in the repository) and make every mutation slow
# (libFuzzer sizes its inputs after the largest seed); smaller files reach the same code (a
# trial merge with and without them differed by 1-2 coverage edges).
find "$seeds" -type f -size +32k -delete
for t in object shared archive script response; do
    mkdir -p "Fuzz/corpus/$t"
    rm -rf "$w/merged" && mkdir -p "$w/merged"
    "$bin/fuzz-$t" -merge=1 -rss_limit_mb=2048 -timeout=10 "$w/merged" "Fuzz/corpus/$t" "$seeds/$t" 2>&1 \
        | grep -E "MERGE-OUTER: [0-9]+ new files" || true
    rm -rf "Fuzz/corpus/$t" && mv "$w/merged" "Fuzz/corpus/$t"
    echo "$t: $(ls "Fuzz/corpus/$t" | wc -l) files, $(du -sh "Fuzz/corpus/$t" | cut -f1)"
done
