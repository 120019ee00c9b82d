// Over-aligned globals: 4096 and 65536 byte alignment in .data, .bss and .rodata, and an
// aligned thread-local. The output must honour the alignment (p_align and addresses).
#include <stdint.h>
#include <stdio.h>

_Alignas(4096) int page_aligned_data[4] = {1, 2, 3, 4};
_Alignas(4096) char page_aligned_bss[100];
int small_after = 7;
__attribute__((aligned(65536))) int big_aligned_data[2] = {5, 6};
__attribute__((aligned(65536))) static char big_aligned_bss[10];
__attribute__((aligned(8192))) const char aligned_rodata[] = "rodata";
__attribute__((aligned(256))) __thread int aligned_tls = 3;

static int check(const void *p, uintptr_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

int main(void) {
    printf("page_aligned_data %d\n", check(page_aligned_data, 4096));
    printf("page_aligned_bss %d\n", check(page_aligned_bss, 4096));
    printf("big_aligned_data %d\n", check(big_aligned_data, 65536));
    printf("big_aligned_bss %d\n", check(big_aligned_bss, 65536));
    printf("aligned_rodata %d\n", check(aligned_rodata, 8192));
    printf("aligned_tls %d\n", check(&aligned_tls, 256));
    printf("values %d %d %d %s %d %d\n", page_aligned_data[3], big_aligned_data[1], small_after,
           aligned_rodata, aligned_tls, page_aligned_bss[50] + big_aligned_bss[5]);
    return 0;
}
