// Function pointers stored in const and mutable data tables, passed across objects, and
// returned from functions.
int printf(const char *, ...);
typedef int (*binop)(int, int);
int add(int a, int b) { return a + b; }
int sub(int a, int b) { return a - b; }
int mul(int a, int b) { return a * b; }
static int mod(int a, int b) { return a % b; }
static const binop ops[] = {add, sub, mul, mod};
static const char *const names[] = {"add", "sub", "mul", "mod"};
binop mutable_ops[4] = {mul, mod, add, sub};
int fold(binop f, const int *v, int n);
binop pick(int i);
int main(void) {
    int v[] = {3, 9, 4, 7};
    for (int i = 0; i < 4; i++)
        printf("%s(17,5)=%d fold=%d mutable=%d picked=%d\n", names[i], ops[i](17, 5), fold(ops[i], v, 4),
               mutable_ops[i](17, 5), pick(i)(8, 3));
    mutable_ops[0] = pick(3);
    printf("swapped=%d\n", mutable_ops[0](1, 2));
    return 0;
}
