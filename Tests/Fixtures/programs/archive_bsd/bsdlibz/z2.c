#include <stdio.h>
int bsd_unused(void) { return 12; }
__attribute__((constructor)) static void c(void) { printf("unused BSD-archive member linked (WRONG)\n"); }
