// __builtin_expect, hot/cold attributes and gcc's function splitting: code in .text.unlikely,
// .text.hot and .text.startup must be placed and relocated correctly.
// GCC-CFLAGS: -freorder-blocks-and-partition
#include <stdio.h>
#include <stdlib.h>

__attribute__((cold, noinline)) static void report_error(int code) { printf("cold path taken with %d\n", code); }
__attribute__((hot, noinline)) static long hot_loop(int n) {
    long s = 0;
    for (int i = 0; i < n; i++) {
        if (__builtin_expect(i % 1000 == 999, 0)) report_error(i);
        else s += i;
    }
    return s;
}
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

int main(int argc, char **argv) {
    (void)argv;
    long s = hot_loop(3000);
    if (unlikely(argc > 5)) abort();
    if (likely(s > 0)) printf("sum %ld\n", s);
    printf("expect constant %ld\n", __builtin_expect(s, 42L) % 97);
    return 0;
}
