int rsp_target(int x) { return x + 100; }
int rsp_wrapped(int x) { return x * 2; }
