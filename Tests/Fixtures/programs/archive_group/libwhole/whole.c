#include <stdio.h>
__attribute__((constructor)) static void whole_ctor(void) { printf("whole-archive member linked\n"); }
