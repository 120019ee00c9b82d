// std::thread, std::mutex, std::condition_variable, std::atomic, std::async and futures.
// LIBS: -lpthread
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

int main() {
    std::mutex m;
    long shared_total = 0;
    std::atomic<long> atomic_total{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; t++)
        workers.emplace_back([&, t] {
            for (int i = 0; i < 10000; i++) {
                std::lock_guard<std::mutex> g(m);
                shared_total += t + 1;
            }
            atomic_total.fetch_add(t * 1000, std::memory_order_relaxed);
        });
    for (auto &w : workers) w.join();
    std::printf("mutex total %ld atomic total %ld\n", shared_total, atomic_total.load());

    std::queue<int> q;
    std::condition_variable cv;
    bool done = false;
    long consumed = 0;
    std::thread consumer([&] {
        std::unique_lock<std::mutex> lk(m);
        for (;;) {
            cv.wait(lk, [&] { return !q.empty() || done; });
            while (!q.empty()) { consumed += q.front(); q.pop(); }
            if (done) break;
        }
    });
    for (int i = 1; i <= 100; i++) {
        { std::lock_guard<std::mutex> g(m); q.push(i); }
        cv.notify_one();
    }
    { std::lock_guard<std::mutex> g(m); done = true; }
    cv.notify_one();
    consumer.join();
    std::printf("consumed %ld\n", consumed);

    auto f1 = std::async(std::launch::async, [] { long s = 0; for (int i = 0; i < 1000; i++) s += i; return s; });
    std::promise<int> p;
    std::future<int> f2 = p.get_future();
    std::thread setter([&p] { p.set_value(7); });
    std::printf("async %ld promise %d\n", f1.get(), f2.get());
    setter.join();
    std::printf("hardware_concurrency positive: %d\n", std::thread::hardware_concurrency() > 0);
    return 0;
}
