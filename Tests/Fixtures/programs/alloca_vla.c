// alloca and variable-length arrays, including VLAs in loops and alloca in a callee
// (stack probing, frame pointer use).
#include <alloca.h>
#include <stdio.h>
#include <string.h>

static long vla_sum(int n) {
    long v[n];
    for (int i = 0; i < n; i++) v[i] = (long)i * i;
    long s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    return s;
}

static unsigned checksum_alloca(size_t n) {
    unsigned char *p = alloca(n);
    memset(p, 0xA5, n);
    unsigned c = 0;
    for (size_t i = 0; i < n; i++) c = c * 33 + p[i] + (unsigned)i;
    return c;
}

static int matrix(int rows, int cols) {
    int m[rows][cols];
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) m[r][c] = r * cols + c;
    return m[rows - 1][cols - 1] + (int)sizeof m;
}

int main(void) {
    for (int n = 1; n <= 10000; n *= 10) printf("vla_sum(%d) = %ld\n", n, vla_sum(n));
    printf("alloca checksum %u %u\n", checksum_alloca(100), checksum_alloca(200000));
    printf("matrix %d\n", matrix(7, 13));
    return 0;
}
