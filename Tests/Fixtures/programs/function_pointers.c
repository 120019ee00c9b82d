// Function pointers: static tables of pointers (R_X86_64_64 -> RELATIVE in PIE), pointers to
// libc functions (canonical PLT / GOT in non-PIE), callbacks, and pointer comparisons.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*binop)(int, int);
static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }
int divide(int a, int b) { return b ? a / b : 0; }

static const struct { const char *name; binop fn; } ops[] = {
    {"add", add}, {"sub", sub}, {"mul", mul}, {"div", divide},
};
static size_t (*const libc_strlen)(const char *) = strlen;
static int (*const libc_puts)(const char *) = puts;
binop exported_ptr = divide;

static int apply(binop f, int a, int b) { return f(a, b); }

int main(void) {
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        printf("%s(84, 4) = %d\n", ops[i].name, apply(ops[i].fn, 84, 4));
    printf("strlen via pointer: %zu\n", libc_strlen("weld linker"));
    libc_puts("puts via pointer");
    printf("strlen pointer equals strlen: %d\n", libc_strlen == strlen);
    printf("exported_ptr == divide: %d\n", exported_ptr == divide);
    binop chosen = ops[2].fn;
    return apply(chosen, 6, 7);
}
