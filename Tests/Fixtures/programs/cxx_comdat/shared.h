// Inline functions, templates and their static data are emitted in COMDAT groups by every
// translation unit that uses them; the linker keeps exactly one copy of each group.
#pragma once
#include <string>
#include <vector>

inline int &inline_counter() { static int counter = 0; return ++counter, counter; }

template <typename T> struct Registry {
    static std::vector<T> items;
    static void add(const T &t) { items.push_back(t); }
};
template <typename T> std::vector<T> Registry<T>::items;

template <typename T> T twice(T x) { return x + x; }

template <int N> struct Fact { static constexpr long value = N * Fact<N - 1>::value; };
template <> struct Fact<0> { static constexpr long value = 1; };

struct Widget {
    virtual ~Widget() = default;
    virtual std::string describe() const { return "widget " + std::to_string(size); }
    int size = 3;
};
inline const void *inline_counter_address() { return (const void *)&inline_counter; }
inline const int *template_static_address() { return (const int *)&Registry<int>::items; }

void tu_a();
void tu_b();
const void *tu_a_counter_fn();
const void *tu_b_counter_fn();
const int *tu_a_static();
const int *tu_b_static();
