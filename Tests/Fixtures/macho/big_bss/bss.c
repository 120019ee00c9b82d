// Large zero-fill data (several 16 KiB pages of __bss and __common) next to small initialised
// data: segment file size and vm size differ.
int printf(const char *, ...);
static char big[1 << 20];
long huge_array[50000];
int initialised = 12345;
int main(void) {
    for (int i = 0; i < (1 << 20); i += 4096) big[i] = (char)(i >> 12);
    long s = 0;
    for (int i = 0; i < (1 << 20); i += 4096) s += big[i];
    huge_array[49999] = s;
    printf("s=%ld last=%ld init=%d zero=%ld\n", s, huge_array[49999], initialised, huge_array[100]);
    return 0;
}
