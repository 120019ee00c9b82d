struct entry { const char *name; int (*fn)(int); int order; };
#define REGISTER(n, f, o) \
    static const struct entry entry_##f __attribute__((section("weld_registry"), used, aligned(8))) = {n, f, o}
