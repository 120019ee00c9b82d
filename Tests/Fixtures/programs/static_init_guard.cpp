// Function-local statics with dynamic initialization (__cxa_guard_acquire/release) raced by
// several threads: the constructor must run exactly once.
// LIBS: -lpthread
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

static std::atomic<int> constructions{0};

struct Expensive {
    std::string value;
    Expensive() : value("constructed once") {
        constructions++;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
};

static Expensive &instance() { static Expensive e; return e; }
static int &counter() { static int c = [] { return 100; }(); return c; }

int main() {
    std::vector<std::thread> ts;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; i++)
        ts.emplace_back([&] { if (instance().value == "constructed once") ok++; });
    for (auto &t : ts) t.join();
    counter() += 5;
    std::printf("constructions=%d ok=%d counter=%d\n", constructions.load(), ok.load(), counter());
    return constructions.load();
}
