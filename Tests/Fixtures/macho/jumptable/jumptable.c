// A dense switch that clang compiles to a jump table (adr + ldrb/ldrh + br), plus one over
// strings returned through a table of pointers.
int printf(const char *, ...);
__attribute__((noinline)) static int classify(int x) {
    switch (x) {
    case 0: return 17; case 1: return 4; case 2: return 99; case 3: return -3;
    case 4: return 12; case 5: return 7; case 6: return 1000; case 7: return 8;
    case 8: return 81; case 9: return 2; case 10: return 33; case 11: return 5;
    case 12: return 56; case 13: return 73; case 14: return 21; case 15: return 64;
    case 16: return 0; case 17: return 11; case 18: return 97; case 19: return 43;
    default: return -1;
    }
}
__attribute__((noinline)) static const char *day(unsigned d) {
    switch (d) {
    case 0: return "sun"; case 1: return "mon"; case 2: return "tue"; case 3: return "wed";
    case 4: return "thu"; case 5: return "fri"; case 6: return "sat"; default: return "?";
    }
}
int main(void) {
    long total = 0;
    for (int i = -2; i < 24; i++) total = total * 3 + classify(i);
    printf("total=%ld\n", total);
    for (unsigned d = 0; d < 9; d++) printf("%s%s", day(d), d == 8 ? "\n" : " ");
    return 0;
}
