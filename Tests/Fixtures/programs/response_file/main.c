// A response file passed to the linker (-Wl,@file) with quoted and unquoted options: --defsym
// and --wrap.
// LINKFLAGS: -Wl,@%{src}/link.rsp
#include <stdio.h>
int rsp_alias(int);
int rsp_wrapped(int);
int __real_rsp_wrapped(int);
int __wrap_rsp_wrapped(int x) { return __real_rsp_wrapped(x) + 1; }
int main(void) {
    printf("rsp_alias(1) = %d, rsp_wrapped(10) = %d\n", rsp_alias(1), rsp_wrapped(10));
    return 0;
}
