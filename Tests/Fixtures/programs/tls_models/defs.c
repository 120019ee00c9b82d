// TLS variables defined here and used from other translation units compiled with every TLS
// access model (global-dynamic, local-dynamic, initial-exec, local-exec, TLSDESC).
// CFLAGS: -fPIC -ftls-model=local-dynamic
#include "tls.h"

__thread int tls_data = 11;
__thread int tls_bss;
__thread long tls_arr[8] = {1, 2, 3, 4, 5, 6, 7, 8};
_Alignas(64) __thread char tls_aligned[64] = "aligned-64";

static __thread int ld_counter = 1000;   /* local-dynamic from -fPIC code */
static __thread int ld_other;

int *ld_addr(void) { return &ld_counter; }
int ld_bump(void) { ld_other += 3; return ++ld_counter + ld_other; }
