// Recursive functions: mutual recursion across a function pointer, deep recursion (~100k
// frames), Ackermann, and a recursive descent evaluator.
#include <stdio.h>

static int is_even(unsigned n);
static int (*const odd_ptr)(unsigned) = NULL;
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }

__attribute__((noinline)) static long depth(long n) { volatile long pad = n; return n == 0 ? 0 : 1 + depth(n - 1) + (pad & 0); }
static unsigned long ackermann(unsigned long m, unsigned long n) {
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}
static unsigned long fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static const char *p;
static long expr(void);
static long factor(void) {
    if (*p == '(') { p++; long v = expr(); p++; return v; }
    long v = 0;
    while (*p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    return v;
}
static long term(void) { long v = factor(); while (*p == '*') { p++; v *= factor(); } return v; }
static long expr(void) { long v = term(); while (*p == '+' || *p == '-') { char op = *p++; long t = term(); v = op == '+' ? v + t : v - t; } return v; }

int main(void) {
    (void)odd_ptr;
    printf("is_even(1001)=%d is_odd(777)=%d\n", is_even(1001), is_odd(777));
    printf("depth(100000)=%ld\n", depth(100000));
    printf("ackermann(2, 3)=%lu ackermann(3, 5)=%lu\n", ackermann(2, 3), ackermann(3, 5));
    printf("fib(27)=%lu\n", fib(27));
    p = "2*(3+4)*5-6+(7*(8-2))";
    printf("expr=%ld\n", expr());
    return (int)(fib(20) % 256);
}
