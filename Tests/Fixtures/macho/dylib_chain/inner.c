int inner_calls;
int inner_square(int x) { inner_calls++; return x * x; }
