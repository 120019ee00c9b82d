int inner_calls;
int inner_square(int x) { inner_calls++; return x * x; }
int printf(const char *, ...);
__attribute__((constructor)) static void inner_init(void) { printf("[inner init]\n"); }
