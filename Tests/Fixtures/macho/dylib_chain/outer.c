int snprintf(char *, unsigned long, const char *, ...);
int inner_square(int);
extern int inner_calls;
static char buffers[2][48];
const char *outer_describe(int x) {
    char *b = buffers[x & 1];
    snprintf(b, 48, "outer(%d) -> inner says %d", x, inner_square(x));
    return b;
}
int outer_inner_calls(void) { return inner_calls; }
int printf(const char *, ...);
__attribute__((constructor)) static void outer_init(void) { printf("[outer init: inner ran first? %s]\n", inner_calls == 0 ? "yes" : "no"); }
