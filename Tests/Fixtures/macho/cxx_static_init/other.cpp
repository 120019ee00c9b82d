extern "C" int printf(const char *, ...);
struct Logger {
    const char *name;
    explicit Logger(const char *n) : name(n) { printf("construct %s\n", name); }
    ~Logger() { printf("destroy %s\n", name); }
};
Logger second_logger("other-global");
inline int &shared_counter() { static int c = 0; return ++c, c; }
template <typename T> T twice(T v) { return v + v; }
int use_other() { return shared_counter() * 10 + twice(2); }
