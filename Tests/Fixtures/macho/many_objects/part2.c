int part3(int depth);
static const char tag2[] = "p2";
const char *name2(void) { return tag2; }
int part2(int depth) { return depth <= 0 ? 2 : 2 + part3(depth - 1); }
