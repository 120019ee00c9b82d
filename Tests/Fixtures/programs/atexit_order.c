// atexit ordering interleaved with destructors, exit() from a nested call, and on_exit-style
// status propagation; stdout buffered output must be flushed at exit.
#include <stdio.h>
#include <stdlib.h>
static void h1(void) { printf("handler 1\n"); }
static void h2(void) { printf("handler 2, registering handler 4\n"); extern void h4(void); atexit(h4); }
static void h3(void) { printf("handler 3\n"); }
void h4(void) { printf("handler 4 (registered during exit)\n"); }
__attribute__((destructor)) static void dtor(void) { printf("destructor\n"); }
static void deep(int n) { if (n == 0) { printf("exiting from depth\n"); exit(17); } deep(n - 1); }
int main(void) {
    atexit(h1);
    atexit(h2);
    atexit(h3);
    printf("buffered line without flush\n");
    deep(5);
    return 0;
}
