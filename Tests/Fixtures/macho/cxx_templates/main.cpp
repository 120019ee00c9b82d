// Templates and inline code: many instantiations, weak definitions coalesced across objects,
// a class with static data members, and operator overloading.
extern "C" int printf(const char *, ...);
template <typename T, int N> struct Array {
    T items[N];
    static int instances;
    Array() { ++instances; for (int i = 0; i < N; i++) items[i] = T(i); }
    T sum() const { T s = T(); for (int i = 0; i < N; i++) s = s + items[i]; return s; }
};
template <typename T, int N> int Array<T, N>::instances = 0;
struct Vec { int x, y; Vec(int i = 0) : x(i), y(2 * i) {} Vec operator+(const Vec &o) const { Vec v; v.x = x + o.x; v.y = y + o.y; return v; } };
int from_other();
int main() {
    Array<int, 10> a; Array<double, 4> b; Array<Vec, 5> c; Array<int, 10> d;
    Vec v = c.sum();
    int other = from_other();   // constructs one more Array<int, 10>: call it before reading the count
    printf("%d %.1f (%d,%d) instances=%d other=%d\n", a.sum() + d.sum(), b.sum(), v.x, v.y, Array<int, 10>::instances, other);
    return 0;
}
