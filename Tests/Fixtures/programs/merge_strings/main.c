// CFLAGS: -fmerge-constants
#include <stdio.h>
#include <string.h>
const char *a_hello(void);
const char *a_other(void);
const char *a_suffix(void);
const char *b_hello(void);
const char *b_other(void);
double a_const(double);
double b_const(double);
int main(void) {
    const char *m = "merged string literal";
    printf("%s | %s | %s\n", a_hello(), b_hello(), m);
    printf("%s | %s | %s\n", a_other(), b_other(), a_suffix());
    printf("a and b share one copy: %d\n", a_hello() == b_hello());
    printf("main shares it too: %d\n", a_hello() == m);
    printf("constants: %.6f %.6f\n", a_const(2.0), b_const(1.0));
    printf("lengths %zu %zu\n", strlen(a_hello()), strlen(a_suffix()));
    return 0;
}
