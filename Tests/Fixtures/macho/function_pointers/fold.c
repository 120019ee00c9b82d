typedef int (*binop)(int, int);
int add(int, int); int sub(int, int); int mul(int, int);
static int max(int a, int b) { return a > b ? a : b; }
static binop const table[] = {max, add, sub, mul};
int fold(binop f, const int *v, int n) { int acc = v[0]; for (int i = 1; i < n; i++) acc = f(acc, v[i]); return acc; }
binop pick(int i) { return table[i & 3]; }
