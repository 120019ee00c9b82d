// Lambdas (captureless -> function pointer conversion, by-value and by-reference captures,
// generic and recursive lambdas), std::function type erasure, std::bind, algorithms.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

static int apply_twice(const std::function<int(int)> &f, int x) { return f(f(x)); }
static int (*as_pointer)(int) = [](int x) { return x * 10; };

int main() {
    int base = 5;
    auto add_base = [base](int x) { return x + base; };
    auto bump = [&base](int by) { base += by; };
    bump(10);
    std::printf("add_base(1)=%d base=%d pointer=%d\n", add_base(1), base, as_pointer(4));
    std::printf("apply_twice=%d\n", apply_twice(add_base, 1));
    std::function<long(int)> fact = [&](int n) -> long { return n <= 1 ? 1 : n * fact(n - 1); };
    std::printf("fact(15)=%ld\n", fact(15));
    auto generic = [](auto a, auto b) { return a + b; };
    std::printf("generic %d %.2f %s\n", generic(1, 2), generic(1.5, 2.25),
                generic(std::string("con"), std::string("cat")).c_str());
    std::vector<std::string> names = {"delta", "alpha", "charlie", "bravo", "echo"};
    std::sort(names.begin(), names.end(), [](const std::string &a, const std::string &b) {
        return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    for (auto &n : names) std::printf("%s ", n.c_str());
    std::printf("\n");
    std::map<std::string, std::function<double(double, double)>> ops = {
        {"+", std::plus<double>()}, {"-", std::minus<double>()},
        {"*", [](double a, double b) { return a * b; }},
        {"max", static_cast<const double &(*)(const double &, const double &)>(std::max<double>)}};
    for (auto &kv : ops) std::printf("7 %s 3 = %.1f\n", kv.first.c_str(), kv.second(7, 3));
    auto bound = std::bind(std::minus<int>(), std::placeholders::_2, std::placeholders::_1);
    std::printf("bound(3, 10)=%d\n", bound(3, 10));
    int count = (int)std::count_if(names.begin(), names.end(), [](auto &s) { return s.size() == 5; });
    return count;
}
