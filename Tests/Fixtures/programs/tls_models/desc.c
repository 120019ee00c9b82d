// TLS descriptors (GOTPC32_TLSDESC / TLSDESC_CALL), relaxed by the linker in an executable.
// CFLAGS: -fPIC -mtls-dialect=gnu2 -ftls-model=global-dynamic
#include "tls.h"
int *desc_addr(void) { return &tls_data; }
int desc_sum(void) { tls_arr[0] += 100; return (int)tls_arr[0] + tls_aligned[1]; }
