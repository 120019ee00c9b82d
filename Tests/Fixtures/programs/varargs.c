// Variadic functions: va_list, va_copy, forwarding to vsnprintf, mixed integer/double/pointer
// arguments (exercises the SysV register save area and %al convention).
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static double sum_doubles(int n, ...) {
    va_list ap;
    va_start(ap, n);
    double s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, double);
    va_end(ap);
    return s;
}

static long mixed(const char *fmt, ...) {
    va_list ap, copy;
    va_start(ap, fmt);
    va_copy(copy, ap);
    long total = 0;
    for (const char *p = fmt; *p; p++) {
        switch (*p) {
        case 'i': total += va_arg(ap, int); break;
        case 'l': total += va_arg(ap, long); break;
        case 'd': total += (long)va_arg(ap, double); break;
        case 's': total += (long)strlen(va_arg(ap, const char *)); break;
        }
    }
    int first = va_arg(copy, int);
    va_end(copy);
    va_end(ap);
    return total * 1000 + first;
}

static int format(char *buf, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

int main(void) {
    printf("sum_doubles = %.3f\n", sum_doubles(5, 1.5, 2.25, 3.0, 4.125, 100.0));
    printf("mixed = %ld\n", mixed("ilds", 7, 1L << 40, 2.9, "hello", 99));
    printf("many ints: %d %d %d %d %d %d %d %d %d %d\n", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    char buf[64];
    int r = format(buf, sizeof buf, "%s-%05d-%x-%c", "fmt", 42, 0xbeef, 'z');
    printf("format -> '%s' (%d)\n", buf, r);
    r = format(buf, 8, "%s", "truncated output here");
    printf("truncated -> '%s' (%d)\n", buf, r);
    return 0;
}
