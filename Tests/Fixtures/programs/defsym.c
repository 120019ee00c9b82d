// --defsym: an alias of a function, an alias with an offset into data, and an absolute symbol
// (its address is printed only in non-PIE modes: GNU ld relocates absolute symbols in PIE).
// LINKFLAGS: -Wl,--defsym=my_alias=real_func -Wl,--defsym=magic_value=0x1234 -Wl,--defsym=data_plus_8=data_array+8
#include <stdint.h>
#include <stdio.h>

int real_func(int x) { return x * 3; }
int my_alias(int);
long data_array[4] = {10, 20, 30, 40};
extern long data_plus_8[];
extern char magic_value[];

int main(void) {
    printf("my_alias(14) = %d\n", my_alias(14));
    printf("data_plus_8[0] = %ld, [1] = %ld\n", data_plus_8[0], data_plus_8[1]);
    int (*volatile a)(int) = my_alias, (*volatile b)(int) = real_func;
    printf("alias address equal: %d\n", a == b);
#ifndef __PIE__
    printf("magic_value = %#lx\n", (unsigned long)(uintptr_t)magic_value);
#endif
    return my_alias(2);
}
