// A program that terminates by a signal (SIGTERM, default action) after writing to stdout:
// the harness compares the termination signal, and buffered output is lost identically.
// EXPECT-EXIT: signal 15
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    printf("flushed line\n");
    fflush(stdout);
    printf("this buffered line is lost\n");
    raise(SIGTERM);
    return 0;
}
