template <typename T, int N> struct Array {
    T items[N];
    static int instances;
    Array() { ++instances; for (int i = 0; i < N; i++) items[i] = T(i); }
    T sum() const { T s = T(); for (int i = 0; i < N; i++) s = s + items[i]; return s; }
};
template <typename T, int N> int Array<T, N>::instances = 0;
int from_other() { Array<int, 10> a; return a.sum() * 100 + Array<int, 10>::instances; }
