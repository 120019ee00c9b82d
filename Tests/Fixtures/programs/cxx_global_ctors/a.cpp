// C++ global constructors and destructors across translation units, with init_priority.
#include <cstdio>
struct Loud {
    const char *n;
    explicit Loud(const char *s) : n(s) { std::printf("construct %s\n", n); }
    ~Loud() { std::printf("destroy %s\n", n); }
};
Loud a_default("a.cpp default");
Loud a_early __attribute__((init_priority(200))) ("a.cpp priority 200");
Loud a_earliest __attribute__((init_priority(101))) ("a.cpp priority 101");
