// Floating point: literal pools (__literal8/__literal16), float/double conversion, printf of
// doubles in several formats.
int printf(const char *, ...);
static const double coefficients[] = {1.0, 0.5, 0.16666666666666666, 0.041666666666666664};
__attribute__((noinline)) static double poly(double x) {
    double r = 0, p = 1;
    for (int i = 0; i < 4; i++) { r += coefficients[i] * p; p *= x; }
    return r;
}
int main(void) {
    float f = 1.25f;
    double d = poly(0.5);
    printf("%.6f %.3e %g %g %f\n", d, d * 1e10, (double)f * 3.0f, 1.0 / 3.0, -0.0);
    long double ld = 2.5L;
    printf("%.2Lf %d %ld\n", ld, (int)(d * 1000), (long)(1e15 / 7));
    return 0;
}
