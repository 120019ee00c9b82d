int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
long ackermann(long m, long n) {
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}
__attribute__((noinline)) int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }
