// A 64 MiB .bss array touched sparsely, next to a 1 MiB initialized array: NOBITS must not
// take file space and must be zero-filled at run time.
#include <stdio.h>
#include <stdint.h>

#define BIG (64u * 1024 * 1024)
static unsigned char huge[BIG];
unsigned int data_block[256 * 1024] = {1, 2, 3, [256 * 1024 - 1] = 0xabcdef};
static int after_bss;

int main(void) {
    unsigned long sum = 0;
    for (uint32_t i = 0; i < BIG; i += 4096 * 7) sum += huge[i];
    for (uint32_t i = 0; i < BIG; i += 1024 * 1024) huge[i] = (unsigned char)(i >> 20);
    for (uint32_t i = 0; i < BIG; i += 1024 * 1024) sum += huge[i];
    huge[BIG - 1] = 0x5a;
    sum += huge[BIG - 1] + after_bss;
    printf("sum=%lu last=%u first=%u\n", sum, data_block[256 * 1024 - 1], data_block[0]);
    return 0;
}
