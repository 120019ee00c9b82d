// An exception thrown in a dylib and caught in the executable: the unwinder crosses from the
// dylib's __unwind_info into the executable's, and a dylib frame's cleanup runs on the way.
extern "C" int printf(const char *, ...);
struct ParseError { int position; };
int parse_digit(const char *text, int at);
int main() {
    const char *inputs[] = {"7", "x", "4"};
    int sum = 0;
    for (const char *in : inputs) {
        try {
            sum += parse_digit(in, 0);
        } catch (const ParseError &e) {
            printf("parse error at %d in \"%s\"\n", e.position, in);
        }
    }
    printf("sum=%d\n", sum);
    return 0;
}
