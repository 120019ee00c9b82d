// The smallest program: one import (printf), a string literal, an exit status.
int printf(const char *, ...);
int main(void) {
    printf("hello, world\n");
    return 7;
}
