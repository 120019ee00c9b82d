// C++ global objects with constructors and destructors (run through __cxa_atexit) in two
// objects, a function-local static (guard variables), and an inline function and a template
// emitted as weak definitions in both objects and coalesced into one.
extern "C" int printf(const char *, ...);
struct Logger {
    const char *name;
    explicit Logger(const char *n) : name(n) { printf("construct %s\n", name); }
    ~Logger() { printf("destroy %s\n", name); }
};
Logger first_logger("main-global");
inline int &shared_counter() { static int c = 0; return ++c, c; }
template <typename T> T twice(T v) { return v + v; }
int use_other();
static Logger &lazy() { static Logger l("function-static"); return l; }
int main() {
    printf("main starts\n");
    lazy(); lazy();
    int a = shared_counter();
    int b = use_other();
    printf("counter %d %d twice %d %.1f\n", a, b, twice(21), twice(1.25));
    return 0;
}
