// Calls within and across objects (BRANCH26), static and external functions, recursion.
int printf(const char *, ...);
int fib(int n);
long ackermann(long m, long n);
int gcd(int a, int b);
static int square(int x) { return x * x; }
int main(void) {
    int sum = 0;
    for (int i = 0; i < 10; i++) sum += square(i) + fib(i);
    printf("sum=%d fib(20)=%d ack(2,3)=%ld gcd=%d\n", sum, fib(20), ackermann(2, 3), gcd(1071, 462));
    return 0;
}
