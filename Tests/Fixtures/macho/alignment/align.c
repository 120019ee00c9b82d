// Over-aligned data and code: sections whose alignment (up to 4 KiB) the layout must honour
// in __DATA, __bss and __const; the program checks its own addresses.
int printf(const char *, ...);
typedef unsigned long uptr;
__attribute__((aligned(4096))) int page_aligned[10] = {1};
__attribute__((aligned(64))) char line_aligned[3] = "ab";
__attribute__((aligned(256))) static long zero_aligned[4];
__attribute__((aligned(128))) const double const_aligned[2] = {1.5, 2.5};
char odd_byte = 'x';
__attribute__((aligned(32))) static void aligned_function(void) {}
int main(void) {
    zero_aligned[1] = 7;
    printf("%lu %lu %lu %lu %lu %c %d %ld %.1f\n", (uptr)page_aligned % 4096, (uptr)line_aligned % 64,
           (uptr)zero_aligned % 256, (uptr)const_aligned % 128, (uptr)&aligned_function % 32, odd_byte,
           page_aligned[0], zero_aligned[1], const_aligned[1]);
    return 0;
}
