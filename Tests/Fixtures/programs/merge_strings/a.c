// Identical string literals and constants in several translation units land in SHF_MERGE
// sections (.rodata.str1.1, .rodata.cst8, ...) and are merged by the linker.
// CFLAGS: -fmerge-constants
const char *a_hello(void) { return "merged string literal"; }
const char *a_other(void) { return "only in a"; }
const char *a_suffix(void) { return "literal"; }
double a_const(double x) { return x * 3.14159265358979; }
