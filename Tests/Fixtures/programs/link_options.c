// Common dynamic-linking options in one link: -z now, -z relro, --hash-style=both, --build-id,
// --export-dynamic, -z noexecstack, -rpath, --as-needed with an unused library; versioned libc
// references (memcpy@GLIBC_2.14) resolved at load time.
// MODES: pie nopie static
// (GNU ld's static-pie output crashes with --export-dynamic or -rpath.)
// LINKFLAGS: -Wl,-z,now -Wl,-z,relro -Wl,--hash-style=both -Wl,--build-id=sha1 -Wl,--export-dynamic -Wl,-z,noexecstack -Wl,-rpath,/nonexistent/weld-e2e-rpath
// LIBS: -Wl,--as-needed -lm -Wl,--no-as-needed
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

int exported_function(int x) { return x + 1; }

int main(void) {
    char src[64] = "copy me with a versioned memcpy", dst[64];
    memcpy(dst, src, sizeof src);
    memmove(dst + 1, dst, 10);
    printf("%s | %d | %s\n", dst, exported_function(41), strchr(src, 'v'));
    char *p = calloc(4, 16);
    snprintf(p, 64, "%s", "calloc+snprintf");
    puts(p);
    free(p);
    return 0;
}
