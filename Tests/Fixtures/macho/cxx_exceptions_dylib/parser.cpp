extern "C" int printf(const char *, ...);
struct ParseError { int position; };
struct Trace { ~Trace() { printf("  leaving parse_digit\n"); } };
__attribute__((noinline)) static int digit_value(char c, int at) {
    if (c < '0' || c > '9') throw ParseError{at};
    return c - '0';
}
int parse_digit(const char *text, int at) {
    Trace t;
    return digit_value(text[at], at);
}
