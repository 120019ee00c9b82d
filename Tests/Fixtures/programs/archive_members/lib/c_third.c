#include <stdio.h>
int third(void) { return 3; }
__attribute__((constructor)) static void ctor(void) { printf("third member linked\n"); }
