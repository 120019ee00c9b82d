int part0(int depth);
static const char tag7[] = "p7";
const char *name7(void) { return tag7; }
int part7(int depth) { return depth <= 0 ? 7 : 7 + part0(depth - 1); }
