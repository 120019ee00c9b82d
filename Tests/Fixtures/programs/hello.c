// The smallest program: stdout, a string literal, and a non-zero exit status.
// EXPECT-EXIT: 42
#include <stdio.h>

int main(void) {
    printf("hello, world\n");
    return 42;
}
