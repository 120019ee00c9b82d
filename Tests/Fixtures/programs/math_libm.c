// libm: sin/cos/pow/exp/log/sqrt/atan2/fma/lgamma through -lm (libm.so is a linker script in
// some setups; libm.a for static links; glibc uses IFUNCs for several of these).
// LIBS: -lm
#include <math.h>
#include <stdio.h>

int main(void) {
    volatile double x = 0.75;
    double s = 0;
    for (int i = 1; i <= 100; i++) s += sin(x * i) * cos(x / i);
    printf("sin/cos series %.12f\n", s);
    printf("pow %.12f exp %.12f log %.12f sqrt %.12f\n", pow(x, 3.5), exp(x), log(x * 10), sqrt(x * 8));
    printf("atan2 %.12f hypot %.12f fma %.12f\n", atan2(x, -1.0), hypot(3 * x, 4 * x), fma(x, 2.0, 0.125));
    printf("cbrt %.12f lgamma %.12f erf %.12f\n", cbrt(x * 64), lgamma(x * 10), erf(x));
    printf("floats: sinf %.6f powf %.6f\n", (double)sinf((float)x), (double)powf((float)x, 2.5f));
    printf("round %.1f floor %.1f ceil %.1f trunc %.1f\n", round(-2.5), floor(-2.5), ceil(-2.5), trunc(-2.5));
    return (int)(s * 10) & 0x7f;
}
