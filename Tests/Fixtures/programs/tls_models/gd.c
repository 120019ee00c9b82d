// Global-dynamic accesses (__tls_get_addr), relaxed by the linker in an executable.
// CFLAGS: -fPIC -ftls-model=global-dynamic
#include "tls.h"
int *gd_addr(void) { return &tls_data; }
int gd_sum(void) { tls_bss += 1; return tls_data + tls_bss + (int)tls_arr[7] + tls_aligned[0]; }
