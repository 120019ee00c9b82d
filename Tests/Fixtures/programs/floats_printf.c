// printf of float, double and long double (x87 80-bit), %a, %e, %g, rounding, special values;
// also the float constants pool (.rodata.cst4/.cst8/.cst16 merge sections).
#include <float.h>
#include <math.h>
#include <stdio.h>

int main(void) {
    float f = 1.0f / 3.0f;
    double d = 2.0 / 3.0;
    long double ld = 1.0L / 7.0L;
    printf("float %.9g double %.17g long double %.21Lg\n", (double)f, d, ld);
    printf("%%e %e %%E %E %%g %g %%a %a\n", 123456.789, 0.000123, 1e-10, 1.0);
    printf("long double %%Lf %.10Lf %%Le %Le %%La %La\n", ld * 1000, ld, 3.0L);
    printf("rounding %.0f %.0f %.0f %.2f\n", 0.5, 1.5, 2.5, 1.005);
    printf("special %f %f %f\n", (double)INFINITY, -(double)INFINITY, (double)NAN);
    printf("limits %g %g %Lg\n", DBL_MAX, DBL_MIN, LDBL_MAX);
    printf("widths [%10.3f] [%-10.2e] [%+d] [% d]\n", 3.14159, 2.71828, 5, 7);
    long double acc = 0;
    for (int i = 1; i <= 1000; i++) acc += 1.0L / ((long double)i * i);
    printf("sum 1/i^2 = %.18Lf\n", acc);
    return 0;
}
