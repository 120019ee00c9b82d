// C++ thread_local: dynamic initialization (TLS wrapper functions), a non-trivial destructor
// that runs at each thread's exit, and thread_local objects in a class and in a function.
// LIBS: -lpthread
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

static std::mutex out_mutex;
static std::vector<std::string> log_lines;

static void log(const std::string &s) {
    std::lock_guard<std::mutex> g(out_mutex);
    log_lines.push_back(s);
}

struct Tracker {
    int id;
    std::string label;
    explicit Tracker(int i) : id(i), label("tracker-" + std::to_string(i)) {}
    ~Tracker() { std::printf("destroy %s id=%d\n", label.c_str(), id); std::fflush(stdout); }
};

thread_local Tracker tracker(0);
thread_local int plain_tls = 9;

struct Holder { static thread_local std::string name; };
thread_local std::string Holder::name = "holder";

static int &per_thread_counter() {
    thread_local int counter = 40;
    return ++counter;
}

static void work(int n) {
    tracker.id = n * 10;
    plain_tls += n;
    Holder::name += "-" + std::to_string(n);
    int c = 0;
    for (int i = 0; i < n; i++) c = per_thread_counter();
    log("thread " + std::to_string(n) + " plain=" + std::to_string(plain_tls) + " name=" +
        Holder::name + " counter=" + std::to_string(c));
}

int main() {
    for (int i = 1; i <= 3; i++) {
        std::thread t(work, i);
        t.join();                                 // sequential: deterministic log order
    }
    work(4);
    for (auto &l : log_lines) std::printf("%s\n", l.c_str());
    std::fflush(stdout);
    std::printf("main tracker id=%d\n", tracker.id);
    return 0;
}
