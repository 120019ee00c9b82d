// 128-bit integer division and multiplication call libgcc helpers (__divti3, __udivti3,
// __modti3) from libgcc.a; __builtin_popcount/clz may also come from libgcc.
#include <stdio.h>
#include <stdint.h>

static void print_u128(unsigned __int128 v) {
    char buf[48];
    int i = 47;
    buf[i] = 0;
    do { buf[--i] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
    printf("%s", buf + i);
}

int main(void) {
    volatile unsigned __int128 a = ((unsigned __int128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL;
    volatile unsigned __int128 b = 1000000007;
    volatile __int128 c = -(__int128)a / 3;
    print_u128(a); printf("\n");
    print_u128(a / b); printf(" rem "); print_u128(a % b); printf("\n");
    printf("signed negative: %d, low bits %llx\n", c < 0, (unsigned long long)(-c & 0xffffffffffffULL));
    volatile unsigned long x = 0x00f0f0f0f0f0f0f0UL;
    printf("popcount %d clzll %d ctzll %d\n", __builtin_popcountl(x), __builtin_clzl(x), __builtin_ctzl(x));
    return 0;
}
