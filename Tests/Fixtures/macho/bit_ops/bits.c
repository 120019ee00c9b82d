// 64-bit integer arithmetic, builtins that lower to single instructions, and a CRC table.
int printf(const char *, ...);
static unsigned crc_table[256];
static void make_table(void) {
    for (unsigned n = 0; n < 256; n++) {
        unsigned c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}
static unsigned crc32(const char *s) {
    unsigned c = 0xFFFFFFFFu;
    while (*s) c = crc_table[(c ^ (unsigned char)*s++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}
int main(void) {
    make_table();
    unsigned long x = 0x0123456789ABCDEFul;
    printf("%08x %d %d %d %lx %lx\n", crc32("The quick brown fox jumps over the lazy dog"),
           __builtin_popcountl(x), __builtin_clzl(x), __builtin_ctzl(x), __builtin_bswap64(x), (x << 13) | (x >> 51));
    return 0;
}
