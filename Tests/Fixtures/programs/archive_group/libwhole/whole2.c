#include <stdio.h>
int unreferenced_whole_data = 3;
__attribute__((constructor)) static void whole2_ctor(void) { printf("second whole-archive member linked\n"); }
