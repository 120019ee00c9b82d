// -u SYMBOL forces an archive member to be linked although nothing references it; an
// unreferenced member stays out. Members of lib/ are archived into libprog.a by the harness.
// LINKFLAGS: -Wl,-u,forced_symbol -Wl,--undefined=also_forced
#include <stdio.h>
int main(void) {
    printf("main runs\n");
    return 0;
}
