// C++ exceptions: throw and catch of an int, a C string and a class hierarchy (catch by base),
// destructors run during unwinding, a rethrow, catch(...), and an exception crossing several
// frames. The unwinder walks weld's __unwind_info and reads the LSDA it points to.
extern "C" int printf(const char *, ...);
struct Error { virtual ~Error() {} virtual const char *what() const { return "error"; } int code = 1; };
struct IoError : Error { const char *what() const override { return "io error"; } };
struct Guard { const char *name; explicit Guard(const char *n) : name(n) {} ~Guard() { printf("  unwind %s\n", name); } };
__attribute__((noinline)) void thrower(int kind) {
    Guard g("thrower");
    if (kind == 0) throw 42;
    if (kind == 1) throw "text";
    if (kind == 2) { IoError e; e.code = 7; throw e; }
    if (kind == 3) throw 2.5;
}
__attribute__((noinline)) int middle(int kind) { Guard g("middle"); thrower(kind); return 0; }
__attribute__((noinline)) void rethrower() {
    try { middle(0); } catch (int v) { printf("  rethrowing %d\n", v); throw; }
}
int main() {
    for (int kind = 0; kind < 5; kind++) {
        try {
            middle(kind);
            printf("kind %d: no exception\n", kind);
        } catch (int v) {
            printf("kind %d: int %d\n", kind, v);
        } catch (const char *s) {
            printf("kind %d: string %s\n", kind, s);
        } catch (const Error &e) {
            printf("kind %d: %s code %d\n", kind, e.what(), e.code);
        } catch (...) {
            printf("kind %d: something else\n", kind);
        }
    }
    try { rethrower(); } catch (int v) { printf("caught rethrown %d\n", v); }
    return 0;
}
