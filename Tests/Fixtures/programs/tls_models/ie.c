// Initial-exec accesses selected with the attribute (GOTTPOFF).
#include "tls.h"
extern __thread int tls_data __attribute__((tls_model("initial-exec")));
extern __thread int tls_bss __attribute__((tls_model("initial-exec")));
int *ie_addr(void) { return &tls_data; }
int ie_sum(void) { tls_bss += 10; return tls_data + tls_bss; }
