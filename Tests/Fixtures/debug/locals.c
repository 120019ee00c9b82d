// A small -g program for the debug-information tests: gdb stops on the marked line and
// prints the local `squared`; the line table must map it back to this file.
#include <stdio.h>
#include <string.h>

static int square(int x) {
    int squared = x * x;
    return squared;   // BREAK HERE (line 8)
}

const char *greeting = "hello from a -g program";

int main(int argc, char **argv) {
    (void)argv;
    int total = 0;
    for (int i = 0; i < argc + 3; i++) total += square(i);
    printf("%s: total %d, length %zu\n", greeting, total, strlen(greeting));
    return 0;
}
