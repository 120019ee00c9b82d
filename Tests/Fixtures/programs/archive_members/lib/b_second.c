#include <stdio.h>
int second(void) { return 2; }
__attribute__((constructor)) static void never(void) { printf("second member linked (WRONG)\n"); }
