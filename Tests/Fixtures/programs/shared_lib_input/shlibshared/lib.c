// A shared library made by the reference toolchain, with a version script and two versions of
// one symbol; weld links the executable against it (dynamic symbols, versions, copy
// relocations of its data, PLT calls, canonical function addresses, TLS from a library).
#include <stdio.h>
int shared_value = 1234;
int shared_array[8] = {1, 2, 3, 4, 5, 6, 7, 8};
__thread int shared_tls = 77;
const char *shared_name(void) { return "libshared"; }
int shared_fn(int x) { return x * 2 + shared_value; }
void *shared_fn_address(void) { return (void *)shared_fn; }
int *shared_value_address(void) { return &shared_value; }
int *shared_tls_address(void) { return &shared_tls; }
int versioned_v1(void) { return 1; }
int versioned_v2(void) { return 2; }
__asm__(".symver versioned_v1, versioned@SHARED_1");
__asm__(".symver versioned_v2, versioned@@SHARED_2");
int maybe_present(void) { return 42; }
