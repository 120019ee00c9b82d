// Number parsing: strtol/strtoul/strtoll in several bases, end pointers, strtod, sscanf, atoi.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *inputs[] = {"42", "-17", "0x1F", "0777", "  +123abc", "z", "9223372036854775807", "-0"};
    for (int i = 0; i < 8; i++) {
        char *end;
        long v = strtol(inputs[i], &end, 0);
        printf("strtol('%s', 0) = %ld, consumed %d\n", inputs[i], v, (int)(end - inputs[i]));
    }
    printf("base 2: %ld base 36: %ld base 16: %lu\n", strtol("101101", NULL, 2), strtol("weld", NULL, 36),
           strtoul("ffffffff", NULL, 16));
    printf("strtoll %lld strtoull %llu\n", strtoll("-9000000000000", NULL, 10), strtoull("18446744073709551615", NULL, 10));
    char *end;
    double d = strtod("6.02214076e23 mol", &end);
    printf("strtod %.8e rest '%s'\n", d, end);
    int a, b; char word[16];
    int n = sscanf("12 34 linker", "%d %d %15s", &a, &b, word);
    printf("sscanf %d: %d %d %s atoi %d\n", n, a, b, word, atoi("-77"));
    return 0;
}
