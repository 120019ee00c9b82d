#include <stdio.h>
void also_forced(void) {}
__attribute__((constructor)) static void also_ctor(void) { printf("second forced member linked\n"); }
