// C++ exceptions thrown through a frame described only by DWARF CFI (frame.s): the unwinder
// must find its FDE in __eh_frame through __unwind_info and restore x19/x20 from it, or the
// values main keeps in callee-saved registers come back wrong.
extern "C" int printf(const char *, ...);
extern "C" long odd_frame(long);
extern "C" long may_throw(long v) {
    if (v % 3 == 0) throw v;
    return v * 2;
}
__attribute__((noinline)) static long work(long seed) { return seed * 31 + 7; }
int main() {
    long kept_a = work(1), kept_b = work(2), total = 0;
    for (long v = 1; v <= 6; v++) {
        try {
            total += odd_frame(v);
        } catch (long e) {
            printf("caught %ld (kept %ld %ld)\n", e, kept_a, kept_b);
            total += 1000;
        }
        kept_a += 1;
        kept_b += 2;
    }
    printf("total=%ld kept=%ld,%ld\n", total, kept_a, kept_b);
    return 0;
}
