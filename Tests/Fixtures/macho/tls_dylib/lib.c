__thread int lib_tls = 5;
int lib_bump(void) { return ++lib_tls; }
