#include <stdint.h>
#include <stdio.h>
extern const unsigned char big_object[];
extern uint64_t reloc_size64, reloc_pc64;
extern uint32_t reloc_size32;
extern int32_t reloc_pc32;
extern uint32_t reloc_abs32;
extern uint16_t reloc_abs16;
extern uint8_t reloc_abs8;
uintptr_t load_abs_via_got(void);
int main(void) {
    printf("SIZE64 %llu SIZE32 %u\n", (unsigned long long)reloc_size64, reloc_size32);
    printf("PC64 ok %d PC32 ok %d\n", (const unsigned char *)&reloc_pc64 + (int64_t)reloc_pc64 == big_object,
           (const unsigned char *)&reloc_pc32 + reloc_pc32 == big_object);
#ifndef __PIE__
    printf("abs32 %#x abs16 %#x abs8 %#x\n", reloc_abs32, reloc_abs16, reloc_abs8);
#endif
    printf("absolute symbol via GOT %#lx\n", (unsigned long)load_abs_via_got());
    printf("big_object[299] = %d\n", big_object[299]);
    return 0;
}
