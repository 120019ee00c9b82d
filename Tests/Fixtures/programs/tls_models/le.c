// Local-exec accesses selected with the attribute (TPOFF32).
#include "tls.h"
extern __thread int tls_data __attribute__((tls_model("local-exec")));
extern __thread long tls_arr[8] __attribute__((tls_model("local-exec")));
int *le_addr(void) { return &tls_data; }
int le_sum(void) { long s = 0; for (int i = 0; i < 8; i++) s += tls_arr[i]; return (int)s + tls_data; }
