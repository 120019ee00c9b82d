#include <cstdio>
#include "shared.h"
std::string a_describe(const Widget &w);
int main() {
    tu_a();
    tu_b();
    int c = inline_counter();
    std::printf("inline counter shared: %d\n", c);
    std::printf("one copy of inline function: %d\n", tu_a_counter_fn() == tu_b_counter_fn());
    std::printf("one copy of template static: %d\n", tu_a_static() == tu_b_static());
    std::printf("Registry<int>:");
    for (int i : Registry<int>::items) std::printf(" %d", i);
    std::printf("\nRegistry<string>:");
    for (auto &s : Registry<std::string>::items) std::printf(" %s", s.c_str());
    std::printf("\nFact<10> = %ld, twice(2.5) = %.1f\n", Fact<10>::value, twice(2.5));
    Widget w;
    std::printf("%s\n", a_describe(w).c_str());
    return c;
}
