// -fno-plt: calls to external functions go through the GOT (call *foo@GOTPCREL(%rip),
// R_X86_64_GOTPCRELX / REX_GOTPCRELX), which the linker relaxes to direct calls when the
// target is local (always in static links).
// CFLAGS: -fno-plt
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int local_helper(int x) { return x ^ 0x55; }
extern int global_data;
int global_data = 9;

int main(void) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d-%d", local_helper(0x0f), global_data);
    size_t n = strlen(buf);
    char *copy = strdup(buf);
    printf("%s %zu %s\n", buf, n, copy);
    free(copy);
    int (*fp)(int) = local_helper;
    return fp(1) & 0xff;
}
