#include <stdio.h>
int unused_symbol = 2;
__attribute__((constructor)) static void unused_ctor(void) { printf("unused member linked (WRONG)\n"); }
