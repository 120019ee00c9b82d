// Deterministic output on both streams, interleaved; the harness compares stderr too.
// STDERR: compare
// EXPECT-EXIT: 5
#include <stdio.h>
int main(void) {
    for (int i = 0; i < 5; i++) {
        fprintf(stdout, "out %d\n", i);
        fprintf(stderr, "err %d\n", i * i);
    }
    perror("perror with errno 0");
    return 5;
}
