// -mcmodel=large: 64-bit absolute addressing in non-PIC code (movabs, R_X86_64_64 in text) and
// R_X86_64_GOTPC64 / GOTOFF64 / PLTOFF64 / GOT64 in PIC code; data goes to .ldata/.lbss.
// CFLAGS: -mcmodel=large
// SKIP: static-pie/clang (GNU ld's output crashes there; lld's works)
#include <stdio.h>
#include <string.h>

int small_global = 3;
static long big_table[20000] = {1, 2, 3};
static char big_bss[1 << 20];
extern int helper_extern(int);
int helper_extern(int x) { return x + small_global; }
static int local_fn(int x) { return x * 5; }
int (*volatile fp)(int) = local_fn;

int main(void) {
    big_bss[12345] = 9;
    big_table[19999] = 4;
    long s = 0;
    for (int i = 0; i < 20000; i++) s += big_table[i];
    printf("sum %ld bss %d helper %d local %d strlen %zu\n", s, big_bss[12345], helper_extern(4), fp(3),
           strlen("large model"));
    return 0;
}
