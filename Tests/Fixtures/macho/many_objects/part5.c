int part6(int depth);
static const char tag5[] = "p5";
const char *name5(void) { return tag5; }
int part5(int depth) { return depth <= 0 ? 5 : 5 + part6(depth - 1); }
