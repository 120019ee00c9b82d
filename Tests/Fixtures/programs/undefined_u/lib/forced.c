#include <stdio.h>
int forced_symbol = 1;
__attribute__((constructor)) static void forced_ctor(void) { printf("forced member linked\n"); }
