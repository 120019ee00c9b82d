#include <stdio.h>
int ifunc_add(int, int);
const char *ifunc_name(void);
int call_local_twice(int);
void *addr_of_add_in_impl(void);

int (*const add_ptr)(int, int) = ifunc_add;      /* address in initialized data */

int main(void) {
    printf("ifunc_add(2, 3) = %d\n", ifunc_add(2, 3));
    printf("ifunc_name() = %s\n", ifunc_name());
    printf("via pointer = %d\n", add_ptr(20, 30));
    printf("local twice = %d\n", call_local_twice(21));
#ifndef __PIE__
    /* Non-PIE code takes the address directly: the linker must give the IFUNC one canonical
       address (its PLT entry). In PIE, GNU ld does not guarantee equality, so skip it. */
    printf("address equal across TUs = %d\n", (void *)ifunc_add == addr_of_add_in_impl());
#endif
    printf("pointer equal = %d\n", (void *)add_ptr == (void *)ifunc_add);
    return 0;
}
