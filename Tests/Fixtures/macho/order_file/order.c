// -order_file: functions are laid out in the order the file gives (third, first, second),
// not in source order. Native linkers have no such option, so the expected output is written
// by hand.
int printf(const char *, ...);
typedef unsigned long uptr;
__attribute__((noinline)) int first(int x) { return x + 1; }
__attribute__((noinline)) int second(int x) { return x + 2; }
__attribute__((noinline)) int third(int x) { return x + 3; }
int main(void) {
    uptr a = (uptr)&first, b = (uptr)&second, c = (uptr)&third;
    printf("third<first: %d, first<second: %d, sum=%d\n", c < a, a < b, first(1) + second(2) + third(3));
    return 0;
}
