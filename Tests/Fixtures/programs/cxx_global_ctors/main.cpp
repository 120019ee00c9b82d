#include <cstdio>
struct Loud {
    const char *n;
    explicit Loud(const char *s) : n(s) { std::printf("construct %s\n", n); }
    ~Loud() { std::printf("destroy %s\n", n); }
};
Loud main_default("main.cpp default");
Loud main_mid __attribute__((init_priority(150))) ("main.cpp priority 150");
static Loud main_static("main.cpp static");
int main() {
    static Loud local("function-local static");
    std::printf("main\n");
    return 0;
}
