// exit() from a nested call with buffered output pending and an atexit handler, and a
// status that only keeps its low 8 bits.
int printf(const char *, ...);
void exit(int);
int atexit(void (*)(void));
static void flushed_later(void) { printf("atexit saw the exit\n"); }
__attribute__((noinline)) static void deep(int n) {
    if (n == 0) { printf("leaving from the bottom\n"); exit(300); }
    deep(n - 1);
}
int main(void) {
    atexit(flushed_later);
    deep(10);
    printf("not reached\n");
    return 0;
}
