// -mcmodel=medium: objects above -mlarge-data-threshold go to .ldata/.lbss/.lrodata
// (SHF_X86_64_LARGE) and are addressed with 64-bit relocations; small ones stay near code.
// CFLAGS: -mcmodel=medium -mlarge-data-threshold=4096
#include <stdio.h>
#include <stdint.h>

int small_data = 11;
static int small_bss;
int large_data[4096] = {1, 2, 3, [4095] = 4};
static char large_bss[3 << 20];
const char large_rodata[8192] = "large read-only data";

int main(void) {
    large_bss[(3 << 20) - 1] = 7;
    small_bss = large_data[4095] + large_bss[(3 << 20) - 1];
    printf("%d %d %d %s\n", small_data, small_bss, large_data[2], large_rodata);
    printf("large_bss aligned %d\n", (int)((uintptr_t)large_bss % 16 == 0));
    return 0;
}
