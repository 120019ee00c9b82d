// CFLAGS: -fmerge-constants
const char *b_hello(void) { return "merged string literal"; }
const char *b_other(void) { return "only in b"; }
double b_const(double x) { return x * 3.14159265358979; }
