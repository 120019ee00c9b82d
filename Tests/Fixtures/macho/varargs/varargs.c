// The program's own variadic functions (va_list is a pointer on Darwin arm64) forwarding to
// vsnprintf and vprintf.
#include <stdarg.h>
int printf(const char *, ...);
int vprintf(const char *, va_list);
int vsnprintf(char *, unsigned long, const char *, va_list);
static long sum(int n, ...) {
    va_list ap; va_start(ap, n);
    long s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, long);
    va_end(ap);
    return s;
}
static double mean(int n, ...) {
    va_list ap; va_start(ap, n);
    double s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, double);
    va_end(ap);
    return s / n;
}
static void logf_(const char *fmt, ...) {
    char buf[64];
    va_list ap; va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("[log] %s\n", buf);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}
int main(void) {
    printf("sum=%ld mean=%.3f\n", sum(5, 1L, 2L, 3L, 4L, 5L), mean(3, 1.5, 2.5, 4.0));
    logf_("%d-%s-%c-%.2e", 12, "x", 'q', 12345.678);
    printf("%hhd %hd %lld %llu %zu %5s|%-5d|%+d|% d|%05.1f|%g|%g\n", (char)300, (short)70000, -5LL,
           18446744073709551615ULL, (unsigned long)99, "r", 3, 4, 5, 3.14159, 0.0001, 1e20);
    return 0;
}
