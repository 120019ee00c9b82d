// Standard containers and strings: string (SSO and heap), vector, map, unordered_map (printed
// sorted), set, deque, algorithms. Lots of template instantiations in COMDAT groups.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

int main() {
    std::string s = "short";
    std::string longer(100, 'x');
    longer += s;
    std::printf("%s %zu %c\n", s.c_str(), longer.size(), longer[99]);
    std::vector<int> v(50);
    std::iota(v.begin(), v.end(), 1);
    std::reverse(v.begin(), v.end());
    std::sort(v.begin(), v.begin() + 25);
    std::printf("vector sum %d front %d back %d\n", std::accumulate(v.begin(), v.end(), 0), v.front(), v.back());
    std::map<std::string, int> m;
    const char *words[] = {"pear", "apple", "fig", "apple", "kiwi", "fig", "apple"};
    for (auto w : words) m[w]++;
    for (auto &kv : m) std::printf("map %s=%d\n", kv.first.c_str(), kv.second);
    std::unordered_map<int, std::string> um;
    for (int i = 0; i < 1000; i++) um[i * 7 % 1009] = std::to_string(i);
    std::vector<int> keys;
    for (auto &kv : um) keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());
    std::printf("unordered_map size %zu first %d=%s last %d=%s\n", um.size(), keys.front(),
                um[keys.front()].c_str(), keys.back(), um[keys.back()].c_str());
    std::set<std::string> st(std::begin(words), std::end(words));
    std::string joined;
    for (auto &w : st) joined += w + ",";
    std::printf("set %s\n", joined.c_str());
    std::deque<long> d;
    for (long i = 0; i < 10; i++) { d.push_back(i); d.push_front(-i); }
    std::printf("deque size %zu front %ld back %ld\n", d.size(), d.front(), d.back());
    return static_cast<int>(m.size());
}
