#include <stdio.h>
int weak_only(void) { return 1; }
__attribute__((constructor)) static void ctor(void) { printf("weak-only member linked (WRONG)\n"); }
